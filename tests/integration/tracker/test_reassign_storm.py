"""Twenty concurrent Reassign presses mixed with completions: every assignment is charged once,
every completion credited once, and the books of accounting and analytics agree to the cent."""

import threading
from collections import Counter

import sqlalchemy as sa

from domains.accounting import queries as accounting
from domains.accounting.tables import ledger_accounts, ledger_entries, priced_tasks
from domains.analytics import queries as analytics
from domains.tracker import commands as tracker
from domains.tracker.tables import DONE, tasks
from outbox.tables import event_archive
from tests.conftest import fetch_csrf_token, log_in
from tests.integration.accounting.streams import assert_the_books_add_up, balances, rows

PRESSES = 20
TASKS = 12


def logged_in(app, account):
    client = app.test_client()
    assert log_in(client, account.login, account.password).status_code == 302
    return client, {"HX-Request": "true", "X-CSRFToken": fetch_csrf_token(client)}


def archived(runtime, name: str) -> list:
    with runtime.db.transaction() as session:
        return session.execute(
            sa.select(event_archive.c.event_id, event_archive.c.data).where(
                event_archive.c.event_name == name
            )
        ).all()


def storm(app, runtime, manager, workers) -> Counter:
    """Presses and completions all at once; returns the status codes the pages answered.

    The parrots complete during the presses, and one task each after the last one: on a busy
    machine every task a parrot saw may have been reassigned under it, and then none landed."""
    pressers = [logged_in(app, manager) for _ in range(PRESSES)]
    completers = [(w, *logged_in(app, w)) for w in workers]
    start = threading.Barrier(PRESSES + len(workers))
    answers: Counter = Counter()
    lock = threading.Lock()

    def note(kind, response):
        with lock:
            answers[(kind, response.status_code)] += 1

    def press(client, headers):
        start.wait()
        note("reassign", client.post("/tasks/reassign", headers=headers))

    def complete_some(worker, client, headers, up_to):
        with runtime.db.transaction() as session:
            mine = session.scalars(
                sa.select(tasks.c.public_id).where(
                    tasks.c.assignee == worker.public_id, tasks.c.status == "open"
                )
            ).all()
        for task in mine[:up_to]:
            note("complete", client.post(f"/tasks/{task}/complete", headers=headers))

    def complete(worker, client, headers):
        start.wait()
        for _ in range(3):
            complete_some(worker, client, headers, up_to=2)
        pressed.wait()
        complete_some(worker, client, headers, up_to=1)

    pressed = threading.Event()
    pressing = [threading.Thread(target=press, args=p) for p in pressers]
    completing = [threading.Thread(target=complete, args=c) for c in completers]
    for thread in pressing + completing:
        thread.start()
    for thread in pressing:
        thread.join(120)
    pressed.set()
    for thread in completing:
        thread.join(120)
    assert not any(thread.is_alive() for thread in pressing + completing)
    return answers


def test_twenty_concurrent_reassigns_with_completions_charge_and_credit_exactly_once(
    app, runtime, make_account, deliver
):
    manager = make_account("manager")
    workers = [make_account("worker") for _ in range(4)]
    with runtime.db.transaction() as session:
        for n in range(TASKS):
            tracker.create_task(session, title=f"Storm task {n}", created_by=manager.public_id)

    answers = storm(app, runtime, manager, workers)
    deliver()

    assert answers[("reassign", 200)] == PRESSES, answers
    assert {code for kind, code in answers if kind == "complete"} <= {200, 409}, answers
    with runtime.db.transaction() as session:
        task_rows = session.execute(sa.select(tasks)).all()
    # The tracker: assignments 1..n of every task, one task.assigned event each.
    assigned = archived(runtime, "task.assigned")
    numbers = Counter((d["public_id"], d["assignment"]) for _id, d in assigned)
    assert set(numbers.values()) == {1}
    assert sorted(numbers) == sorted(
        (t.public_id, n) for t in task_rows for n in range(1, t.assignment + 1)
    )
    assert len(assigned) > TASKS  # the presses really moved tasks

    entries = rows(runtime, ledger_entries)
    prices = {p.public_id: p for p in rows(runtime, priced_tasks)}
    fees = [e for e in entries if e.kind == "assign_fee"]
    rewards = [e for e in entries if e.kind == "completion_reward"]
    # Accounting: one fee per assignment, to its assignee, at the task's price.
    assert sorted((e.cause_id, e.account_id, e.task_id) for e in fees) == sorted(
        (str(i), d["assignee"], d["public_id"]) for i, d in assigned
    )
    assert all(e.amount == -prices[e.task_id].assign_fee for e in fees)
    # One reward per completion, to the parrot who completed it.
    completed = archived(runtime, "task.completed")
    done = sorted((t.public_id, t.assignee) for t in task_rows if t.status == DONE)
    assert done, answers
    assert sorted((d["public_id"], d["assignee"]) for _i, d in completed) == done
    assert sorted((e.task_id, e.account_id) for e in rewards) == done
    assert len({e.cause_id for e in rewards}) == len(rewards)
    assert answers[("complete", 200)] == len(done)
    assert all(e.amount == prices[e.task_id].completion_reward for e in rewards)
    assert not [e for e in entries if e.kind == "payout"]

    # Balances are the sums of their entries; earnings are minus the parrots' net.
    assert_the_books_add_up(runtime)
    books = balances(runtime)
    assert sum(books.values()) == sum(e.amount for e in entries)
    days = sorted({e.billing_day for e in entries})
    fee_total = -sum(e.amount for e in fees)
    reward_total = sum(e.amount for e in rewards)
    with runtime.db.transaction() as session:
        totals = accounting.day_totals(session, days[0], days[-1])
        earnings = sum(t.management_earnings for t in totals)
        assert earnings == fee_total - reward_total == -sum(books.values())
        # Analytics, built only from the events, agrees with accounting to the cent.
        by_day = analytics.earnings_by_day(session, days[0], days[-1])
        assert {t.billing_day: t.management_earnings for t in totals} == {
            d: v for d, v in by_day.items() if d in days
        }
        seen = analytics.balances_at(session, days[-1])
        assert {a: b for a, b in seen.items() if b} == {a: b for a, b in books.items() if b}
        negative = sum(1 for b in books.values() if b < 0)
        assert analytics.parrots_in_the_red(session, days[-1]) == negative
        assert session.scalar(sa.select(sa.func.count()).select_from(ledger_accounts)) >= 5
