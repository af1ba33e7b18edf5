"""What accounting does on other domains' events: copies of accounts and tasks, fees, rewards.

Events arrive in any order and any number of times. Whatever names an account opens its ledger
account; whatever names a task prices it. Fees and rewards are keyed by their causing event.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from ates.database import utcnow
from ates.settings import current_settings
from domains.accounting import accounts, ledger, pricing
from outbox import consumer, registry
from outbox.contracts.titles import split_jira_id

c = consumer("accounting")

# Every account event carries the whole account: one handler for all of them.
ACCOUNT_EVENTS = registry.names("account")


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


def when_account_changed_keep_it(session, event):
    accounts.record_account(session, event.data, utcnow())


for _name in ACCOUNT_EVENTS:
    c.handles(_name, versions=(1,))(when_account_changed_keep_it)


@c.handles("task.created", versions=(1, 2))
def when_task_created_price_it(session, event):
    data, now = event.data, utcnow()
    if event.event_version == 1:
        title, jira_id = split_jira_id(data["title"])
    else:
        title, jira_id = data["title"], data["jira_id"]
    pricing.describe_task(session, data["public_id"], title, jira_id, event.event_version, now)
    accounts.open_ledger_accounts(session, [data["created_by"]], now)


@c.handles("task.added", versions=(1,))
def when_task_added_price_it(session, event):
    now = utcnow()
    pricing.see_tasks(session, [event.data["public_id"]], now)
    accounts.open_ledger_accounts(session, [event.data["added_by"]], now)


@c.handles_in_bulk("task.assigned", versions=(1,))
def when_task_assigned_charge_the_fee(session, events):
    """A whole delivery at once: a Reassign of 100,000 tasks arrives in batches of hundreds."""
    assignments = [_task_entry(event, "assigned_at") for event in events]
    ledger.charge_assign_fees(session, assignments, company_timezone(), utcnow())


@c.handles("task.completed", versions=(1,))
def when_task_completed_credit_the_reward(session, event):
    completion = _task_entry(event, "completed_at")
    ledger.credit_completion_rewards(session, [completion], company_timezone(), utcnow())


def _task_entry(event, when: str) -> ledger.TaskEntry:
    """The fee or reward an event causes: for the task's assignee, dated when it happened."""
    data = event.data
    return ledger.TaskEntry(
        cause_id=event.event_id,
        task_id=data["public_id"],
        assignee=data["assignee"],
        happened_at=datetime.fromisoformat(data[when]),
    )
