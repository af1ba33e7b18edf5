"""What accounting does on other domains' events: copies of accounts and tasks, fees, rewards.

Events arrive in any order and any number of times. Whatever names an account opens its ledger
account; whatever names a task prices it. Fees and rewards are keyed by their causing event.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from ates.database import utcnow
from ates.settings import current_settings
from domains.accounting import accounts, ledger, pricing
from domains.accounting.rules import split_jira_id
from outbox import consumer

c = consumer("accounting")

ACCOUNT_EVENTS = (
    "account.created",
    "account.updated",
    "account.role_changed",
    "account.deactivated",
    "account.reactivated",
)


# Where each event names a parrot: the ledger account it will write.
ACCOUNT_NAMED_BY = {name: "public_id" for name in ACCOUNT_EVENTS} | {
    "task.created": "created_by",
    "task.added": "added_by",
    "task.assigned": "assignee",
    "task.completed": "assignee",
}


@c.locks_first
def lock_the_ledger_accounts(session, events):
    """The few hot rows: every account the batch names, locked in id order before any write."""
    named = (e.data[ACCOUNT_NAMED_BY[e.event_name]] for e in events)
    accounts.lock_ledger_accounts(session, named, utcnow())


def company_timezone() -> ZoneInfo:
    """The company's time zone, from the running process's settings."""
    return ZoneInfo(current_settings().timezone)


def _account_changed(session, event):
    accounts.record_account(session, event.data, utcnow())


for _name in ACCOUNT_EVENTS:
    c.handles(_name, versions=(1,))(_account_changed)


@c.handles("task.created", versions=(1, 2))
def when_task_created_price_it(session, event):
    data, now = event.data, utcnow()
    if event.event_version == 1:
        title, jira_id = split_jira_id(data["title"])
    else:
        title, jira_id = data["title"], data["jira_id"]
    pricing.describe_task(session, data["public_id"], title, jira_id, event.event_version, now)
    accounts.open_ledger_account(session, data["created_by"], now)


@c.handles("task.added", versions=(1,))
def when_task_added_price_it(session, event):
    now = utcnow()
    pricing.see_task(session, event.data["public_id"], now)
    accounts.open_ledger_account(session, event.data["added_by"], now)


@c.handles_in_bulk("task.assigned", versions=(1,))
def when_tasks_assigned_charge_the_fees(session, events):
    """A whole delivery at once: a Reassign of 100,000 tasks arrives in batches of hundreds."""
    timezone, now = company_timezone(), utcnow()
    if session.get_bind().dialect.name == "postgresql":
        assignments = [
            ledger.Assignment(
                cause_id=e.event_id,
                task_id=e.data["public_id"],
                assignee=e.data["assignee"],
                assigned_at=datetime.fromisoformat(e.data["assigned_at"]),
            )
            for e in events
        ]
        ledger.charge_assign_fees(session, assignments, timezone, now)
        return
    for event in events:
        data = event.data
        ledger.charge_assign_fee(
            session,
            task_id=data["public_id"],
            assignee=data["assignee"],
            cause_id=event.event_id,
            assigned_at=datetime.fromisoformat(data["assigned_at"]),
            timezone=timezone,
            now=now,
        )


@c.handles("task.completed", versions=(1,))
def when_task_completed_credit_the_reward(session, event):
    data = event.data
    ledger.credit_completion_reward(
        session,
        task_id=data["public_id"],
        assignee=data["assignee"],
        cause_id=event.event_id,
        completed_at=datetime.fromisoformat(data["completed_at"]),
        timezone=company_timezone(),
        now=utcnow(),
    )
