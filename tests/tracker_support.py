"""Factories for the tracker's tests: parrots from auth's events, tasks in bulk."""

import uuid
from itertools import count

import sqlalchemy as sa

from ates.database import utcnow
from domains.tracker.tables import OPEN, assignees, tasks
from outbox import publish_events
from tests.events import event

_serial = count(1)


def account(role="worker", active=True, version=1, public_id=None, **fields) -> dict:
    """A whole account as auth's events carry it."""
    n = next(_serial)
    return {
        "public_id": public_id or str(uuid.uuid4()),
        "login": fields.pop("login", f"parrot{n}"),
        "full_name": fields.pop("full_name", f"Parrot {n}"),
        "email": fields.pop("email", f"parrot{n}@uberpopug.example"),
        "role": role,
        "active": active,
        "version": version,
    } | fields


def publish_account(runtime, name: str, data: dict) -> None:
    """Publish one of auth's account events, as auth would."""
    with runtime.db.transaction() as session:
        publish_events(session, [event(name, **data)])


def add_parrots(runtime, n: int, role="worker") -> list[str]:
    """Put parrots straight into the tracker's pool (for tests about tasks, not about the pool)."""
    rows = [account(role) for _ in range(n)]
    with runtime.db.transaction() as session:
        session.execute(
            sa.insert(assignees),
            [
                {k: r[k] for k in ("public_id", "login", "full_name", "role", "active", "version")}
                for r in rows
            ],
        )
    return [r["public_id"] for r in rows]


def add_open_tasks(runtime, n: int, assignee: str, chunk: int = 10_000) -> None:
    """Open tasks in bulk, each at its first assignment."""
    now = utcnow()
    creator = str(uuid.uuid4())
    with runtime.db.transaction() as session:
        for start in range(0, n, chunk):
            session.execute(
                sa.insert(tasks),
                [
                    {
                        "public_id": str(uuid.uuid4()),
                        "title": f"Task {i}",
                        "jira_id": None,
                        "description": "",
                        "status": OPEN,
                        "assignee": assignee,
                        "assignment": 1,
                        "created_by": creator,
                        "created_at": now,
                    }
                    for i in range(start, min(n, start + chunk))
                ],
            )
