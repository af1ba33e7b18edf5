"""Analytics rebuilt from the event archive equals the live analytics."""

from datetime import UTC, datetime

import sqlalchemy as sa

from domains.analytics.tables import ledger_entries, tasks
from outbox.history import archived_count
from outbox.tables import dead_letters
from tests.integration.analytics.stream import four_days
from tests.integration.analytics.test_figures import figures


def test_analytics_rebuilt_from_the_archive_equal_the_live_figures(app, runtime, deliver):
    with runtime.db.transaction() as session:
        four_days().publish(session)
    deliver()
    live = figures(runtime)
    with runtime.db.transaction() as session:  # the read model drifts (a lost table, a bug)
        session.execute(sa.delete(ledger_entries))
        session.execute(sa.update(tasks).values(title="lost"))
    assert figures(runtime) != live

    result = app.test_cli_runner().invoke(args=["analytics", "rebuild"])

    assert result.exit_code == 0, result.output
    expected = archived_count(runtime.db, "analytics")  # the stream, and accounting's reactions
    assert f"analytics rebuilt from {expected} archived events" in result.output
    assert figures(runtime) == live
    with runtime.db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(dead_letters)) == 0


def test_a_delivery_after_the_rebuild_changes_nothing(app, runtime, deliver):
    with runtime.db.transaction() as session:
        four_days().publish(session)
    deliver()
    app.test_cli_runner().invoke(args=["analytics", "rebuild"])
    rebuilt = figures(runtime)
    runtime.relay().resend(since=datetime(2000, 1, 1, tzinfo=UTC))  # every event, again
    deliver()
    assert figures(runtime) == rebuilt
