"""The tracker's worker pool follows auth's account events, in any order, any number of times."""

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ates.database import utcnow
from domains.tracker.commands import NoEligibleAssignee, create_task
from domains.tracker.handlers import when_account_changed_keep_the_newest
from domains.tracker.tables import assignees, tasks
from outbox.events import Event
from tests.tracker_support import account, publish_account

CREATOR = "6b1f3c1e-8a53-4c43-9a39-0d4a0c1b7a10"


def pool(runtime):
    with runtime.db.transaction() as session:
        rows = session.execute(sa.select(assignees)).all()
    return {row.public_id: row for row in rows}


def create(runtime):
    with runtime.db.transaction() as session:
        return create_task(session, title="Feed the parrots", created_by=CREATOR)


def assignee_of(runtime, task):
    with runtime.db.transaction() as session:
        return session.scalar(
            sa.select(tasks.c.assignee).where(tasks.c.public_id == task["public_id"])
        )


def test_a_worker_promoted_to_manager_gets_no_new_tasks(runtime, deliver):
    kesha = account("worker")
    publish_account(runtime, "account.created", kesha)
    deliver()
    assert assignee_of(runtime, create(runtime)) == kesha["public_id"]
    publish_account(runtime, "account.role_changed", kesha | {"role": "manager", "version": 2})
    deliver()
    assert pool(runtime)[kesha["public_id"]].role == "manager"
    with pytest.raises(NoEligibleAssignee):
        create(runtime)


def test_a_deactivated_parrot_gets_no_new_tasks_until_reactivated(runtime, deliver):
    kesha, gosha = account("worker"), account("accountant")
    publish_account(runtime, "account.created", kesha)
    publish_account(runtime, "account.created", gosha)
    publish_account(runtime, "account.deactivated", kesha | {"active": False, "version": 2})
    deliver()
    assert {assignee_of(runtime, create(runtime)) for _ in range(20)} == {gosha["public_id"]}
    publish_account(runtime, "account.deactivated", gosha | {"active": False, "version": 2})
    deliver()
    with pytest.raises(NoEligibleAssignee):
        create(runtime)
    publish_account(runtime, "account.reactivated", kesha | {"version": 3})
    deliver()
    assert assignee_of(runtime, create(runtime)) == kesha["public_id"]


def test_account_updates_refresh_the_name_shown(runtime, deliver):
    kesha = account("worker", full_name="Kesha")
    publish_account(runtime, "account.created", kesha)
    publish_account(runtime, "account.updated", kesha | {"full_name": "Kesha P.", "version": 2})
    deliver()
    assert pool(runtime)[kesha["public_id"]].full_name == "Kesha P."


CHANGES = [
    ("account.created", {}),
    ("account.updated", {"full_name": "Kesha P. Popugaev"}),
    ("account.role_changed", {"role": "manager"}),
    ("account.deactivated", {"active": False}),
    ("account.reactivated", {"active": True}),
]


def history(base: dict) -> list[Event]:
    """An account's five events, each carrying the whole account at its version."""
    events, state = [], base
    for version, (name, change) in enumerate(CHANGES, start=1):
        state = state | change | {"version": version}
        events.append(Event(name, 1, "auth", base["public_id"], state))
    return events


def test_any_order_and_duplicates_end_at_the_newest_version(runtime):
    # Every order of an account's five events, each followed by a redelivery of two of them.
    for order in itertools.permutations(range(len(CHANGES))):
        base = account("worker", full_name="Kesha")  # a new account per order
        events = history(base)
        with runtime.db.transaction() as session:
            for i in [*order, order[0], order[2]]:
                when_account_changed_keep_the_newest(session, events[i])
        row = pool(runtime)[base["public_id"]]
        assert (row.version, row.role, row.active, row.full_name, row.login) == (
            5,
            "manager",
            True,
            "Kesha P. Popugaev",
            base["login"],
        ), order


def test_redelivered_account_events_through_the_broker_change_nothing(runtime, deliver):
    kesha = account("worker")
    publish_account(runtime, "account.role_changed", kesha | {"role": "manager", "version": 2})
    publish_account(runtime, "account.created", kesha)  # older, arrives later
    deliver()
    runtime.relay().resend(utcnow() - timedelta(hours=1))
    deliver()
    row = pool(runtime)[kesha["public_id"]]
    assert (row.version, row.role) == (2, "manager")
