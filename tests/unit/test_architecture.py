"""The layering rules of STYLE.md, made executable with import-linter."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_domains_meet_only_through_the_outbox():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--config", "setup.cfg"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# What only ates/backend.py may say: the forms in which PostgreSQL and SQLite differ.
BACKEND_ONLY = (
    "dialect.name",
    "is_sqlite",
    "postgresql.insert",
    "sqlite.insert",
    "with_for_update",
    "pg_advisory",
    "json_to_recordset",
    "json_each",
    "unnest(",
    "date_trunc",
    "gen_random_uuid",
    "jsonb_build_object",
    'startswith("postgres',
    'startswith("sqlite',
)


def test_no_domain_outbox_or_web_module_branches_on_the_database():
    found = [
        f"{path.relative_to(ROOT)}: {word}"
        for package in ("domains", "outbox", "web")
        for path in sorted((ROOT / package).rglob("*.py"))
        for word in BACKEND_ONLY
        if word in path.read_text()
    ]
    assert found == []
