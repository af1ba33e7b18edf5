"""`make translations`: extract the interface's strings into the Russian catalog
(web/translations/ru/LC_MESSAGES/messages.po, translated by hand) and compile it (.mo).

New strings arrive untranslated; the build then stops and names them, and so does
tests/unit/test_translations.py, until each has its Russian.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TARGET = HERE / "ru" / "LC_MESSAGES"
CATALOG = TARGET / "messages.po"

# Strings the extractor cannot see: menu labels, roles and task states come from data, and
# flask-login translates its own message (localize_callback).
NOT_EXTRACTED = (
    "Home", "My tasks", "My account", "All tasks", "Accounting", "Analytics", "Accounts",
    "Payout e-mails", "Events", "Operations", "Sessions",
    "admin", "manager", "accountant", "worker", "open", "done", "queued", "sent", "failed",
    "Log in to open that page.",
)  # fmt: skip


def extracted() -> Catalog:
    with tempfile.TemporaryDirectory() as folder:
        pot = Path(folder) / "messages.pot"
        subprocess.run(
            [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
             "-k", "_", "-k", "ngettext:1,2", "-k", "Words", "--no-location", "-o", str(pot), "."],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        template = read_po(pot.open("rb"))
    for text in NOT_EXTRACTED:
        template.add(text)
    return template


def russian() -> tuple[Catalog, list]:
    """The catalog updated with every string of the interface, and those without Russian."""
    with CATALOG.open("rb") as po:
        catalog = read_po(po, locale="ru")
    catalog.update(extracted(), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    untranslated = [
        m.id for m in catalog if m.id and not (all(m.string) if m.pluralizable else m.string)
    ]
    return catalog, untranslated


def main() -> None:
    catalog, untranslated = russian()
    with CATALOG.open("wb") as po:
        write_po(po, catalog, width=100, omit_header=False, include_previous=False)
    if untranslated:
        sys.exit(
            f"translate these in {CATALOG.relative_to(ROOT)}:\n" + "\n".join(map(str, untranslated))
        )
    with (TARGET / "messages.mo").open("wb") as mo:
        write_mo(mo, catalog)
    print(f"{len(catalog)} messages in {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
