"""Rules the schema layout relies on."""

from collections import Counter

from ates.bootstrap import SCHEMAS, load_domains
from ates.database import metadata


def test_every_table_lives_in_a_domain_schema_and_names_are_unique_across_schemas():
    load_domains()
    assert {table.schema for table in metadata.tables.values()} <= set(SCHEMAS)
    # On SQLite every schema maps to one namespace, so a name may be used only once.
    names = Counter(table.name for table in metadata.tables.values())
    assert [name for name, count in names.items() if count > 1] == []
