"""The events accounting consumes, as tests/events.py builds them from the schemas' examples, and
a way to feed them through the real consumer path (`outbox.consumers.apply_batch`)."""

import hashlib
import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa

from ates.database import utcnow
from domains.accounting import queries
from domains.accounting.tables import (
    day_close_payouts,
    day_closes,
    day_totals,
    ledger_accounts,
    ledger_entries,
    priced_tasks,
)
from outbox.tables import dead_letters, events, inbox
from tests.events import apply, message

MOMENT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ACCOUNTING_TABLES = (
    ledger_entries,
    day_totals,
    day_close_payouts,
    day_closes,
    priced_tasks,
    ledger_accounts,
)


def new_id() -> str:
    return str(uuid.uuid4())


def account_event(account_id, version=1, name="account.created", **fields) -> dict:
    login = fields.pop("login", f"parrot-{account_id[:6]}")
    details = {
        "public_id": account_id,
        "login": login,
        "full_name": f"Parrot {login}",
        "email": f"{login}@uberpopug.example",
        "role": "worker",
        "active": True,
        "version": version,
    }
    return message(name, at=MOMENT, **(details | fields))


def task_created(task_id, title="Feed the parrots", jira_id=None, version=2, created_by=None):
    details = {
        "public_id": task_id,
        "title": title,
        "description": "",
        "created_by": created_by or new_id(),
        "created_at": MOMENT.isoformat(),
    }
    if version == 2:
        details["jira_id"] = jira_id
    return message("task.created", version, at=MOMENT, **details)


def task_assigned(task_id, assignee, assignment=1, at=MOMENT) -> dict:
    return message(
        "task.assigned",
        at=at,
        public_id=task_id,
        assignee=assignee,
        assignment=assignment,
        assigned_at=at.isoformat(),
    )


def task_completed(task_id, assignee, at=MOMENT) -> dict:
    return message(
        "task.completed", at=at, public_id=task_id, assignee=assignee, completed_at=at.isoformat()
    )


def feed(runtime, *batches: list[dict]) -> None:
    """Deliver batches to accounting exactly as the broker's actor would; nothing may fail."""
    for batch in batches:
        apply(runtime.db, "accounting", *batch)


def work(runtime, parrot, title="Feed the parrots", jira_id="UBERPOP-42", complete=True, at=None):
    """A task assigned to the parrot now, or `at` (and completed); returns its price row."""
    task, now = new_id(), at or utcnow()
    events = [task_created(task, title, jira_id), task_assigned(task, parrot, at=now)]
    if complete:
        events.append(task_completed(task, parrot, at=now))
    feed(runtime, events)
    return next(row for row in rows(runtime, priced_tasks) if row.public_id == task)


def dead_letter_errors(runtime) -> list[str]:
    with runtime.db.transaction() as session:
        return list(session.scalars(sa.select(dead_letters.c.error)))


def empty_accounting(runtime) -> None:
    with runtime.db.transaction() as session:
        for table in (*ACCOUNTING_TABLES, inbox, events):
            session.execute(sa.delete(table))


def rows(runtime, table, *order_by):
    with runtime.db.transaction() as session:
        return session.execute(sa.select(table).order_by(*order_by)).all()


def close_ids(account_id: str, day: date) -> tuple[str, str]:
    """The ids the close gives an account's payout entry and payment for a day, by its rule:
    md5 of (what, account, day) as a UUID."""
    return tuple(
        str(uuid.UUID(hashlib.md5(f"{what}:{account_id}:{day.isoformat()}".encode()).hexdigest()))
        for what in ("payout", "payment")
    )


def published(runtime, name) -> list[dict]:
    with runtime.db.transaction() as session:
        return list(
            session.scalars(
                sa.select(events.c.data).where(events.c.event_name == name).order_by(events.c.id)
            )
        )


def balances(runtime) -> dict[str, int]:
    return {row.public_id: row.balance for row in rows(runtime, ledger_accounts)}


def assert_the_books_add_up(runtime) -> None:
    """Each balance and each day's company totals are the sums of the ledger's entries."""
    assert balances(runtime) == sums_of_entries(runtime)
    entries = rows(runtime, ledger_entries)
    expected = {}
    for entry in entries:
        day = expected.setdefault(entry.billing_day, [0, 0, 0, 0])
        column = ("assign_fee", "completion_reward", "payout").index(entry.kind)
        day[column] += -entry.amount if entry.kind != "completion_reward" else entry.amount
        day[3] += 1
    with runtime.db.transaction() as session:
        kept = queries.day_totals(session, min(expected, default=MOMENT.date()), date.max)
    totals = {d.billing_day: [d.fees_charged, d.rewards_paid, d.payouts, d.entries] for d in kept}
    assert totals == expected


def sums_of_entries(runtime) -> dict[str, int]:
    with runtime.db.transaction() as session:
        found = session.execute(
            sa.select(
                ledger_accounts.c.public_id,
                sa.func.coalesce(sa.func.sum(ledger_entries.c.amount), 0),
            )
            .outerjoin(ledger_entries, ledger_entries.c.account_id == ledger_accounts.c.public_id)
            .group_by(ledger_accounts.c.public_id)
        ).all()
    return dict(found)
