"""Reads never take the write path: every page, report, health check and status read goes
through the read-only unit of work, which takes no write lock and refuses to write."""

import pytest
import sqlalchemy as sa

from ates.database import ReadOnly
from outbox import operations
from outbox.tables import events


@pytest.fixture
def writes(runtime, monkeypatch):
    """The write transactions opened while the test watches."""
    opened = []
    open_transaction = runtime.db.transaction

    def transaction():
        opened.append("transaction")
        return open_transaction()

    monkeypatch.setattr(runtime.db, "transaction", transaction)
    return opened


def _pages(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and rule.endpoint != "static"
        and not rule.arguments - set(rule.defaults or ())
    )


@pytest.mark.parametrize("role", ["admin", "accountant", "manager", "worker"])
def test_every_page_and_report_reads_without_a_write_transaction(
    app, client, login_as, writes, role
):
    login_as(role)
    writes.clear()
    served = {}
    for path in _pages(app):
        response = client.get(path)
        response.get_data()  # a streamed report is read to its end
        served[path] = response.status_code
        assert writes == [], f"{path} opened a write transaction"
    assert 500 not in served.values(), served
    assert served["/"] == 200
    if role == "accountant":
        assert served["/accounting/reports/ledger.xlsx"] == 200


def test_the_health_check_and_the_outbox_status_read_without_a_write_transaction(
    runtime, client, writes
):
    assert client.get("/healthz").status_code == 200
    operations.status(runtime.db)
    assert writes == []


def test_the_read_only_unit_of_work_refuses_to_write(runtime):
    with pytest.raises(ReadOnly), runtime.db.reading() as session:
        session.execute(sa.delete(events))
