"""Alembic environment: the app's own engine (with SQLite's schema mapping) and all models."""

from logging.config import fileConfig

from alembic import context

from ates.bootstrap import SCHEMAS, load_domains
from ates.database import is_sqlite, make_engine
from ates.settings import load_settings
from migrations.schema import target_metadata

config = context.config
if config.config_file_name and not config.attributes.get("database_url"):
    fileConfig(config.config_file_name)

url = config.attributes.get("database_url") or load_settings().database_url
load_domains()


def run_migrations_online() -> None:
    engine = make_engine(url, SCHEMAS)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata(url),
            include_schemas=not is_sqlite(url),
            render_as_batch=is_sqlite(url),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
