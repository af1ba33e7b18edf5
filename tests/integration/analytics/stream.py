"""Four days of UberPopug activity as the events analytics hears, with the figures they imply.

By default 28.02-03.03.2026 (today is Tuesday 03.03); `four_days(today)` moves them. Balances at
the end of today: Kesha +1$, Gosha -12$, Rita -17$, so two parrots are in the red. Rewards:
T5 39$ (day 1), T3 30$ (day 2), T2 38$ and T7 38$ (day 3; T2 came first), T1 28$ (today); T4 (40$)
and T6 are never completed.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from outbox import publish_events
from tests.events import event, message

TODAY = date(2026, 3, 3)


def uid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"aTES-analytics-test/{name}"))


KESHA, GOSHA, RITA, BOSS = uid("kesha"), uid("gosha"), uid("rita"), uid("boss")
T1, T2, T3, T4, T5, T6, T7 = (uid(f"T{n}") for n in range(1, 8))


@dataclass
class Stream:
    events: list[tuple[str, int, dict]] = field(default_factory=list)

    def add(self, name: str, version: int, data: dict) -> None:
        self.events.append((name, version, data))

    def account(self, public_id, login, full_name, role, version=1, event="account.created"):
        self.add(
            event,
            1,
            {
                "public_id": public_id,
                "login": login,
                "full_name": full_name,
                "email": f"{login}@uberpopug.example",
                "role": role,
                "active": True,
                "version": version,
            },
        )

    def task(self, public_id, title, jira_id=None, *, version=2, fee, reward):
        data = {
            "public_id": public_id,
            "title": title,
            "description": "",
            "created_by": BOSS,
            "created_at": "2026-02-27T09:00:00+00:00",
        }
        self.add("task.created", version, data | ({"jira_id": jira_id} if version == 2 else {}))
        self.add(
            "task.priced",
            1,
            {"public_id": public_id, "assign_fee": fee, "completion_reward": reward},
        )

    def completed(self, public_id, assignee, at):
        self.add(
            "task.completed", 1, {"public_id": public_id, "assignee": assignee, "completed_at": at}
        )

    def entry(self, account, kind, amount, day, task=None):
        self.add(
            "ledger_entry.recorded",
            1,
            {
                "entry_id": str(uuid.uuid4()),
                "account": account,
                "kind": kind,
                "amount": amount,
                "billing_day": day,
                "task": task,
                "recorded_at": f"{day}T12:00:00+00:00",
            },
        )

    def messages(self) -> list[dict]:
        """The events as broker messages (each with its own event id)."""
        return [message(name, version, **data) for name, version, data in self.events]

    def publish(self, session) -> None:
        """Into the outbox, for every consumer (accounting reacts to the task events too)."""
        publish_events(
            session, [event(name, version, **data) for name, version, data in self.events]
        )

    def send_to_analytics(self, runtime) -> None:
        """Straight to the analytics consumer alone, so its figures are exactly the stream's."""
        runtime.send("analytics", self.messages())


def four_days(today: date = TODAY) -> Stream:
    d1, d2, d3, d4 = (str(today - timedelta(days=n)) for n in (3, 2, 1, 0))
    s = Stream()
    s.account(KESHA, "kesha", "Kesha Popugaev", "worker")
    s.account(GOSHA, "gosha", "Gosha", "worker")
    s.account(GOSHA, "gosha", "Gosha Popugaev", "worker", version=2, event="account.updated")
    s.account(RITA, "rita", "Rita Counts", "accountant")
    s.account(BOSS, "boss", "Big Boss", "admin")
    s.task(T1, "[UBERPOP-1] Feed the parrots", version=1, fee=1500, reward=2800)
    s.task(T2, "Clean the cage", "UBERPOP-2", fee=1000, reward=3800)
    s.task(T3, "Count the seeds", fee=2000, reward=3000)
    s.task(T4, "Polish the perch", fee=1200, reward=4000)
    s.task(T5, "Sing at dawn", "UBERPOP-5", fee=1100, reward=3900)
    s.task(T6, "Fly around", fee=1700, reward=2500)
    s.task(T7, "Wash the bowls", fee=1000, reward=3800)
    # Day 1 (28.02): Gosha does T5 and is paid out.
    s.entry(GOSHA, "assign_fee", -1100, d1, T5)
    s.completed(T5, GOSHA, f"{d1}T15:00:00+00:00")
    s.entry(GOSHA, "completion_reward", 3900, d1, T5)
    s.entry(GOSHA, "payout", -2800, d1)
    # Day 2 (01.03): Rita does T3 and is paid out; Kesha gets T1, Gosha T2.
    s.entry(RITA, "assign_fee", -2000, d2, T3)
    s.completed(T3, RITA, f"{d2}T10:00:00+00:00")
    s.entry(RITA, "completion_reward", 3000, d2, T3)
    s.entry(RITA, "payout", -1000, d2)
    s.entry(KESHA, "assign_fee", -1500, d2, T1)
    s.entry(GOSHA, "assign_fee", -1000, d2, T2)
    # Day 3 (02.03): Gosha does T2 and is paid out; Kesha gets T4 (and ends the day in the red).
    s.completed(T2, GOSHA, f"{d3}T11:00:00+00:00")
    s.entry(GOSHA, "completion_reward", 3800, d3, T2)
    s.entry(GOSHA, "payout", -2800, d3)
    s.entry(KESHA, "assign_fee", -1200, d3, T4)
    # ... and Rita does T7, as dear as T2 but later that day, and is paid out.
    s.entry(RITA, "assign_fee", -1000, d3, T7)
    s.completed(T7, RITA, f"{d3}T18:00:00+00:00")
    s.entry(RITA, "completion_reward", 3800, d3, T7)
    s.entry(RITA, "payout", -2800, d3)
    # Today (03.03): Kesha does T1; Reassign gives T4 to Gosha; Rita gets T6.
    s.completed(T1, KESHA, f"{d4}T09:30:00+00:00")
    s.entry(KESHA, "completion_reward", 2800, d4, T1)
    s.entry(GOSHA, "assign_fee", -1200, d4, T4)
    s.entry(RITA, "assign_fee", -1700, d4, T6)
    return s


def earnings(today: date = TODAY) -> dict[date, int]:
    """Management earnings in cents of the four days, oldest first."""
    totals = (1100 - 3900, 2000 + 1500 + 1000 - 3000, 1200 + 1000 - 3800 - 3800, 2900 - 2800)
    return {today - timedelta(days=3 - n): total for n, total in enumerate(totals)}


EARNINGS = earnings()
BALANCES_TODAY = {KESHA: 100, GOSHA: -1200, RITA: -1700}
