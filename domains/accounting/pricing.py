"""Task prices: drawn once, the first time accounting sees a task, and published."""

import functools
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import Backend, backend
from ates.database import UTCDateTime
from domains.accounting import PRODUCER
from domains.accounting.rules import draw_price
from domains.accounting.tables import priced_tasks
from outbox import publish_events
from outbox.publish import events_of_one_shape


def see_tasks(session: Session, task_ids: list[str], now: datetime) -> None:
    """Price the tasks accounting has not seen before and publish task.priced for each; a task
    seen already keeps its price (the unique id makes a redelivery or a race draw nothing)."""
    if not task_ids:
        return
    database = backend(session)
    drawn = []
    for task_id in sorted(set(task_ids)):
        price = draw_price()
        drawn.append(
            {
                "public_id": task_id,
                "assign_fee": price.assign_fee,
                "completion_reward": price.completion_reward,
            }
        )
    new = {"drawn": database.records_text(DRAWN, drawn), "now": now}
    priced = session.execute(_pricing(database), new).all()
    prices = ((row.public_id, dict(zip(DRAWN, row, strict=True))) for row in priced)
    publish_events(session, events_of_one_shape("task.priced", 1, producer=PRODUCER, items=prices))


DRAWN = {
    name: priced_tasks.c[name].type for name in ("public_id", "assign_fee", "completion_reward")
}


@functools.cache
def _pricing(database: Backend):
    # Built once, as every statement on the path of each event (see `ates.backend.records`).
    new = database.records(DRAWN, None, "drawn")
    return (
        database.insert(priced_tasks)
        .from_select(
            ["public_id", "details_version", "assign_fee", "completion_reward", "priced_at"],
            sa.select(
                new.c.public_id,
                sa.literal(0),
                new.c.assign_fee,
                new.c.completion_reward,
                sa.bindparam("now", type_=UTCDateTime),
            ).where(sa.true()),
        )
        .on_conflict_do_nothing()
        .returning(*(priced_tasks.c[name] for name in DRAWN))
    )


def describe_task(
    session: Session, task_id: str, title: str, jira_id: str | None, version: int, now: datetime
) -> None:
    """Fill in the task's title and Jira id; a newer event version's reading wins."""
    see_tasks(session, [task_id], now)
    details = {"task": task_id, "reading": version, "new_title": title, "new_jira_id": jira_id}
    session.execute(DESCRIBING, details)


DESCRIBING = (
    sa.update(priced_tasks)
    .where(
        priced_tasks.c.public_id == sa.bindparam("task", type_=priced_tasks.c.public_id.type),
        priced_tasks.c.details_version < sa.bindparam("reading", type_=sa.Integer),
    )
    .values(
        title=sa.bindparam("new_title"),
        jira_id=sa.bindparam("new_jira_id"),
        details_version=sa.bindparam("reading"),
    )
)
