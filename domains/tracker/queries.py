"""What the tracker's pages read."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domains.tracker.tables import DONE, OPEN, assignees, tasks

STATUSES = (OPEN, DONE)
PAGE_SIZE = 50
COUNT_CAP = 1_000  # "more than 1,000 tasks" beyond this
SEARCH_MAX = assignees.c.full_name.type.length  # no parrot's login or name is longer


@dataclass(frozen=True)
class TaskView:
    public_id: str
    title: str
    jira_id: str | None
    description: str
    status: str
    assignee: str
    assignee_name: str
    assignment: int
    created_by: str
    created_at: datetime
    completed_at: datetime | None

    @property
    def done(self) -> bool:
        return self.status == DONE


@dataclass(frozen=True)
class TaskPage:
    tasks: list[TaskView]
    total: int
    page: int
    page_size: int
    nobody_named: bool = False  # the search names no parrot at all, not just none with tasks
    more: bool = False  # there are more than `total` tasks: counting stopped there

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _select_tasks():
    name = sa.func.coalesce(assignees.c.full_name, "an unknown parrot")
    return sa.select(
        *(tasks.c[field] for field in TaskView.__dataclass_fields__ if field != "assignee_name"),
        name.label("assignee_name"),
    ).select_from(tasks.outerjoin(assignees, assignees.c.public_id == tasks.c.assignee))


def _views(rows) -> list[TaskView]:
    return [TaskView(**row._mapping) for row in rows]


def task(session: Session, public_id: str) -> TaskView | None:
    rows = session.execute(_select_tasks().where(tasks.c.public_id == str(public_id))).all()
    return _views(rows)[0] if rows else None


def open_tasks_of(session: Session, assignee: str) -> list[TaskView]:
    """A parrot's open tasks, newest first."""
    query = (
        _select_tasks()
        .where(tasks.c.assignee == str(assignee), tasks.c.status == OPEN)
        .order_by(tasks.c.id.desc())
    )
    return _views(session.execute(query))


def all_tasks(
    session: Session,
    *,
    status: str | None = None,
    parrot: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> TaskPage:
    """One page of every task, newest first; optionally of one status, of the parrots named."""
    conditions = []
    if status is not None:
        conditions.append(tasks.c.status == status)
    if parrot is not None:
        conditions.append(tasks.c.assignee.in_(_parrots_named(parrot)))
    # Count no further than needed: an exact count of 100,000 tasks cost more than the page.
    limit = max(COUNT_CAP, page * page_size) + 1
    counted = sa.select(tasks.c.id).where(*conditions).limit(limit).subquery()
    total = session.scalar(sa.select(sa.func.count()).select_from(counted))
    more = total == limit
    total -= more
    query = (
        _select_tasks()
        .where(*conditions)
        .order_by(tasks.c.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    found = _views(session.execute(query)) if total else []
    nobody_named = parrot is not None and not total and not _anyone_named(session, parrot)
    return TaskPage(found, total, page, page_size, nobody_named, more)


def _parrots_named(text: str):
    """The parrots whose login or full name contains the text in any case (% and _ as typed)."""
    return sa.select(assignees.c.public_id).where(
        sa.or_(
            assignees.c.login.icontains(text, autoescape=True),
            assignees.c.full_name.icontains(text, autoescape=True),
        )
    )


def _anyone_named(session: Session, text: str) -> bool:
    return session.scalar(sa.select(sa.exists(_parrots_named(text))))
