"""Accounting's copies, prices and ledger, fed through the real consumer path."""

import threading
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from domains.accounting import day_close, queries
from domains.accounting.tables import ledger_accounts, ledger_entries, priced_tasks
from tests.integration.accounting.streams import (
    MOMENT,
    account_event,
    assert_the_books_add_up,
    balances,
    feed,
    new_id,
    published,
    rows,
    task_assigned,
    task_completed,
    task_created,
)


def entries(runtime):
    return rows(runtime, ledger_entries, ledger_entries.c.id)


def test_a_task_is_priced_once_in_whole_dollars_and_the_price_is_published(runtime):
    task, parrot = new_id(), new_id()
    created = task_created(task)
    feed(runtime, [created], [task_assigned(task, parrot)], [created])
    feed(runtime, [task_created(task, title="Feed them again")])  # another event naming it
    [row] = rows(runtime, priced_tasks)
    assert row.assign_fee % 100 == 0 and 1000 <= row.assign_fee <= 2000
    assert row.completion_reward % 100 == 0 and 2000 <= row.completion_reward <= 4000
    assert published(runtime, "task.priced") == [
        {
            "public_id": task,
            "assign_fee": row.assign_fee,
            "completion_reward": row.completion_reward,
        }
    ]


def test_prices_are_drawn_over_the_whole_range(runtime):
    feed(runtime, [task_created(new_id()) for _ in range(200)])
    fees = {row.assign_fee for row in rows(runtime, priced_tasks)}
    rewards = {row.completion_reward for row in rows(runtime, priced_tasks)}
    assert fees <= {dollars * 100 for dollars in range(10, 21)} and len(fees) > 5
    assert rewards <= {dollars * 100 for dollars in range(20, 41)} and len(rewards) > 10


def test_each_assignment_charges_the_assignee_the_fee_exactly_once(runtime):
    task, kesha, gosha = new_id(), new_id(), new_id()
    first, second = task_assigned(task, kesha, 1), task_assigned(task, gosha, 2)
    feed(runtime, [task_created(task), first], [first, second], [second], [first])
    [price] = rows(runtime, priced_tasks)
    charged = [(e.account_id, e.kind, e.amount) for e in entries(runtime)]
    assert charged == [
        (kesha, "assign_fee", -price.assign_fee),
        (gosha, "assign_fee", -price.assign_fee),
    ]
    assert balances(runtime)[kesha] == -price.assign_fee


def test_a_completion_credits_the_reward_exactly_once(runtime):
    task, kesha = new_id(), new_id()
    done = task_completed(task, kesha)
    feed(runtime, [task_assigned(task, kesha), done, done], [done])
    [price] = rows(runtime, priced_tasks)
    assert [(e.kind, e.amount) for e in entries(runtime)] == [
        ("assign_fee", -price.assign_fee),
        ("completion_reward", price.completion_reward),
    ]
    assert balances(runtime)[kesha] == price.completion_reward - price.assign_fee


def test_assigned_and_completed_before_created_still_work_and_the_title_fills_in(runtime):
    task, kesha = new_id(), new_id()
    feed(runtime, [task_completed(task, kesha)], [task_assigned(task, kesha)])
    assert [e.kind for e in entries(runtime)] == ["completion_reward", "assign_fee"]
    assert rows(runtime, priced_tasks)[0].title is None
    price_before = rows(runtime, priced_tasks)[0].assign_fee
    feed(runtime, [task_created(task, title="[UBERPOP-7] Clean the cage", version=1)])
    [row] = rows(runtime, priced_tasks)
    assert (row.title, row.jira_id, row.assign_fee) == ("Clean the cage", "UBERPOP-7", price_before)
    assert len(published(runtime, "task.priced")) == 1


def test_a_v2_reading_of_the_title_wins_over_a_v1_reading_in_any_order(runtime):
    task = new_id()
    v1 = task_created(task, title="[UBERPOP-1] Old title", version=1)
    v2 = task_created(task, title="New title", jira_id="UBERPOP-2", version=2)
    feed(runtime, [v2], [v1])
    [row] = rows(runtime, priced_tasks)
    assert (row.title, row.jira_id) == ("New title", "UBERPOP-2")


