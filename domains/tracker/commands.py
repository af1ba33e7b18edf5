"""The only code that changes tasks; each change publishes its events in the same transaction."""

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import Backend, backend
from ates.database import UTCDateTime, utcnow
from ates.words import Words
from domains.tracker.tables import (
    DESCRIPTION_MAX,
    DONE,
    JIRA_ID_MAX,
    OPEN,
    TITLE_MAX,
    assignees,
    eligible,
    reassigns,
    task_assignments,
    tasks,
)
from outbox import publish
from outbox.publish import publish_from

PRODUCER = "tracker"
JIRA_ID = re.compile(r"^[A-Z][A-Z0-9]*-[0-9]+$")
# Any constant bigint works; it names "the shuffle" among the transaction locks.
REASSIGN_LOCK = 0x7472_6163_6B65_72  # "tracker"


class TrackerError(Exception):
    """A command refused; its words are meant for the parrot who asked."""

    @property
    def words(self) -> str:
        return self.args[0]


@dataclass
class InvalidTask(TrackerError):
    """The form's fields that are wrong, each with its message."""

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{name}: {message}" for name, message in self.errors.items())


class NoEligibleAssignee(TrackerError):
    pass


class CompletionRefused(TrackerError):
    pass


@dataclass(frozen=True)
class NewTask:
    title: str
    jira_id: str | None
    description: str


def validate_task(title: str, jira_id: str = "", description: str = "") -> NewTask:
    """The task as it will be saved, or InvalidTask naming every wrong field."""
    title = (title or "").strip()
    jira_id = (jira_id or "").strip().upper()
    description = (description or "").strip()
    errors = {}
    if not title:
        errors["title"] = Words("A task needs a title.")
    elif "[" in title or "]" in title:
        errors["title"] = Words(
            "The title may not contain [ or ]. Put the Jira id (e.g. UBERPOP-42) "
            "in its own Jira id field."
        )
    elif len(title) > TITLE_MAX:
        errors["title"] = Words(
            "The title is %(length)d characters long; at most %(most)d.",
            length=len(title),
            most=TITLE_MAX,
        )
    if jira_id and (len(jira_id) > JIRA_ID_MAX or not JIRA_ID.match(jira_id)):
        errors["jira_id"] = Words("A Jira id looks like UBERPOP-42 (letters, a dash, a number).")
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = Words(
            "The description is %(length)d characters long; at most %(most)d.",
            length=len(description),
            most=DESCRIPTION_MAX,
        )
    if errors:
        raise InvalidTask(errors)
    return NewTask(title, jira_id or None, description)


def create_task(
    session: Session, *, title: str, jira_id: str = "", description: str = "", created_by: str
) -> dict:
    """Save a task with a random eligible assignee; publish task.created, added, assigned."""
    task = validate_task(title, jira_id, description)
    assignee = session.scalar(
        sa.select(assignees.c.public_id).where(eligible()).order_by(sa.func.random()).limit(1)
    )
    if assignee is None:
        raise NoEligibleAssignee(
            Words(
                "Nobody can take the task: there is no active worker or accountant. "
                "Nothing was saved."
            )
        )
    now = utcnow()
    row = {
        "public_id": str(uuid.uuid4()),
        "title": task.title,
        "jira_id": task.jira_id,
        "description": task.description,
        "status": OPEN,
        "assignee": assignee,
        "assignment": 1,
        "created_by": str(created_by),
        "created_at": now,
    }
    session.execute(sa.insert(tasks).values(row))
    session.execute(
        sa.insert(task_assignments).values(
            task=row["public_id"], assignment=1, assignee=assignee, assigned_at=now
        )
    )
    key, by, at = row["public_id"], row["created_by"], now.isoformat()
    created = {
        "public_id": key,
        "title": task.title,
        "jira_id": task.jira_id,
        "description": task.description,
        "created_by": by,
        "created_at": at,
    }
    _publish(session, "task.created", 2, key, created)
    _publish(session, "task.added", 1, key, {"public_id": key, "added_by": by, "added_at": at})
    assigned = {"public_id": key, "assignee": assignee, "assignment": 1, "assigned_at": at}
    _publish(session, "task.assigned", 1, key, assigned)
    return row


