"""`flask demo history`: the demo company's lived-in week, written by the real commands."""

import dataclasses
from datetime import timedelta

import sqlalchemy as sa

from ates.database import utcnow
from domains.accounting.tables import day_close_payouts, day_closes
from domains.analytics import queries as analytics
from domains.sender.tables import emails
from domains.tracker.tables import tasks


def _embedded(runtime, monkeypatch):
    monkeypatch.setattr(
        runtime, "settings", dataclasses.replace(runtime.settings, environment="development")
    )


def test_a_fresh_demo_company_gets_a_week_of_tasks_closes_payouts_and_emails(
    app, runtime, monkeypatch, deliver
):
    _embedded(runtime, monkeypatch)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["auth", "seed-demo"]).exit_code == 0
    first = runner.invoke(args=["demo", "history"])
    assert first.exit_code == 0, first.output
    deliver()
    today = utcnow().date()
    with runtime.db.reading() as session:
        days_with_tasks = {
            moment.date() for moment in session.scalars(sa.select(tasks.c.created_at))
        }
        statuses = set(session.scalars(sa.select(tasks.c.status)))
        closed = set(session.scalars(sa.select(day_closes.c.billing_day)))
        payouts = session.scalar(sa.select(sa.func.count()).select_from(day_close_payouts))
        sent = session.scalar(sa.select(sa.func.count()).select_from(emails))
        earnings = analytics.earnings_by_day(session, today - timedelta(days=6), today)
    assert days_with_tasks == {today - timedelta(days=n) for n in range(7)}
    assert statuses == {"open", "done"}
    assert closed == {today - timedelta(days=n) for n in range(1, 7)}
    assert payouts >= 6 and sent == payouts
    assert sum(1 for cents in earnings.values() if cents) >= 6
    with runtime.db.reading() as session:
        before = session.scalar(sa.select(sa.func.count()).select_from(tasks))
    again = runner.invoke(args=["demo", "history"])
    assert again.exit_code == 0 and "nothing written" in again.output
    with runtime.db.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(tasks)) == before


def test_production_never_gets_demo_history(app, runtime, monkeypatch):
    production = dataclasses.replace(runtime.settings, environment="production")
    monkeypatch.setattr(runtime, "settings", production)
    result = app.test_cli_runner().invoke(args=["demo", "history"])
    assert result.exit_code != 0 and "never gets demo history" in result.output
    with runtime.db.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(tasks)) == 0
