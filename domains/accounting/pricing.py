"""Task prices: drawn once, the first time accounting sees a task, and published."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.database import UTCDateTime, array_literal, insert
from domains.accounting import PRODUCER
from domains.accounting.rules import Price, draw_price
from domains.accounting.tables import priced_tasks
from outbox import publish, publish_events
from outbox.publish import events_of_one_shape


def see_task(session: Session, task_id: str, now: datetime) -> Price:
    """The task's price; drawn and published once, the first time accounting sees the task."""
    price = draw_price()
    inserted = session.execute(
        insert(session, priced_tasks)
        .values(
            public_id=task_id,
            details_version=0,
            assign_fee=price.assign_fee,
            completion_reward=price.completion_reward,
            priced_at=now,
        )
        .on_conflict_do_nothing()
        .returning(priced_tasks.c.public_id)
    ).first()
    if inserted is not None:
        publish(
            session,
            "task.priced",
            1,
            producer=PRODUCER,
            key=task_id,
            data={
                "public_id": task_id,
                "assign_fee": price.assign_fee,
                "completion_reward": price.completion_reward,
            },
        )
        return price
    row = session.execute(
        sa.select(priced_tasks.c.assign_fee, priced_tasks.c.completion_reward).where(
            priced_tasks.c.public_id == task_id
        )
    ).one()
    return Price(row.assign_fee, row.completion_reward)


def describe_task(
    session: Session, task_id: str, title: str, jira_id: str | None, version: int, now: datetime
) -> None:
    """Fill in the task's title and Jira id; a newer event version's reading wins."""
    see_task(session, task_id, now)
    session.execute(
        sa.update(priced_tasks)
        .where(priced_tasks.c.public_id == task_id, priced_tasks.c.details_version < version)
        .values(title=title, jira_id=jira_id, details_version=version)
    )


def price_unseen(session: Session, tasks: list[str], now: datetime) -> None:
    prices = [draw_price() for _ in tasks]
    priced = session.execute(
        sa.text(
            """
            INSERT INTO accounting.priced_tasks
                (public_id, details_version, assign_fee, completion_reward, priced_at)
            SELECT t, 0, f, r, :now
            FROM unnest(CAST(:tasks AS uuid[]), CAST(:fees AS bigint[]), CAST(:rewards AS bigint[]))
                AS u(t, f, r)
            ON CONFLICT DO NOTHING
            RETURNING public_id, assign_fee, completion_reward
            """
        ).bindparams(sa.bindparam("now", type_=UTCDateTime)),
        {
            "tasks": array_literal(tasks),
            "fees": array_literal(p.assign_fee for p in prices),
            "rewards": array_literal(p.completion_reward for p in prices),
            "now": now,
        },
    ).all()
    publish_events(
        session,
        events_of_one_shape(
            "task.priced",
            1,
            producer=PRODUCER,
            items=(
                (
                    str(row.public_id),
                    {
                        "public_id": str(row.public_id),
                        "assign_fee": row.assign_fee,
                        "completion_reward": row.completion_reward,
                    },
                )
                for row in priced
            ),
        ),
    )
