"""Property: any order and any duplication of a stream of account and task events, fed through
the real consumer path (`outbox.consumers.apply_batch`) to accounting and then, with what
accounting published, to analytics, gives the same books and figures as the clean stream.

Prices are drawn at random on first sight of a task, so two runs draw different prices. The
property is therefore checked in two parts, both of which can fail:
- every run's books equal a model of the stream computed with the prices *that run* drew
  (each fee = -fee, each reward = +reward, balances = sums, earnings = fees - rewards, the most
  expensive task = the highest reward drawn among completed tasks);
- the run's books with amounts replaced by their kind of price (everything but the draw) equal
  the clean run's.
"""

import random
import uuid
from collections import Counter, defaultdict
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domains.accounting.tables import ledger_accounts, ledger_entries, priced_tasks
from domains.analytics import queries as analytics
from domains.analytics.tables import accounts as analytics_accounts
from domains.analytics.tables import ledger_entries as analytics_entries
from domains.analytics.tables import tasks as analytics_tasks
from outbox.consumers import apply_batch, subscribers
from outbox.relay import message_of
from outbox.tables import dead_letters, events
from tests.conftest import _empty_all_tables
from tests.integration.accounting.streams import (
    MOMENT,
    account_event,
    task_assigned,
    task_completed,
    task_created,
)

DAY = MOMENT.date()
PARROTS = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"aTES-property/parrot{n}")) for n in range(3)]
TASKS = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"aTES-property/task{n}")) for n in range(4)]


tasks_strategy = st.lists(
    st.tuples(
        st.sampled_from([1, 2, None]),  # task.created v1, v2, or never heard of by its creation
        st.lists(st.sampled_from(range(3)), min_size=1, max_size=3),  # assignees, in order
        st.booleans(),  # completed by the last assignee
    ),
    min_size=1,
    max_size=len(TASKS),
)


def build_stream(parrot_count: int, task_plans) -> list[dict]:
    """The clean stream, oldest first: accounts, then each task's life."""
    stream = []
    for n, parrot in enumerate(PARROTS[:parrot_count]):
        stream.append(account_event(parrot, 1, login=f"prop{n}"))
        stream.append(
            account_event(parrot, 2, "account.role_changed", login=f"prop{n}", role="accountant")
        )
    for number, (created, assignees, completed) in enumerate(task_plans):
        task = TASKS[number]
        if created == 1:
            stream.append(task_created(task, f"[UBERPOP-{number}] Task {number}", version=1))
        elif created == 2:
            stream.append(task_created(task, f"Task {number}", f"UBERPOP-{number}"))
        at = MOMENT + timedelta(minutes=10 * number)
        for assignment, who in enumerate(assignees, 1):
            parrot = PARROTS[who % parrot_count]
            stream.append(
                task_assigned(task, parrot, assignment, at + timedelta(minutes=assignment))
            )
        if completed:
            stream.append(task_completed(task, parrot, at + timedelta(minutes=5)))
    return stream


def messy(messages: list[dict], shuffle: random.Random) -> list[list[dict]]:
    """The same messages shuffled, some delivered again, cut into batches of 1..6."""
    delivered = messages + [
        shuffle.choice(messages) for _ in range(shuffle.randint(0, len(messages)))
    ]
    shuffle.shuffle(delivered)
    batches = []
    while delivered:
        size = shuffle.randint(1, 6)
        batches.append(delivered[:size])
        delivered = delivered[size:]
    return batches


def feed(runtime, consumer: str, batches) -> None:
    for batch in batches:
        batch = [m for m in batch if consumer in subscribers(m["event_name"])]
        if batch:
            outcome = apply_batch(runtime.db, consumer, batch)
            assert outcome.failed == [] and outcome.dead == 0, outcome


def accounting_output(runtime) -> list[dict]:
    with runtime.db.transaction() as session:
        rows = session.execute(sa.select(events).where(events.c.producer == "accounting"))
        return [message_of(row) for row in rows]


def run(runtime, stream, shuffle: random.Random | None) -> dict:
    """Feed accounting, then analytics (the stream and accounting's events); read the books."""
    _empty_all_tables(runtime)
    feed(runtime, "accounting", messy(stream, shuffle) if shuffle else [stream])
    published = accounting_output(runtime)
    to_analytics = stream + published
    feed(runtime, "analytics", messy(to_analytics, shuffle) if shuffle else [to_analytics])
    with runtime.db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(dead_letters)) == 0
    return books(runtime, stream, published)


