"""`flask demo history`: a lived-in week for the demo company, written by the real commands.

Each past day: parrots add tasks in the morning, the manager presses Reassign, the assignees
complete some of theirs in the afternoon, and the day closes at night (payouts and e-mails);
today has a morning of work and no close yet. The clock is set to each moment in turn
(`ates.database.set_clock`) and the events are delivered to every consumer before the next day, so
each page shows what a real week would have left: ledgers, closes, e-mails, analytics.
"""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
import dramatiq
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from ates.database import set_clock, utcnow
from domains.accounting import day_close
from domains.accounting.catching_up import BUTTON_WAIT_SECONDS, close_once_caught_up
from domains.auth import queries as auth_queries
from domains.tracker import commands as tracker
from domains.tracker.tables import OPEN, tasks
from outbox.embedded import settle

demo_cli = AppGroup("demo", help="The demo company's week of history (never in production).")

DAYS = 6  # closed days before today
TASKS = (
    ("Polish the perches", "UBERPOP-101", "Every perch on floor 2, including the spare ones."),
    ("Count the seeds in the store", "UBERPOP-102", "Sunflower and millet separately."),
    ("Fix the cage door latch", "UBERPOP-103", "Cage 7 opens by itself at night."),
    ("Sort the feathers for the pillow order", "", "Blue and green only."),
    ("Refill the water bowls", "UBERPOP-105", ""),
    ("Write the migration guide for nests", "UBERPOP-106", "From twigs to cotton, step by step."),
    ("Test the new swing", "UBERPOP-107", "Report squeaks with their pitch."),
    ("Teach Rio the word “deadline”", "", ""),
    ("Review the cracker budget", "UBERPOP-109", "Q4 crackers ran out in week 2."),
    ("Clean the mirror in the meeting room", "UBERPOP-110", ""),
    ("Deploy the bell v2", "UBERPOP-111", "Roll back if the cat hears it."),
    ("Check the heating lamps", "UBERPOP-112", "Two of them flicker."),
    ("Answer the pigeons' partnership e-mail", "", "Politely; we are not merging."),
    ("Rehearse the morning song", "UBERPOP-114", ""),
    ("Inventory of the millet sprays", "UBERPOP-115", "Count, weigh, photograph."),
    ("Translate the cage manual into Russian", "UBERPOP-116", ""),
)


@demo_cli.command("history")
def history_command():
    """Write a week of tasks, Reassigns, completions and closes, unless any task exists."""
    runtime = current_app.extensions["ates"]
    if runtime.settings.production:
        raise click.ClickException("production (ATES_ENV=production) never gets demo history")
    with runtime.db.reading() as session:
        if session.scalar(sa.select(sa.exists().where(tasks.c.id.is_not(None)))):
            click.echo("demo history: tasks exist already; nothing written")
            return
        people = {a.login: str(a.public_id) for a in auth_queries.accounts_list(session)}
    if "manager" not in people:
        raise click.ClickException("no demo company: run `flask --app wsgi auth seed-demo` first")
    worker = dramatiq.Worker(runtime.broker, worker_threads=2)
    worker.start()
    try:
        written = Week(runtime, worker, people).write()
    finally:
        set_clock(None)
        worker.stop()
    click.echo(f"demo history: {written} tasks over {DAYS + 1} days, {DAYS} days closed")


class Week:
    def __init__(self, runtime, worker, people: dict[str, str]):
        self.runtime, self.worker, self.people = runtime, worker, people
        self.zone = ZoneInfo(runtime.settings.timezone)
        # The demo's own choices (how many tasks, who adds them, who completes) are the same on
        # every fresh clone; assignees and prices are the domains' own draws, so the figures vary.
        self.draw = random.Random(17)
        self.titles = 0

    def write(self) -> int:
        today = utcnow().astimezone(self.zone).date()
        self.settle()  # the accounts' own events first: every consumer knows every parrot
        for back in range(DAYS, 0, -1):
            self.day(today - timedelta(days=back))
        self.today()
        return self.titles

    def at(self, day: date, hour: int, minute: int = 0) -> None:
        set_clock(datetime.combine(day, time(hour), self.zone) + timedelta(minutes=minute))

    def day(self, day: date) -> None:
        self.at(day, 9)
        self.add_tasks(day, 9, self.draw.randint(8, 12))
        self.at(day, 12)
        self.complete_some(share=0.6)
        presses = {0: 1, 2: 2, 4: 1}.get(day.weekday(), 0)  # Mondays, Wednesdays, Fridays
        for press in range(presses):
            self.at(day, 14, 10 * press)
            self.reassign()
        self.at(day, 17)
        self.complete_some(share=0.7)
        self.settle()
        self.at(day, 23, 59)
        close_once_caught_up(
            self.runtime.db,
            lambda session, now: day_close.close_day(session, day, now),
            BUTTON_WAIT_SECONDS,
        )
        self.settle()

    def today(self) -> None:
        """A morning's work so far: moments spread between midnight and now, never after."""
        set_clock(None)
        now = utcnow()
        midnight = datetime.combine(now.astimezone(self.zone).date(), time(0), self.zone)

        def so_far(share: float) -> datetime:
            return midnight + (now - midnight) * share

        for share in (0.4, 0.5, 0.6, 0.7):
            set_clock(so_far(share))
            self.add_tasks(None, None, 4)
        set_clock(so_far(0.8))
        self.reassign()
        set_clock(so_far(0.9))
        self.complete_some(share=0.3)
        set_clock(None)
        self.settle()

    def add_tasks(self, day: date | None, hour: int | None, count: int) -> None:
        for n in range(count):
            if day is not None:
                self.at(day, hour, 5 + 4 * n)
            title, jira_id, description = TASKS[self.titles % len(TASKS)]
            self.titles += 1
            creator = self.draw.choice(sorted(self.people.values()))
            with self.runtime.db.transaction() as session:
                tracker.create_task(
                    session,
                    title=title,
                    jira_id=jira_id,
                    description=description,
                    created_by=creator,
                )

    def reassign(self) -> None:
        with self.runtime.db.transaction() as session:
            tracker.reassign_open_tasks(session, by=self.people["manager"])

    def complete_some(self, share: float) -> None:
        with self.runtime.db.reading() as session:
            open_tasks = session.execute(
                sa.select(tasks.c.public_id, tasks.c.assignee)
                .where(tasks.c.status == OPEN)
                .order_by(tasks.c.id)
            ).all()
        for task, assignee in open_tasks:
            if self.draw.random() < share:
                with self.runtime.db.transaction() as session:
                    tracker.complete_task(session, task=task, by=assignee)

    def settle(self) -> None:
        runtime = self.runtime
        settle(runtime.db, runtime.relay(), runtime.broker, self.worker, timeout=120)
