"""What analytics keeps from other domains' events: facts keyed by their ids, in any order.

Every handler is an idempotent upsert whose result does not depend on arrival order: accounts
keep their highest version, a task's title comes from its newest task.created version, its
completion and price are set once, ledger entries are inserted once by entry id.
"""

from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa

from domains.analytics.clock import local_day
from domains.analytics.tables import accounts, balances, ledger_entries, tasks
from domains.analytics.upsert import add_to, insert_new, lock_in_order, upsert
from outbox import consumer, registry
from outbox.contracts.titles import split_jira_id

c = consumer("analytics")

# Every account event carries the whole account: one handler for all of them.
ACCOUNT_EVENTS = registry.names("account")
ACCOUNT_FIELDS = ("login", "full_name", "role", "active", "version")


def _newer_version(table, new):
    return new.version > table.c.version


def when_account_changed_remember_it(session, event):
    data = event.data
    upsert(
        session,
        accounts,
        {"public_id": data["public_id"]} | {name: data[name] for name in ACCOUNT_FIELDS},
        key=["public_id"],
        update=ACCOUNT_FIELDS,
        when=_newer_version,
    )


for _name in ACCOUNT_EVENTS:
    c.handles(_name, versions=(1,))(when_account_changed_remember_it)


def _newer_reading(table, new):
    return sa.or_(table.c.created_version.is_(None), new.created_version > table.c.created_version)


@c.handles("task.created", versions=(1, 2))
def when_task_created_remember_the_title(session, event):
    data = event.data
    if event.event_version == 1:
        title, jira_id = split_jira_id(data["title"])
    else:
        title, jira_id = data["title"], data["jira_id"]
    upsert(
        session,
        tasks,
        {
            "public_id": data["public_id"],
            "title": title,
            "jira_id": jira_id,
            "created_version": event.event_version,
        },
        key=["public_id"],
        update=("title", "jira_id", "created_version"),
        when=_newer_reading,
    )


def _first_completion(table, new):
    """Done is final: the first completion stands (the earliest, should two ever differ)."""
    return sa.or_(table.c.completed_at.is_(None), new.completed_at < table.c.completed_at)


@c.handles("task.completed", versions=(1,))
def when_task_completed_remember_it(session, event):
    data = event.data
    completed_at = datetime.fromisoformat(data["completed_at"])
    upsert(
        session,
        tasks,
        {
            "public_id": data["public_id"],
            "completed_by": data["assignee"],
            "completed_at": completed_at,
            "completed_day": local_day(completed_at),
        },
        key=["public_id"],
        update=("completed_by", "completed_at", "completed_day"),
        when=_first_completion,
    )


def _not_priced_yet(table, new):
    return table.c.completion_reward.is_(None)  # a price is fixed once


@c.handles("task.priced", versions=(1,))
def when_task_priced_remember_the_reward(session, event):
    data = event.data
    upsert(
        session,
        tasks,
        {"public_id": data["public_id"], "completion_reward": data["completion_reward"]},
        key=["public_id"],
        update=("completion_reward",),
        when=_not_priced_yet,
    )


@c.locks_first
def lock_the_rows_written_by_others_too(session, events):
    """The balances the batch's entries move (a few hot rows) and the tasks it describes (also
    written by batches of other producers' events), each locked in key order before any write,
    so concurrent batches queue instead of deadlocking."""
    entries = {e.data["account"] for e in events if e.event_name == "ledger_entry.recorded"}
    named = {e.data["public_id"] for e in events if e.event_name.startswith("task.")}
    lock_in_order(session, tasks, "public_id", [{"public_id": t} for t in named], "title")
    rows = [{"account": a, "balance": 0} for a in entries]
    lock_in_order(session, balances, "account", rows, "balance")


@c.handles_in_bulk("ledger_entry.recorded", versions=(1,))
def when_ledger_entry_recorded_remember_it(session, events):
    """A whole delivery in one statement: a Reassign brings entries by the thousand."""
    rows = {
        event.data["entry_id"]: {
            "entry_id": event.data["entry_id"],
            "account": event.data["account"],
            "kind": event.data["kind"],
            "amount": event.data["amount"],
            "billing_day": date.fromisoformat(event.data["billing_day"]),
            "task": event.data["task"],
        }
        for event in events
    }
    # One order for every delivery, so two deliveries of the same entries never deadlock.
    stored = insert_new(
        session,
        ledger_entries,
        [rows[key] for key in sorted(rows)],
        key=["entry_id"],
        returning=(ledger_entries.c.account, ledger_entries.c.amount),
    )
    # Only entries stored just now move a balance: a duplicate was not inserted, so adds nothing.
    moved = defaultdict(int)
    for account, amount in stored:
        moved[account] += amount
    add_to(session, balances, "account", "balance", moved)
