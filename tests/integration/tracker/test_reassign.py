"""Reassign: every open task drawn again, independently, one shuffle at a time."""

import threading
from collections import Counter, defaultdict

import pytest
import sqlalchemy as sa

from domains.tracker.commands import NoEligibleAssignee, reassign_open_tasks
from domains.tracker.tables import DONE, assignees, tasks
from outbox.tables import events
from tests.tracker_support import add_open_tasks, add_parrots


def press(runtime) -> int:
    with runtime.db.transaction() as session:
        return reassign_open_tasks(session)


def task_rows(runtime):
    with runtime.db.transaction() as session:
        return session.execute(sa.select(tasks).order_by(tasks.c.id)).all()


def assigned_events(runtime):
    with runtime.db.transaction() as session:
        return session.execute(
            sa.select(events).where(events.c.event_name == "task.assigned").order_by(events.c.id)
        ).all()


def test_ten_thousand_tasks_spread_over_ten_parrots(runtime):
    parrots = add_parrots(runtime, 10)
    add_parrots(runtime, 2, role="manager")
    add_parrots(runtime, 1, role="admin")
    add_open_tasks(runtime, 10_000, assignee=parrots[0])
    assert press(runtime) == 10_000
    shares = Counter(row.assignee for row in task_rows(runtime))
    assert set(shares) == set(parrots)  # nobody outside the eligible pool, nobody left out
    # Expected 1,000 each with a standard deviation of 30: 700..1,300 is 10 deviations wide.
    assert all(700 <= share <= 1_300 for share in shares.values()), shares


def test_every_reassigned_task_gets_a_higher_assignment_and_one_event(runtime):
    parrots = add_parrots(runtime, 3)
    add_open_tasks(runtime, 300, assignee=parrots[0])
    with runtime.db.transaction() as session:
        first_ten = sa.select(tasks.c.id).order_by(tasks.c.id).limit(10).scalar_subquery()
        session.execute(sa.update(tasks).where(tasks.c.id.in_(first_ten)).values(status=DONE))
    before = {row.public_id: row for row in task_rows(runtime)}
    assert press(runtime) == 290
    after = {row.public_id: row for row in task_rows(runtime)}
    moved = [key for key, row in before.items() if row.status == "open"]
    assert all(after[key].assignment == 2 for key in moved)
    assert all(after[key] == row for key, row in before.items() if row.status == DONE)
    sent = assigned_events(runtime)
    assert sorted(event.key for event in sent) == sorted(moved)
    for event in sent:
        row = after[event.key]
        assert event.data == {
            "public_id": row.public_id,
            "assignee": row.assignee,
            "assignment": 2,
            "assigned_at": event.data["assigned_at"],
        }
        assert event.producer == "tracker" and event.event_version == 1


def test_reassign_never_picks_inactive_managers_or_admins(runtime):
    [worker] = add_parrots(runtime, 1)
    [gone] = add_parrots(runtime, 1)
    add_parrots(runtime, 3, role="manager")
    add_parrots(runtime, 3, role="admin")
    with runtime.db.transaction() as session:
        session.execute(
            sa.update(assignees).where(assignees.c.public_id == gone).values(active=False)
        )
    add_open_tasks(runtime, 200, assignee=gone)
    press(runtime)
    assert {row.assignee for row in task_rows(runtime)} == {worker}


def test_reassign_without_eligible_parrots_is_refused_and_changes_nothing(runtime):
    [manager] = add_parrots(runtime, 1, role="manager")
    add_open_tasks(runtime, 5, assignee=manager)
    before = task_rows(runtime)
    with pytest.raises(NoEligibleAssignee, match="Nothing changed"):
        press(runtime)
    assert task_rows(runtime) == before and assigned_events(runtime) == []


def test_reassign_with_no_open_tasks_moves_nothing(runtime):
    add_parrots(runtime, 2)
    assert press(runtime) == 0 and assigned_events(runtime) == []


def test_second_reassign_press_waits_for_the_first(runtime):
    parrots = add_parrots(runtime, 4)
    add_open_tasks(runtime, 100, assignee=parrots[0])
    second_done = threading.Event()

    def second_press():
        press(runtime)
        second_done.set()

    with runtime.db.transaction() as session:
        assert reassign_open_tasks(session) == 100
        waiting = threading.Thread(target=second_press)
        waiting.start()
        # The first shuffle has not committed: the second press must still be waiting.
        assert not second_done.wait(1.0)
    waiting.join(timeout=60)
    assert second_done.is_set()
    assert {row.assignment for row in task_rows(runtime)} == {3}


def test_concurrent_reassign_presses_never_interleave(runtime):
    parrots = add_parrots(runtime, 5)
    add_open_tasks(runtime, 1_000, assignee=parrots[0])
    presses, errors = 4, []
    start = threading.Barrier(presses)

    def press_once():
        try:
            start.wait()
            press(runtime)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=press_once) for _ in range(presses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert {row.assignment for row in task_rows(runtime)} == {presses + 1}
    sent = assigned_events(runtime)
    assert len(sent) == presses * 1_000
    # In outbox order, each press's events follow the previous press's: assignments never go back.
    assignments = [event.data["assignment"] for event in sent]
    assert assignments == sorted(assignments)
    per_task = defaultdict(list)
    for event in sent:
        per_task[event.key].append(event.data["assignment"])
    assert all(numbers == [2, 3, 4, 5] for numbers in per_task.values())


def test_a_hundred_thousand_open_tasks_are_each_reassigned_exactly_once(runtime):
    parrots = add_parrots(runtime, 10)
    add_open_tasks(runtime, 100_000, assignee=parrots[0])
    assert press(runtime) == 100_000
    with runtime.db.transaction() as session:
        rows = session.execute(sa.select(tasks.c.public_id, tasks.c.assignee, tasks.c.assignment))
        now_assigned = {task: (assignee, n) for task, assignee, n in rows}
        sent = session.execute(
            sa.select(events.c.key, events.c.data).where(events.c.event_name == "task.assigned")
        ).all()
    assert len(sent) == 100_000
    from_events = {key: (data["assignee"], data["assignment"]) for key, data in sent}
    assert from_events == now_assigned  # one event per task, saying what the task now holds
    assert {n for _assignee, n in now_assigned.values()} == {2}
    shares = Counter(assignee for assignee, _n in now_assigned.values())
    assert set(shares) == set(parrots) and max(shares.values()) < 11_000