def complete_task(session: Session, *, task: str, by: str) -> None:
    """Mark the task done; only its assignee may, and only once."""
    now = utcnow()
    done = session.execute(
        sa.update(tasks)
        .where(tasks.c.public_id == str(task), tasks.c.status == OPEN, tasks.c.assignee == str(by))
        .values(status=DONE, completed_at=now)
        .returning(tasks.c.public_id)
    ).first()
    if done is None:
        raise CompletionRefused(_why_not_completed(session, str(task), str(by)))
    completed = {"public_id": str(task), "assignee": str(by), "completed_at": now.isoformat()}
    _publish(session, "task.completed", 1, str(task), completed)


def _why_not_completed(session: Session, task: str, by: str) -> str:
    found = session.execute(
        sa.select(tasks.c.status, tasks.c.assignee).where(tasks.c.public_id == task)
    ).first()
    if found is None:
        return Words("There is no such task.")
    if found.status == DONE:
        return Words("This task is already done.")
    return Words("This task is no longer yours: it was reassigned to someone else.")


def reassign_open_tasks(session: Session, by: str | None = None) -> int:
    """Give every open task an independently drawn eligible assignee; return how many moved.

    The press is kept (who, when, how many) and every moved task's new assignment with it, so a
    task's page can say which Reassign gave it to whom.

    One shuffle at a time (the backend's transaction lock). The shuffle and its events are one
    UPDATE feeding one INSERT: no 100,000 rows through Python where the database can help it.
    """
    database = backend(session)
    database.lock(session, REASSIGN_LOCK)
    if not session.scalar(sa.select(sa.exists().where(eligible()))):
        if session.scalar(sa.select(sa.exists().where(tasks.c.status == OPEN))):
            raise NoEligibleAssignee(
                Words(
                    "Nobody can take the tasks: there is no active worker or accountant. "
                    "Nothing changed."
                )
            )
        return 0
    now = utcnow()
    press = session.scalar(
        sa.insert(reassigns)
        .values(pressed_by=by, pressed_at=now, moved=0)
        .returning(reassigns.c.id)
    )
    with database.modified(session, _reassign_statement(database), "moved") as moved_rows:
        moved = publish_from(
            session,
            "task.assigned",
            1,
            producer=PRODUCER,
            source=moved_rows,
            key=moved_rows.c.public_id,
            data={
                "public_id": moved_rows.c.public_id,
                "assignee": moved_rows.c.assignee,
                "assignment": moved_rows.c.assignment,
                "assigned_at": sa.literal(now.isoformat()),
            },
            event_time=now,  # one shuffle, one moment
        )
    _keep_the_press(session, press, moved, now)
    return moved


def _keep_the_press(session: Session, press: int, moved: int, now: datetime) -> None:
    """Every open task moved in this press (the shuffle holds the lock): one INSERT ... SELECT."""
    session.execute(sa.update(reassigns).where(reassigns.c.id == press).values(moved=moved))
    session.execute(
        sa.insert(task_assignments).from_select(
            ["task", "assignment", "assignee", "assigned_at", "reassign"],
            sa.select(
                tasks.c.public_id,
                tasks.c.assignment,
                tasks.c.assignee,
                sa.literal(now, UTCDateTime),
                sa.literal(press, sa.BigInteger),
            ).where(tasks.c.status == OPEN),
        )
    )


def _reassign_statement(database: Backend):
    """One UPDATE: number the pool, draw a number per open task, join the two.

    The draw lives in a MATERIALIZED CTE so random() runs exactly once per task: a scalar random
    subquery would run once for the whole statement (every task to one parrot), and a draw
    inlined into the join condition would run once per (task, parrot) pair.
    """
    pool = (
        sa.select(
            assignees.c.public_id,
            (sa.func.row_number().over(order_by=assignees.c.public_id) - 1).label("n"),
        )
        .where(eligible())
        .cte("pool")
        .prefix_with("MATERIALIZED")
    )
    # The pool's size is one value for the statement (counted in the same snapshot as the pool);
    # random() is evaluated for every task row.
    pool_size = sa.select(sa.func.count()).select_from(pool).scalar_subquery()
    draw = (
        sa.select(tasks.c.id, database.random_below(pool_size).label("n"))
        .where(tasks.c.status == OPEN)
        .cte("draw")
        .prefix_with("MATERIALIZED")
    )
    return (
        sa.update(tasks)
        .where(tasks.c.id == draw.c.id, pool.c.n == draw.c.n, tasks.c.status == OPEN)
        .values(assignee=pool.c.public_id, assignment=tasks.c.assignment + 1)
        .returning(tasks.c.public_id, tasks.c.assignee, tasks.c.assignment)
    )


def _publish(session: Session, name: str, version: int, key: str, data: dict) -> None:
    publish(session, name, version, producer=PRODUCER, key=key, data=data)