def model(stream, prices) -> dict:
    """What the books must say for this stream at these prices."""
    entries, balances, completions = [], Counter(), []
    for m in stream:
        data = m["data"]
        if m["event_name"] == "task.assigned":
            fee = -prices[data["public_id"]][0]
            entries.append((data["assignee"], "assign_fee", data["public_id"], fee))
            balances[data["assignee"]] += fee
        elif m["event_name"] == "task.completed":
            reward = prices[data["public_id"]][1]
            entries.append((data["assignee"], "completion_reward", data["public_id"], reward))
            balances[data["assignee"]] += reward
            completions.append((-reward, data["completed_at"], data["public_id"]))
    return {
        "entries": sorted(entries),
        "balances": dict(balances),
        "earnings": -sum(amount for *_rest, amount in entries),
        "in_the_red": sum(1 for b in balances.values() if b < 0),
        "most_expensive": (min(completions)[2], -min(completions)[0]) if completions else None,
    }


def books(runtime, stream, published) -> dict:
    with runtime.db.transaction() as session:
        prices = {
            p.public_id: (p.assign_fee, p.completion_reward)
            for p in session.execute(sa.select(priced_tasks))
        }
        expected = model(stream, prices)
        ledger = session.execute(sa.select(ledger_entries)).all()
        entries = sorted((e.account_id, e.kind, e.task_id, e.amount) for e in ledger)
        accounts = session.execute(sa.select(ledger_accounts)).all()
        balances = {a.public_id: a.balance for a in accounts if a.balance}
        seen = session.execute(sa.select(analytics_entries)).all()
        expensive = analytics.most_expensive_task(session, DAY, DAY)
        figures = {
            "entries": entries,
            "balances": balances,
            "analytics entries": sorted((e.account, e.kind, e.task, e.amount) for e in seen),
            "analytics balances": {
                a: b for a, b in analytics.balances_at(session, DAY).items() if b
            },
            "earnings": accounting_earnings(ledger),
            "analytics earnings": analytics.management_earnings(session, DAY),
            "analytics in the red": analytics.parrots_in_the_red(session, DAY),
            "analytics most expensive": expensive
            and (expensive.public_id, expensive.completion_reward),
        }
        # Against the model at this run's prices.
        assert entries == expected["entries"]
        assert figures["analytics entries"] == expected["entries"]
        assert (
            balances
            == figures["analytics balances"]
            == {a: b for a, b in expected["balances"].items() if b}
        )
        assert figures["earnings"] == figures["analytics earnings"] == expected["earnings"]
        assert figures["analytics in the red"] == expected["in_the_red"]
        assert figures["analytics most expensive"] == expected["most_expensive"]
        assert len([m for m in published if m["event_name"] == "task.priced"]) == len(prices)
        assert len([m for m in published if m["event_name"] == "payment.made"]) == 0
        # What does not depend on the draw, for comparison with the clean stream.
        shape = {
            "entries": sorted(
                (e.account_id, e.kind, e.task_id, e.cause_id, e.billing_day) for e in ledger
            ),
            "accounts": sorted((a.public_id, a.login, a.role, a.version) for a in accounts),
            "tasks": sorted(
                (t.public_id, t.title, t.jira_id) for t in session.execute(sa.select(priced_tasks))
            ),
            "analytics tasks": sorted(
                (t.public_id, t.title, t.jira_id, t.completed_by, t.completed_day)
                for t in session.execute(sa.select(analytics_tasks))
            ),
            "analytics accounts": sorted(
                (a.public_id, a.login, a.role, a.version)
                for a in session.execute(sa.select(analytics_accounts))
            ),
        }
    return shape


def accounting_earnings(ledger) -> int:
    by_kind = defaultdict(int)
    for e in ledger:
        by_kind[e.kind] += e.amount
    return -(by_kind["assign_fee"] + by_kind["completion_reward"])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    parrot_count=st.integers(1, 3),
    task_plans=tasks_strategy,
    shuffle=st.randoms(use_true_random=False),
)
def test_any_order_and_duplication_of_task_and_account_events_gives_the_same_books(
    runtime, parrot_count, task_plans, shuffle
):
    stream = build_stream(parrot_count, task_plans)
    clean = run(runtime, stream, None)
    assert run(runtime, stream, shuffle) == clean
