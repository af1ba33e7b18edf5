"""What the tracker's pages read."""

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domains.tracker.tables import (
    DONE,
    OPEN,
    assignees,
    eligible,
    reassigns,
    task_assignments,
    tasks,
)

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


def open_tasks_of(
    session: Session, assignee: str, *, page: int = 1, page_size: int = PAGE_SIZE
) -> TaskPage:
    """One page of a parrot's open tasks, newest first (a Reassign among a dozen parrots gives
    each of them hundreds)."""
    mine = (tasks.c.assignee == str(assignee), tasks.c.status == OPEN)
    return _page(session, mine, [tasks.c.id.desc()], page, page_size)


# The columns a list may be sorted by; "-name" sorts descending. Ties keep the newest first.
SORTS = {
    "created": tasks.c.id,
    "title": tasks.c.title,
    "jira": tasks.c.jira_id,
    "status": tasks.c.status,
    "assignee": assignees.c.full_name,
}
DEFAULT_SORT = "-created"


def all_tasks(
    session: Session,
    *,
    status: str | None = None,
    parrot: str | None = None,
    text: str | None = None,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> TaskPage:
    """One page of every task, newest first or as sorted; optionally of one status, of the
    parrots named, with a title or Jira id containing the text."""
    conditions = []
    if status is not None:
        conditions.append(tasks.c.status == status)
    if parrot is not None:
        conditions.append(tasks.c.assignee.in_(_parrots_named(parrot)))
    if text is not None:
        conditions.append(
            sa.or_(
                tasks.c.title.icontains(text, autoescape=True),
                tasks.c.jira_id.icontains(text, autoescape=True),
            )
        )
    column = SORTS[sort.removeprefix("-")]
    order = [column.desc() if sort.startswith("-") else column.asc()]
    if column is not tasks.c.id:
        order.append(tasks.c.id.desc())
    found = _page(session, conditions, order, page, page_size)
    nobody_named = parrot is not None and not found.total and not _anyone_named(session, parrot)
    return replace(found, nobody_named=nobody_named)


def _page(session: Session, conditions, order, page: int, page_size: int) -> TaskPage:
    # Count no further than needed: an exact count of 100,000 tasks cost more than the page.
    limit = max(COUNT_CAP, page * page_size) + 1
    counted = sa.select(tasks.c.id).where(*conditions).limit(limit).subquery()
    total = session.scalar(sa.select(sa.func.count()).select_from(counted))
    more = total == limit
    total -= more
    query = (
        _select_tasks()
        .where(*conditions)
        .order_by(*order)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    found = _views(session.execute(query)) if total else []
    return TaskPage(found, total, page, page_size, more=more)


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


@dataclass(frozen=True)
class Assignment:
    number: int
    assignee: str
    assignee_name: str
    assigned_at: datetime
    reassign: int | None  # the press of Reassign that made it; None: at creation
    pressed_by_name: str | None


def assignments_of(session: Session, task: str) -> list[Assignment]:
    """A task's assignments, first to last, with who pressed the Reassign behind each."""
    assignee = assignees.alias("assignee")
    presser = assignees.alias("presser")
    query = (
        sa.select(
            task_assignments.c.assignment.label("number"),
            task_assignments.c.assignee,
            sa.func.coalesce(assignee.c.full_name, "an unknown parrot").label("assignee_name"),
            task_assignments.c.assigned_at,
            task_assignments.c.reassign,
            presser.c.full_name.label("pressed_by_name"),
        )
        .select_from(
            task_assignments.outerjoin(
                assignee, assignee.c.public_id == task_assignments.c.assignee
            )
            .outerjoin(reassigns, reassigns.c.id == task_assignments.c.reassign)
            .outerjoin(presser, presser.c.public_id == reassigns.c.pressed_by)
        )
        .where(task_assignments.c.task == str(task))
        .order_by(task_assignments.c.assignment)
    )
    return [Assignment(**row._mapping) for row in session.execute(query)]


def name_of(session: Session, public_id: str) -> str | None:
    """A parrot's full name as the tracker knows it."""
    return session.scalar(
        sa.select(assignees.c.full_name).where(assignees.c.public_id == str(public_id))
    )


@dataclass(frozen=True)
class Reassign:
    number: int
    pressed_by_name: str | None
    pressed_at: datetime
    moved: int


def last_reassign(session: Session) -> Reassign | None:
    row = session.execute(
        sa.select(
            reassigns.c.id.label("number"),
            assignees.c.full_name.label("pressed_by_name"),
            reassigns.c.pressed_at,
            reassigns.c.moved,
        )
        .select_from(
            reassigns.outerjoin(assignees, assignees.c.public_id == reassigns.c.pressed_by)
        )
        .order_by(reassigns.c.id.desc())
        .limit(1)
    ).first()
    return Reassign(**row._mapping) if row else None


def open_count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).where(tasks.c.status == OPEN))


@dataclass(frozen=True)
class ReassignSummary:
    """What one press of Reassign did: tasks moved, and among how many parrots."""

    number: int
    pressed_by_name: str | None
    pressed_at: datetime
    moved: int
    parrots: int  # parrots who got at least one task (each charged a fee per task)


def reassign_summary(session: Session, number: int) -> ReassignSummary | None:
    parrots = (
        sa.select(sa.func.count(sa.distinct(task_assignments.c.assignee)))
        .where(task_assignments.c.reassign == number)
        .scalar_subquery()
    )
    row = session.execute(
        sa.select(
            reassigns.c.id.label("number"),
            assignees.c.full_name.label("pressed_by_name"),
            reassigns.c.pressed_at,
            reassigns.c.moved,
            parrots.label("parrots"),
        )
        .select_from(
            reassigns.outerjoin(assignees, assignees.c.public_id == reassigns.c.pressed_by)
        )
        .where(reassigns.c.id == number)
    ).first()
    return ReassignSummary(**row._mapping) if row else None


def eligible_count(session: Session) -> int:
    """How many parrots may be given tasks (the pool a Reassign draws from)."""
    return session.scalar(sa.select(sa.func.count()).where(eligible()))


def last_reassign_number(session: Session) -> int | None:
    return session.scalar(sa.select(sa.func.max(reassigns.c.id)))
