"""Alembic builds exactly the models, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from migrations.schema import target_metadata
from outbox.db import SCHEMAS


def test_the_migrated_database_matches_the_models(runtime):
    url = runtime.settings.database_url
    with runtime.db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": not runtime.db.is_sqlite,
                "compare_type": True,
                "include_name": lambda name, type_, parent: (
                    (type_ != "table" or name != "probe_effects")
                    and (type_ != "schema" or name is None or name in SCHEMAS)
                ),
            },
        )
        differences = compare_metadata(context, target_metadata(url))
    assert differences == []
