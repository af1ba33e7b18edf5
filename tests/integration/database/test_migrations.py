"""Alembic builds exactly the models, on both backends, and carries the data along."""

import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from ates.bootstrap import SCHEMAS, open_database
from domains.accounting import queries
from domains.accounting.tables import ledger_entries
from migrations import alembic_config, upgrade
from migrations.schema import target_metadata


def _differences_from_the_models(db) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": not db.is_sqlite,
                "compare_type": True,
                "include_name": lambda name, type_, parent: (
                    (type_ != "table" or name != "probe_effects")
                    and (type_ != "schema" or name is None or name in SCHEMAS)
                ),
            },
        )
        return compare_metadata(context, target_metadata(db.url))


def test_the_migrated_database_matches_the_models(runtime):
    assert _differences_from_the_models(runtime.db) == []


def test_each_domains_migrations_are_one_line_with_one_head(empty_database_url):
    """Two migrations written side by side on one branch must be chained before they land
    (every domain branch starts from the outbox's trunk, so only the domains are checked)."""
    scripts = ScriptDirectory.from_config(alembic_config(empty_database_url))
    labels = {label for revision in scripts.walk_revisions() for label in revision.branch_labels}
    for domain in labels - {"outbox"}:
        assert scripts.get_revision(f"{domain}@head") is not None  # MultipleHeads otherwise


def test_a_database_at_the_previous_heads_upgrades_to_the_models(empty_database_url):
    """What an existing production database goes through: every branch one migration behind
    (a domain whose first migration is its newest is not there at all), then `heads`."""
    scripts = ScriptDirectory.from_config(alembic_config(empty_database_url))
    previous = [scripts.get_revision(head).down_revision for head in scripts.get_heads()]
    for revision in previous:
        upgrade(empty_database_url, revision)
    upgrade(empty_database_url)
    db = open_database(empty_database_url)
    try:
        assert _differences_from_the_models(db) == []
    finally:
        db.dispose()


def test_the_day_totals_migration_adds_up_the_books_kept_before_it(empty_database_url):
    upgrade(empty_database_url, "accounting@accounting_0001")
    db = open_database(empty_database_url)
    kesha, day = str(uuid.uuid4()), date(2026, 11, 24)
    entries = [("assign_fee", -1500), ("assign_fee", -1000), ("completion_reward", 3000)]
    entries += [("payout", -500)]
    with db.transaction() as session:
        session.execute(
            sa.insert(ledger_entries),
            [
                {
                    "public_id": str(uuid.uuid4()),
                    "account_id": kesha,
                    "billing_day": day,
                    "kind": kind,
                    "amount": amount,
                    "cause_id": f"cause-{n}",
                    "recorded_at": datetime.now(UTC),
                }
                for n, (kind, amount) in enumerate(entries)
            ],
        )
    upgrade(empty_database_url)
    with db.transaction() as session:
        totals = queries.day_totals(session, day, day)
    db.dispose()
    assert totals == [queries.DayTotals(day, 2500, 3000, 500, 4)]
