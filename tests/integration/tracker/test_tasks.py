"""Creating and completing tasks, with their events, on the configured backend."""

import pytest
import sqlalchemy as sa

from domains.tracker.commands import (
    CompletionRefused,
    InvalidTask,
    NoEligibleAssignee,
    complete_task,
    create_task,
    reassign_open_tasks,
)
from domains.tracker.tables import assignees, tasks
from outbox.tables import events
from tests.tracker_support import add_parrots

CREATOR = "6b1f3c1e-8a53-4c43-9a39-0d4a0c1b7a10"


def create(runtime, title="Feed the parrots", **fields):
    with runtime.db.transaction() as session:
        return create_task(session, title=title, created_by=CREATOR, **fields)


def outbox(runtime, name=None):
    query = sa.select(events).order_by(events.c.id)
    if name:
        query = query.where(events.c.event_name == name)
    with runtime.db.transaction() as session:
        return session.execute(query).all()


def task_row(runtime, public_id):
    with runtime.db.transaction() as session:
        return session.execute(sa.select(tasks).where(tasks.c.public_id == public_id)).one()


def count_tasks(runtime):
    with runtime.db.transaction() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(tasks))


def test_a_new_task_goes_to_an_eligible_parrot_with_its_three_events(runtime):
    [worker] = add_parrots(runtime, 1)
    add_parrots(runtime, 3, role="manager")
    add_parrots(runtime, 2, role="admin")
    task = create(runtime, jira_id="UBERPOP-42", description="Twice a day.")
    row = task_row(runtime, task["public_id"])
    assert (row.assignee, row.assignment, row.status, row.jira_id) == (
        worker,
        1,
        "open",
        "UBERPOP-42",
    )
    assert [(e.event_name, e.event_version, e.key) for e in outbox(runtime)] == [
        ("task.created", 2, task["public_id"]),
        ("task.added", 1, task["public_id"]),
        ("task.assigned", 1, task["public_id"]),
    ]
    created, _added, assigned = outbox(runtime)
    assert created.data["title"] == "Feed the parrots" and created.data["jira_id"] == "UBERPOP-42"
    assert assigned.data["assignee"] == worker and assigned.data["assignment"] == 1


def test_accountants_are_parrots_too(runtime):
    [accountant] = add_parrots(runtime, 1, role="accountant")
    assert task_row(runtime, create(runtime)["public_id"]).assignee == accountant


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "[UBERPOP-42] Feed the parrots"},
        {"title": ""},
        {"title": "t" * 201},
        {"title": "ok", "description": "d" * 5001},
        {"title": "ok", "jira_id": "not a jira id"},
    ],
)
def test_bad_input_saves_nothing(runtime, fields):
    add_parrots(runtime, 1)
    with pytest.raises(InvalidTask):
        create(runtime, **fields)
    assert count_tasks(runtime) == 0 and outbox(runtime) == []


def test_without_an_eligible_parrot_nothing_is_saved(runtime):
    add_parrots(runtime, 2, role="manager")
    add_parrots(runtime, 1, role="admin")
    with pytest.raises(NoEligibleAssignee, match="no active worker or accountant"):
        create(runtime)
    assert count_tasks(runtime) == 0 and outbox(runtime) == []


def test_only_the_assignee_completes_a_task(runtime):
    [worker] = add_parrots(runtime, 1)
    [other] = add_parrots(runtime, 1, role="manager")
    task = create(runtime)["public_id"]
    with pytest.raises(CompletionRefused, match="no longer yours"), runtime.db.transaction() as s:
        complete_task(s, task=task, by=other)
    assert task_row(runtime, task).status == "open" and outbox(runtime, "task.completed") == []
    with runtime.db.transaction() as session:
        complete_task(session, task=task, by=worker)
    row = task_row(runtime, task)
    assert row.status == "done" and row.completed_at is not None
    [completed] = outbox(runtime, "task.completed")
    assert completed.data["public_id"] == task and completed.data["assignee"] == worker


def test_a_second_completion_is_refused_and_changes_nothing(runtime):
    [worker] = add_parrots(runtime, 1)
    task = create(runtime)["public_id"]
    with runtime.db.transaction() as session:
        complete_task(session, task=task, by=worker)
    first = task_row(runtime, task)
    with pytest.raises(CompletionRefused, match="already done"), runtime.db.transaction() as s:
        complete_task(s, task=task, by=worker)
    assert task_row(runtime, task) == first
    assert len(outbox(runtime, "task.completed")) == 1


def test_completing_a_task_reassigned_away_is_refused(runtime):
    [first] = add_parrots(runtime, 1)
    task = create(runtime)["public_id"]
    # The first parrot leaves the pool, so Reassign must move the task to the second one.
    [second] = add_parrots(runtime, 1)
    with runtime.db.transaction() as session:
        session.execute(
            sa.update(assignees).where(assignees.c.public_id == first).values(active=False)
        )
        assert reassign_open_tasks(session) == 1
    with pytest.raises(CompletionRefused, match="reassigned"), runtime.db.transaction() as s:
        complete_task(s, task=task, by=first)
    row = task_row(runtime, task)
    assert (row.status, row.assignee, row.assignment) == ("open", second, 2)
    assert outbox(runtime, "task.completed") == []


def test_completing_an_unknown_task_is_refused(runtime):
    [worker] = add_parrots(runtime, 1)
    with pytest.raises(CompletionRefused, match="no such task"), runtime.db.transaction() as s:
        complete_task(s, task="0b8e3a52-2f8e-4d7e-9d0a-5a0f3e7c1d22", by=worker)