def test_the_account_copy_keeps_the_highest_version_and_everyone_named_gets_a_ledger(runtime):
    kesha, creator = new_id(), new_id()
    newest = account_event(kesha, 3, "account.updated", full_name="Kesha III", login="kesha")
    older = account_event(kesha, 2, "account.role_changed", role="manager", login="kesha")
    feed(runtime, [newest], [older], [account_event(kesha, 1, login="kesha")])
    feed(runtime, [task_created(new_id(), created_by=creator)])
    accounts = {row.public_id: row for row in rows(runtime, ledger_accounts)}
    assert set(accounts) == {kesha, creator}
    assert (accounts[kesha].full_name, accounts[kesha].role, accounts[kesha].version) == (
        "Kesha III",
        "worker",
        3,
    )
    assert accounts[creator].balance == 0 and accounts[creator].email is None


def test_every_entry_is_published_for_analytics_with_integer_cents(runtime):
    task, kesha = new_id(), new_id()
    feed(runtime, [task_assigned(task, kesha), task_completed(task, kesha)])
    recorded = published(runtime, "ledger_entry.recorded")
    assert [(e["kind"], e["account"], e["task"]) for e in recorded] == [
        ("assign_fee", kesha, task),
        ("completion_reward", kesha, task),
    ]
    assert [e["amount"] for e in recorded] == [e.amount for e in entries(runtime)]
    assert all(type(e["amount"]) is int for e in recorded)
    assert {e["entry_id"] for e in recorded} == {e.public_id for e in entries(runtime)}


def test_an_entry_of_the_companys_day_is_dated_in_the_company_time_zone(runtime, use_settings):
    use_settings(timezone="Asia/Tokyo")
    late = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)  # 01:30 on the 21st in Tokyo
    feed(runtime, [task_assigned(new_id(), new_id(), at=late)])
    assert [e.billing_day for e in entries(runtime)] == [date(2026, 11, 21)]


def test_an_entry_for_a_closed_day_goes_to_the_next_open_day(runtime):
    with runtime.db.transaction() as session:
        day_close.close_day(session, MOMENT.date(), MOMENT)
        day_close.close_day(session, MOMENT.date() + timedelta(days=1), MOMENT)
    feed(runtime, [task_assigned(new_id(), new_id())])
    assert [e.billing_day for e in entries(runtime)] == [MOMENT.date() + timedelta(days=2)]


def test_concurrent_first_sight_of_a_task_prices_it_once(runtime):
    task = new_id()
    parrots = [new_id() for _ in range(6)]
    barrier = threading.Barrier(len(parrots))
    failures = []

    def assign(number, parrot):
        barrier.wait()
        try:
            feed(runtime, [task_assigned(task, parrot, number)])
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=assign, args=(n, p)) for n, p in enumerate(parrots, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    [price] = rows(runtime, priced_tasks)
    assert len(published(runtime, "task.priced")) == 1
    assert sorted(e.amount for e in entries(runtime)) == [-price.assign_fee] * 6
    assert_the_books_add_up(runtime)


def test_money_columns_are_integers(runtime):
    for table, names in (
        (ledger_entries, ["amount"]),
        (ledger_accounts, ["balance"]),
        (priced_tasks, ["assign_fee", "completion_reward"]),
    ):
        for name in names:
            assert isinstance(table.c[name].type, sa.Integer | sa.BigInteger), (table, name)
    task, kesha = new_id(), new_id()
    feed(runtime, [task_assigned(task, kesha), task_completed(task, kesha)])
    assert all(type(e.amount) is int for e in entries(runtime))
    assert all(type(b) is int for b in balances(runtime).values())


def test_totals_and_balances_read_back_as_integer_cents_on_every_backend(runtime):
    task, kesha = new_id(), new_id()
    feed(runtime, [task_assigned(task, kesha), task_completed(task, kesha)])
    with runtime.db.transaction() as session:
        totals = queries.totals_of_day(session, MOMENT.date())
        listed = queries.balances(session)
    figures = [totals.fees_charged, totals.rewards_paid, totals.payouts, totals.entries]
    assert all(type(figure) is int for figure in figures), figures
    assert type(totals.management_earnings) is int and totals.fees_charged > 0
    assert [type(b.balance) for b in listed] == [int]
