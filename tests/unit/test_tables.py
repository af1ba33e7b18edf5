"""Rules the schema layout relies on."""

from collections import Counter

from sqlalchemy.dialects import postgresql

from ates.bootstrap import SCHEMAS, load_domains
from ates.database import metadata


def test_every_table_lives_in_a_domain_schema_and_names_are_unique_across_schemas():
    load_domains()
    assert {table.schema for table in metadata.tables.values()} <= set(SCHEMAS)
    # On SQLite every schema maps to one namespace, so a name may be used only once.
    names = Counter(table.name for table in metadata.tables.values())
    assert [name for name, count in names.items() if count > 1] == []


MONEY = (
    "amount",
    "balance",
    "assign_fee",
    "completion_reward",
    "fees_charged",
    "rewards_paid",
    "payouts",
)


def test_every_money_column_is_64_bit_on_postgresql():
    load_domains()
    dialect = postgresql.dialect()
    money = [
        (table.fullname, column.name, column.type.dialect_impl(dialect).__visit_name__)
        for table in metadata.tables.values()
        for column in table.columns
        if column.name in MONEY
    ]
    assert len(money) >= 10
    assert [found for found in money if found[2] != "big_integer"] == []
