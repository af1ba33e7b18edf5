"""Order independence: shuffled, duplicated, differently batched events give the same books."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domains.accounting.tables import ledger_accounts, ledger_entries, priced_tasks
from tests.integration.accounting.streams import (
    MOMENT,
    account_event,
    assert_the_books_add_up,
    empty_accounting,
    feed,
    new_id,
    published,
    rows,
    task_assigned,
    task_completed,
    task_created,
)

PARROTS = [new_id() for _ in range(3)]
TASKS = [new_id() for _ in range(4)]


def _stream() -> list[dict]:
    kesha, gosha, pasha = PARROTS
    stream = []
    for number, parrot in enumerate(PARROTS):
        login = f"parrot{number}"
        stream += [
            account_event(parrot, 1, login=login),
            account_event(parrot, 2, "account.updated", login=login, full_name=f"P{number} v2"),
            account_event(parrot, 3, "account.role_changed", login=login, role="accountant"),
        ]
    first, second, third, fourth = TASKS
    stream += [
        task_created(first, "[UBERPOP-1] Feed the parrots", version=1, created_by=pasha),
        task_created(second, "Clean the cage", "UBERPOP-2"),
        task_created(third, "Sing", None),
        # the fourth task is never "created" for accounting: only assigned and completed
    ]
    later = MOMENT + timedelta(hours=1)
    stream += [
        task_assigned(first, kesha, 1),
        task_assigned(first, gosha, 2, later),
        task_completed(first, gosha, later + timedelta(minutes=5)),
        task_assigned(second, gosha, 1),
        task_assigned(third, kesha, 1),
        task_assigned(third, kesha, 2, later),
        task_assigned(third, pasha, 3, later + timedelta(minutes=1)),
        task_assigned(fourth, pasha, 1),
        task_completed(fourth, pasha, later),
    ]
    return stream


STREAM = _stream()


def books(runtime) -> dict:
    """Everything that must not depend on delivery order; amounts relative to each task's price."""
    prices = {row.public_id: row for row in rows(runtime, priced_tasks)}
    expected = {
        "assign_fee": lambda task: -prices[task].assign_fee,
        "completion_reward": lambda task: prices[task].completion_reward,
    }
    entries = rows(runtime, ledger_entries, ledger_entries.c.cause_id)
    assert all(e.amount == expected[e.kind](e.task_id) for e in entries)
    assert_the_books_add_up(runtime)
    assert len(published(runtime, "task.priced")) == len(prices)
    assert len(published(runtime, "ledger_entry.recorded")) == len(entries)
    return {
        "entries": sorted(
            (e.account_id, e.kind, e.task_id, e.cause_id, e.billing_day) for e in entries
        ),
        "tasks": sorted((t.public_id, t.title, t.jira_id) for t in prices.values()),
        "accounts": sorted(
            (a.public_id, a.login, a.full_name, a.role, a.version)
            for a in rows(runtime, ledger_accounts)
        ),
    }


def clean_books(runtime) -> dict:
    empty_accounting(runtime)
    feed(runtime, STREAM)
    return books(runtime)


deliveries = st.permutations(range(len(STREAM))).flatmap(
    lambda order: st.tuples(
        st.just(order),
        st.lists(st.sampled_from(range(len(STREAM))), max_size=len(STREAM)),  # duplicates
        st.lists(st.integers(1, 6), min_size=len(STREAM) * 2, max_size=len(STREAM) * 2),
    )
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(delivery=deliveries)
def test_shuffled_and_duplicated_events_give_the_same_ledger_and_balances(runtime, delivery):
    order, duplicates, batch_sizes = delivery
    expected = clean_books(runtime)
    empty_accounting(runtime)
    messages = [STREAM[i] for i in order] + [STREAM[i] for i in duplicates]
    batches, start = [], 0
    for size in batch_sizes:
        if start >= len(messages):
            break
        batches.append(messages[start : start + size])
        start += size
    feed(runtime, *batches)
    assert books(runtime) == expected
    assert len(expected["entries"]) == 9
