"""Event contracts over time: a schema may change under the same version only compatibly.

`domains/events.lock.json` holds every schema as published. A change to a published version
must accept everything the old one accepted and keep every field consumers read: removing or
retyping a field, requiring a new one, or tightening a pattern, enum, format or bound needs a
new version instead. `flask events lock` records compatible changes and new versions.
"""

import json
from pathlib import Path

from outbox.events import SchemaRegistry

BOUNDS_THAT_MAY_ONLY_GROW = ("maximum", "maxLength", "maxItems")
BOUNDS_THAT_MAY_ONLY_SHRINK = ("minimum", "minLength", "minItems")
KEYWORDS_COMPARED_WHOLE = ("oneOf", "anyOf", "allOf", "const", "items")


def _types(schema: dict) -> set[str]:
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if kind else set()


def breaking_changes(old: dict, new: dict, where: str = "data") -> list[str]:
    """Why `new` cannot replace `old` under the same version (empty: it can)."""
    problems = []
    if _types(old) and not _types(old) <= _types(new):
        problems.append(f"{where}: type {sorted(_types(old))} became {sorted(_types(new))}")
    if new.get("pattern") not in (None, old.get("pattern")):
        problems.append(f"{where}: pattern changed to {new['pattern']!r}")
    if new.get("format") not in (None, old.get("format")):
        problems.append(f"{where}: format changed to {new['format']!r}")
    if "enum" in new and not set(old.get("enum", new["enum"])) <= set(new["enum"]):
        problems.append(f"{where}: enum lost {sorted(set(old['enum']) - set(new['enum']))}")
    for bound in BOUNDS_THAT_MAY_ONLY_GROW:
        if bound in new and new[bound] < old.get(bound, float("inf")):
            problems.append(f"{where}: {bound} tightened to {new[bound]}")
    for bound in BOUNDS_THAT_MAY_ONLY_SHRINK:
        if bound in new and new[bound] > old.get(bound, float("-inf")):
            problems.append(f"{where}: {bound} tightened to {new[bound]}")
    for keyword in KEYWORDS_COMPARED_WHOLE:
        if old.get(keyword) != new.get(keyword):
            problems.append(f"{where}: {keyword} changed")
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    if newly_required:
        problems.append(f"{where}: newly required {sorted(newly_required)}")
    if (
        old.get("additionalProperties", True) is not False
        and new.get("additionalProperties") is False
    ):
        problems.append(f"{where}: additional properties are now refused")
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    for name, old_property in old_properties.items():
        if name not in new_properties:
            problems.append(f"{where}.{name}: removed")
        else:
            problems += breaking_changes(old_property, new_properties[name], f"{where}.{name}")
    return problems


def lock_contents(registry: SchemaRegistry) -> dict:
    return {f"{s.name}.v{s.version}": s.schema for s in registry.schemas()}


def differences_from_lock(registry: SchemaRegistry, lock_file: Path) -> list[str]:
    """Every incompatible change to a locked version, and every locked version that vanished
    while it was not yet deprecated (retire a version in steps: see docs/events.md)."""
    locked = json.loads(lock_file.read_text()) if lock_file.exists() else {}
    current = lock_contents(registry)
    problems = []
    for key, old in sorted(locked.items()):
        if key not in current:
            if not old.get("deprecated"):
                problems.append(f"{key}: left the registry without being deprecated first")
            continue
        problems += [f"{key}: {problem}" for problem in breaking_changes(old, current[key])]
    return problems


def write_lock(registry: SchemaRegistry, lock_file: Path) -> None:
    lock_file.write_text(json.dumps(lock_contents(registry), indent=2, sort_keys=True) + "\n")
