"""The tracker's tables: tasks, and its copy of the parrots who may be assigned them."""

import sqlalchemy as sa

from ates.database import UTCDateTime, metadata

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PublicId = sa.Uuid(as_uuid=False)

OPEN, DONE = "open", "done"
ELIGIBLE_ROLES = ("worker", "accountant")

TITLE_MAX = 200
JIRA_ID_MAX = 32
DESCRIPTION_MAX = 5000

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("public_id", PublicId, nullable=False, unique=True),
    sa.Column("title", sa.String(TITLE_MAX), nullable=False),
    sa.Column("jira_id", sa.String(JIRA_ID_MAX), nullable=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    # The assignee's public id (an account of the auth domain; never a foreign key across domains).
    sa.Column("assignee", PublicId, nullable=False),
    # 1 at creation, +1 at every Reassign: consumers keep the assignment with the highest number.
    sa.Column("assignment", sa.Integer, nullable=False),
    sa.Column("created_by", PublicId, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=True),
    sa.CheckConstraint(f"status IN ('{OPEN}', '{DONE}')", name="status"),
    sa.CheckConstraint("assignment >= 1", name="assignment"),
    # "My open tasks" and "all tasks of one assignee (and status)", newest first.
    sa.Index("ix_tasks_assignee_status_id", "assignee", "status", "id"),
    # "All tasks of one status", newest first; Reassign's scan of the open tasks.
    sa.Index("ix_tasks_status_id", "status", "id"),
    schema="tracker",
)

assignees = sa.Table(
    "assignees",
    metadata,
    sa.Column("public_id", PublicId, primary_key=True),
    sa.Column("login", sa.String(64), nullable=False),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    # The account's version from auth's events: only a higher one replaces what we hold.
    sa.Column("version", sa.Integer, nullable=False),
    schema="tracker",
)


def eligible():
    """The condition for an account that may be given tasks: active, neither manager nor admin."""
    return sa.and_(assignees.c.active.is_(True), assignees.c.role.in_(ELIGIBLE_ROLES))


# One row per press of Reassign: who pressed it, when, and how many tasks it moved.
reassigns = sa.Table(
    "reassigns",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("pressed_by", PublicId, nullable=True),  # None: a command without a parrot
    sa.Column("pressed_at", UTCDateTime, nullable=False),
    sa.Column("moved", sa.Integer, nullable=False),
    schema="tracker",
)

# A task's assignments, the first (at creation) and one per Reassign that moved it.
task_assignments = sa.Table(
    "task_assignments",
    metadata,
    sa.Column("task", PublicId, nullable=False),
    sa.Column("assignment", sa.Integer, nullable=False),
    sa.Column("assignee", PublicId, nullable=False),
    sa.Column("assigned_at", UTCDateTime, nullable=False),
    sa.Column("reassign", BigId, nullable=True),  # None: the assignment at creation
    sa.PrimaryKeyConstraint("task", "assignment"),
    schema="tracker",
)
