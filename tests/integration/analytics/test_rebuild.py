"""Analytics rebuilt from the event archive equals the live analytics."""

from datetime import datetime

import sqlalchemy as sa

from ates.database import utcnow
from domains.analytics.tables import ledger_entries, tasks
from outbox.history import archived_count
from outbox.tables import dead_letters, event_archive
from tests.integration.analytics.stream import four_days
from tests.integration.analytics.test_figures import figures


def live_history(runtime, deliver) -> list[dict]:
    """The four days as analytics heard them, and as the archive keeps them.

    The stream goes to analytics alone (its prices are the test's, not accounting's draws),
    so the archive is written here as the relay would have written it."""
    messages = four_days().messages()
    with runtime.db.transaction() as session:
        session.execute(
            sa.insert(event_archive),
            [message | {"relayed_at": utcnow()} for message in _archived(messages)],
        )
    runtime.send("analytics", messages)
    deliver()
    return messages


def _archived(messages):
    for message in messages:
        yield message | {"event_time": datetime.fromisoformat(message["event_time"])}


def test_analytics_rebuilt_from_the_archive_equal_the_live_figures(app, runtime, deliver):
    messages = live_history(runtime, deliver)
    live = figures(runtime)
    with runtime.db.transaction() as session:  # the read model drifts (a lost table, a bug)
        session.execute(sa.delete(ledger_entries))
        session.execute(sa.update(tasks).values(title="lost"))
    assert figures(runtime) != live

    result = app.test_cli_runner().invoke(args=["analytics", "rebuild"])

    assert result.exit_code == 0, result.output
    assert archived_count(runtime.db, "analytics") == len(messages)
    assert f"analytics rebuilt from {len(messages)} archived events" in result.output
    assert figures(runtime) == live
    with runtime.db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(dead_letters)) == 0


def test_a_delivery_after_the_rebuild_changes_nothing(app, runtime, deliver):
    messages = live_history(runtime, deliver)
    app.test_cli_runner().invoke(args=["analytics", "rebuild"])
    rebuilt = figures(runtime)
    runtime.send("analytics", messages)  # every event again, as a late broker would
    deliver()
    assert figures(runtime) == rebuilt
