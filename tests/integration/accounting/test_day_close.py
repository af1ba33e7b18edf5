"""The day close: pays positive balances once per account and billing day, carries the rest."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ates.money import dollars
from domains.accounting import day_close, queries
from domains.accounting.tables import day_close_payouts, ledger_entries, priced_tasks
from tests.integration.accounting.streams import (
    MOMENT,
    account_event,
    assert_the_books_add_up,
    balances,
    close_ids,
    feed,
    new_id,
    published,
    rows,
    task_assigned,
    task_completed,
)

DAY = MOMENT.date()


def close(runtime, day=DAY):
    with runtime.db.transaction() as session:
        return day_close.close_day(session, day, MOMENT + timedelta(hours=14))


@pytest.fixture
def company(runtime):
    """Kesha ends the day in the black, Gosha in the red; both known to auth."""
    kesha, gosha = new_id(), new_id()
    charged = new_id()
    feed(
        runtime,
        [account_event(kesha, login="kesha"), account_event(gosha, login="gosha")],
        [task_assigned(charged, gosha)],
    )
    earned = []
    kesha_balance = 0
    while kesha_balance <= 0:  # a $20 fee and a $20 reward leave Kesha at zero: one more task
        earned.append(new_id())
        feed(runtime, [task_assigned(earned[-1], kesha), task_completed(earned[-1], kesha)])
        prices = {row.public_id: row for row in rows(runtime, priced_tasks)}
        kesha_balance = sum(prices[t].completion_reward - prices[t].assign_fee for t in earned)
    return {
        "kesha": kesha,
        "gosha": gosha,
        "kesha_balance": kesha_balance,
        "gosha_balance": -prices[charged].assign_fee,
    }


def payouts(runtime):
    return [e for e in rows(runtime, ledger_entries, ledger_entries.c.id) if e.kind == "payout"]


def test_the_close_pays_out_and_zeroes_positive_balances_and_carries_negatives(runtime, company):
    result = close(runtime)
    assert (result.paid, result.total) == (1, company["kesha_balance"])
    assert balances(runtime) == {company["kesha"]: 0, company["gosha"]: company["gosha_balance"]}
    [payout] = payouts(runtime)
    assert (payout.account_id, payout.amount, payout.billing_day) == (
        company["kesha"],
        -company["kesha_balance"],
        DAY,
    )
    # The ids derive from (account, day), so a re-run could only ever repeat them.
    entry_id, payment_id = close_ids(company["kesha"], DAY)
    assert payout.public_id == entry_id
    assert published(runtime, "payment.made") == [
        {
            "payment_id": payment_id,
            "account": company["kesha"],
            "full_name": "Parrot kesha",
            "email": "kesha@uberpopug.example",
            "amount": company["kesha_balance"],
            "billing_day": DAY.isoformat(),
        }
    ]
    recorded = [e for e in published(runtime, "ledger_entry.recorded") if e["kind"] == "payout"]
    assert [(e["entry_id"], e["account"], e["amount"], e["task"]) for e in recorded] == [
        (entry_id, company["kesha"], -company["kesha_balance"], None)
    ]
    assert_the_books_add_up(runtime)


def test_a_close_run_twice_pays_each_account_once(runtime, company):
    close(runtime)
    again = close(runtime)
    assert (again.paid, again.total) == (0, 0)
    assert len(payouts(runtime)) == 1 and len(published(runtime, "payment.made")) == 1


def test_concurrent_closes_pay_each_account_once(runtime, company):
    barrier = threading.Barrier(4)
    results, failures = [], []

    def run():
        barrier.wait()
        try:
            results.append(close(runtime))
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(r.paid for r in results) == [0, 0, 0, 1]
    assert sum(r.total for r in results) == company["kesha_balance"]
    assert len(payouts(runtime)) == 1 and len(published(runtime, "payment.made")) == 1
    assert balances(runtime)[company["kesha"]] == 0


def test_a_close_that_crashed_halfway_pays_once_when_run_again(runtime, company, monkeypatch):
    def crash(*_args, **_kwargs):
        raise RuntimeError("the worker died halfway through the close")

    with monkeypatch.context() as patch:
        patch.setattr(day_close, "publish_from", crash)
        with pytest.raises(RuntimeError, match="halfway"):
            close(runtime)
    assert payouts(runtime) == [] and rows(runtime, day_close_payouts) == []
    assert balances(runtime)[company["kesha"]] == company["kesha_balance"]
    result = close(runtime)
    assert (result.paid, result.total) == (1, company["kesha_balance"])
    assert close(runtime).paid == 0
    assert len(published(runtime, "payment.made")) == 1


def test_a_negative_balance_carries_over_until_rewards_lift_it(runtime, company):
    close(runtime)
    task = new_id()
    feed(
        runtime,
        [task_assigned(task, company["gosha"]), task_completed(task, company["gosha"])],
    )
    for _ in range(6):  # enough rewards to leave the red whatever the prices were
        task = new_id()
        feed(runtime, [task_completed(task, company["gosha"])])
    next_day = close(runtime, DAY + timedelta(days=1))
    assert next_day.paid == 1 and balances(runtime)[company["gosha"]] == 0
    [_, gosha_payout] = payouts(runtime)
    assert gosha_payout.billing_day == DAY + timedelta(days=1)
    assert_the_books_add_up(runtime)


def earn(runtime, parrot, at) -> int:
    """Tasks assigned and done `at` until the parrot earned something; returns how much."""
    earned = 0
    while earned <= 0:  # a $20 fee and a $20 reward earn nothing
        task = new_id()
        feed(runtime, [task_assigned(task, parrot, at=at), task_completed(task, parrot, at=at)])
        price = next(row for row in rows(runtime, priced_tasks) if row.public_id == task)
        earned += price.completion_reward - price.assign_fee
    return earned


def preview(runtime, day) -> int:
    with runtime.db.reading() as session:
        return queries.close_preview(session, day).total


def test_a_late_close_pays_what_its_day_earned_and_the_next_day_keeps_its_own(runtime):
    kesha = new_id()
    feed(runtime, [account_event(kesha, login="kesha")])
    first = earn(runtime, kesha, MOMENT)
    second = earn(runtime, kesha, MOMENT + timedelta(days=1))  # applied before the close ran
    assert (preview(runtime, DAY), preview(runtime, DAY + timedelta(days=1))) == (
        first,
        first + second,
    )

    assert close(runtime).total == first
    assert balances(runtime)[kesha] == second
    assert close(runtime, DAY + timedelta(days=1)).total == second
    assert [(p.billing_day, -p.amount) for p in payouts(runtime)] == [
        (DAY, first),
        (DAY + timedelta(days=1), second),
    ]
    assert balances(runtime)[kesha] == 0
    assert_the_books_add_up(runtime)


def test_a_day_closed_after_a_later_one_pays_nothing_the_later_close_paid_it(runtime):
    kesha = new_id()
    feed(runtime, [account_event(kesha, login="kesha")])
    first = earn(runtime, kesha, MOMENT)
    second = earn(runtime, kesha, MOMENT + timedelta(days=1))

    assert close(runtime, DAY + timedelta(days=1)).total == first + second
    assert preview(runtime, DAY) == 0
    late = close(runtime)
    assert (late.paid, late.total, late.already_closed) == (0, 0, False)
    assert len(payouts(runtime)) == 1 and balances(runtime)[kesha] == 0
    assert_the_books_add_up(runtime)


def test_an_account_without_an_email_yet_keeps_its_balance_until_a_later_close(runtime):
    stranger, task = new_id(), new_id()
    feed(runtime, [task_completed(task, stranger)])
    result = close(runtime)
    assert (result.paid, result.waiting_for_email) == (0, 1)
    feed(runtime, [account_event(stranger, login="stranger")])
    later = close(runtime, DAY + timedelta(days=1))
    assert (later.paid, later.waiting_for_email) == (1, 0)
    assert balances(runtime)[stranger] == 0


def test_each_account_is_paid_at_most_once_per_billing_day_by_the_database(runtime, company):
    close(runtime)
    with pytest.raises(sa.exc.IntegrityError), runtime.db.transaction() as session:
        session.execute(
            sa.insert(day_close_payouts).values(
                account_id=company["kesha"],
                billing_day=DAY,
                amount=1,
                run_id="x",
                paid_at=MOMENT,
            )
        )


def test_the_operations_panel_shows_the_last_day_close(runtime, company):
    with runtime.db.transaction() as session:
        assert queries.last_day_close(session) is None
    close(runtime)
    with runtime.db.transaction() as session:
        shown = queries.last_day_close(session)
    assert shown["Billing day"] == DAY.isoformat() and shown["Parrots paid"] == 1
    assert shown["Paid out"] == f"${dollars(company['kesha_balance'])}"
