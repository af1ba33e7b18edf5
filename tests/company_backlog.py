"""A backlog as an outage leaves it: accounts opened, tasks created, several Reassigns' fees and
completions' rewards, all published and waiting, for a company of any size.

Shared by the hot-accounts test (a dozen parrots) and its benchmark row (a dozen vs 10,000).
"""

import random
import uuid
from dataclasses import dataclass, field

from ates.database import utcnow
from outbox import Event, publish_events
from outbox.tracing import new_id


@dataclass
class Backlog:
    """The events, and what accounting must make of them."""

    events: list[Event] = field(default_factory=list)
    fees: dict[str, tuple[str, str]] = field(default_factory=dict)  # cause -> (task, assignee)
    rewards: dict[str, tuple[str, str]] = field(default_factory=dict)  # cause -> (task, assignee)
    accounts: list[str] = field(default_factory=list)

    def publish(self, db) -> None:
        with db.transaction() as session:
            publish_events(session, self.events)


def mixed_backlog(accounts: int, tasks: int, reassigns: int, seed: int = 13) -> Backlog:
    """Accounts, then `tasks` tasks each assigned once plus once per Reassign, half completed.

    Events come in the order and with the correlation ids the tracker would publish them: a
    task's creation and first assignment from one click, a Reassign's fees for every open task in
    one burst (one press), completions (a click each) between the bursts, an account renamed
    now and then.
    """
    draw = random.Random(seed)
    backlog = Backlog(accounts=[str(uuid.UUID(int=draw.getrandbits(128))) for _ in range(accounts)])
    for number, account in enumerate(backlog.accounts):
        backlog.events.append(_account_event("account.created", account, number, version=1))
    creator = backlog.accounts[0]
    open_tasks: dict[str, tuple[str, int]] = {}  # task -> (assignee, assignments so far)
    for number in range(tasks):
        task, click = str(uuid.UUID(int=draw.getrandbits(128))), new_id("req")
        backlog.events.append(_task_created(task, number, creator, click))
        open_tasks[task] = (None, 0)
        _assign(backlog, task, draw.choice(backlog.accounts), open_tasks, click)
    for press in range(reassigns):
        click = new_id("req")
        for task in list(open_tasks):
            _assign(backlog, task, draw.choice(backlog.accounts), open_tasks, click)
        for task in draw.sample(sorted(open_tasks), len(open_tasks) // (2 * (reassigns - press))):
            _complete(backlog, task, open_tasks, new_id("req"))
        renamed = draw.randrange(accounts)
        backlog.events.append(
            _account_event("account.updated", backlog.accounts[renamed], renamed, version=2 + press)
        )
    return backlog


def _account_event(name: str, account: str, number: int, version: int) -> Event:
    data = {
        "public_id": account,
        "login": f"parrot{number}",
        "full_name": f"Parrot {number} v{version}",
        "email": f"parrot{number}@uberpopug.example",
        "role": "worker",
        "active": True,
        "version": version,
    }
    return Event(name, 1, "auth", account, data)


def _task_created(task: str, number: int, creator: str, click: str) -> Event:
    data = {
        "public_id": task,
        "title": f"Backlog task {number}",
        "jira_id": None,
        "description": "",
        "created_by": creator,
        "created_at": utcnow().isoformat(),
    }
    return Event("task.created", 2, "tracker", task, data, correlation_id=click)


def _assign(backlog: Backlog, task: str, assignee: str, open_tasks: dict, click: str) -> None:
    assignment = open_tasks[task][1] + 1
    open_tasks[task] = (assignee, assignment)
    data = {
        "public_id": task,
        "assignee": assignee,
        "assignment": assignment,
        "assigned_at": utcnow().isoformat(),
    }
    event = Event("task.assigned", 1, "tracker", task, data, correlation_id=click)
    backlog.events.append(event)
    backlog.fees[event.event_id] = (task, assignee)


def _complete(backlog: Backlog, task: str, open_tasks: dict, click: str) -> None:
    assignee, _ = open_tasks.pop(task)
    data = {"public_id": task, "assignee": assignee, "completed_at": utcnow().isoformat()}
    event = Event("task.completed", 1, "tracker", task, data, correlation_id=click)
    backlog.events.append(event)
    backlog.rewards[event.event_id] = (task, assignee)
