"""Faults an operator meets, with real worker and relay processes on a broker of the test's own:
Redis restarted without its data, a malformed message pushed raw into a queue, SMTP down
across a day close. None of them needs a command typed, loses money or sends an e-mail twice.

They run on both backends (the database is the session's: SQLite or PostgreSQL), on Redis; the
malformed message also on RabbitMQ (`make test-rabbitmq`).
"""

import dataclasses
import subprocess
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pika
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from dramatiq.brokers.redis import RedisBroker
from dramatiq.message import Message

from domains.accounting.tables import ledger_entries
from domains.sender.tables import emails
from outbox.broker import waiting
from outbox.deliveries import owed_counts
from outbox.events import Event
from outbox.operations import status
from outbox.publish import publish_events
from outbox.tables import dead_letters
from tests.integration.accounting.streams import (
    MOMENT,
    account_event,
    balances,
    new_id,
    task_assigned,
    task_completed,
)
from tests.mail import Mailbox
from tests.processes import (
    BIN,
    ROOT,
    app_environment,
    dramatiq_worker,
    free_port,
    process,
    wait_until,
)

PARROTS = 4
TASKS_EACH = 3  # each assigned and completed: a fee and a reward per task
RELAY = [str(BIN / "flask"), "--app", "wsgi", "outbox", "relay"]
WORKER = dramatiq_worker("ates.worker", processes=1, threads=4)


@pytest.fixture
def company_env(runtime, private_broker, tmp_path):
    """Settings of real processes on the private broker, with short fault timings."""
    settings = dataclasses.replace(
        runtime.settings,
        broker_url=private_broker.url,
        redeliver_after_seconds=2,
        retry_min_backoff_ms=200,
        retry_max_backoff_ms=2_000,
        give_up_after_seconds=600,
    )
    # The scheduled close half a day away: only the test closes the day.
    hour = (datetime.now(ZoneInfo(settings.timezone)).hour + 12) % 24
    return settings, {"ATES_DAY_CLOSE_AT": f"{hour:02d}:00"}


def publish_company(runtime) -> int:
    """Parrots with tasks assigned and completed, published as auth and the tracker would;
    returns the number of ledger entries accounting owes for them."""
    stream = []
    for n in range(PARROTS):
        parrot = new_id()
        stream.append(account_event(parrot, login=f"healer{n}-{parrot[:4]}"))
        for _ in range(TASKS_EACH):
            task = new_id()
            stream += [task_assigned(task, parrot), task_completed(task, parrot)]
    with runtime.db.transaction() as session:
        publish_events(session, [Event.from_message(message) for message in stream])
    return PARROTS * TASKS_EACH * 2


def entries(runtime, kind=None) -> int:
    query = sa.select(sa.func.count()).select_from(ledger_entries)
    if kind:
        query = query.where(ledger_entries.c.kind == kind)
    with runtime.db.reading() as session:
        return session.scalar(query)


def relayed_everything(runtime) -> bool:
    return status(runtime.db).pending == 0


def owed_deliveries(runtime) -> int:
    with runtime.db.reading() as session:
        return sum(owed_counts(session).values())


def letters(runtime) -> list:
    with runtime.db.reading() as session:
        return session.execute(sa.select(dead_letters).order_by(dead_letters.c.id)).all()


def close_day(env) -> str:
    day = MOMENT.date().isoformat()
    args = [str(BIN / "flask"), "--app", "wsgi", "accounting", "close-day", "--date", day]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def restart_without_data(private_broker) -> float:
    private_broker.stop()  # no RDB, no AOF: everything Redis held is gone
    private_broker.start()
    return time.monotonic()


def test_redis_restarted_without_its_data_has_every_fee_reward_and_payout_applied_by_itself(
    runtime, private_broker, company_env, tmp_path
):
    settings, extra = company_env
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = app_environment(settings, MAIL_HOST="127.0.0.1", MAIL_PORT=smtp.port, **extra)
    try:
        with process(RELAY, env, tmp_path / "relay.log"):
            owed = publish_company(runtime)
            wait_until(lambda: relayed_everything(runtime), 60, "the relay's sends")
            lost_at = restart_without_data(private_broker)  # the workers never saw a message
            with process(WORKER, env, tmp_path / "worker-1.log"):
                wait_until(lambda: entries(runtime) == owed, 120, "the books healing", 0.2)
                books_healed = time.monotonic() - lost_at
            owed_payouts = sum(1 for balance in balances(runtime).values() if balance > 0)
            assert owed_payouts and "paid" in close_day(env)
            wait_until(lambda: relayed_everything(runtime), 60, "the relay's sends")
            lost_at = restart_without_data(private_broker)
            with process(WORKER, env, tmp_path / "worker-2.log"):
                wait_until(lambda: len(mailbox.received) >= owed_payouts, 120, "the payouts")
                payouts_healed = time.monotonic() - lost_at
                wait_until(lambda: owed_deliveries(runtime) == 0, 60, "nothing owed")
                time.sleep(1)  # any duplicate e-mail would arrive now
    finally:
        smtp.stop()
    assert entries(runtime) == owed + owed_payouts
    assert entries(runtime, "payout") == owed_payouts
    assert len(mailbox.received) == owed_payouts  # each payout e-mailed exactly once
    assert all(balance <= 0 for balance in balances(runtime).values())  # paid out, zeroed
    assert letters(runtime) == []
    print(
        f"\nRedis lost its data: books healed in {books_healed:.1f} s, payouts e-mailed in "
        f"{payouts_healed:.1f} s (re-sent after {settings.redeliver_after_seconds} s overdue)"
    )


def push_raw(broker, queue: str, body: bytes) -> None:
    """What a broken producer or a hand edit leaves in a Dramatiq queue."""
    if isinstance(broker, RedisBroker):
        redis_id = str(uuid.uuid4())
        broker.client.hset(f"{broker.namespace}:{queue}.msgs", redis_id, body)
        broker.client.rpush(f"{broker.namespace}:{queue}", redis_id)
    else:
        persistent = pika.BasicProperties(delivery_mode=2)
        broker.channel.basic_publish(
            exchange="", routing_key=queue, body=body, properties=persistent
        )


def test_malformed_messages_in_a_queue_are_dead_lettered_once_and_the_worker_goes_on(
    runtime, private_runtime, company_env, tmp_path, client, login_as
):
    settings, extra = company_env
    broker = private_runtime.broker
    parrot = new_id()
    tasks_before, tasks_after = [new_id() for _ in range(5)], [new_id() for _ in range(5)]
    private_runtime.send("accounting", [account_event(parrot, login="rio")])
    for task in tasks_before:
        private_runtime.send("accounting", [task_assigned(task, parrot)])
    push_raw(broker, "accounting", b"\xff\xfe not a message {")
    broker.enqueue(Message("accounting", "accounting.vanished", ([],), {}, {}))
    broker.enqueue(Message("accounting", "accounting.handle_events", ("fees", 12), {}, {}))
    for task in tasks_after:
        private_runtime.send("accounting", [task_assigned(task, parrot)])
    env = app_environment(settings, **extra)
    with process(WORKER, env, tmp_path / "worker.log") as worker:
        wait_until(lambda: entries(runtime) == 10, 60, "every valid fee applied", 0.2)
        wait_until(lambda: len(letters(runtime)) == 3, 30, "three dead letters")
        wait_until(lambda: waiting(broker, "accounting") == 0, 30, "acks")
        assert worker.poll() is None  # still running
    with process(WORKER, env, tmp_path / "worker-again.log"):
        time.sleep(3)  # a restart finds nothing of them left to die on or to bury again
    reasons = sorted((letter.consumer, letter.error.split(":")[0]) for letter in letters(runtime))
    assert reasons == [
        ("accounting", "arguments of the wrong shape"),
        ("accounting", "undecodable message"),
        ("accounting", "unknown actor accounting.vanished"),
    ]
    assert all(letter.attempts == 1 for letter in letters(runtime))
    login_as("admin")
    page = client.get("/operations").get_data(as_text=True)
    assert "undecodable message" in page and "unknown actor accounting.vanished" in page


def test_payout_emails_of_a_close_during_an_smtp_outage_go_out_once_smtp_is_back(
    runtime, private_broker, company_env, tmp_path
):
    settings, extra = company_env
    mailbox = Mailbox()
    smtp_port = free_port()
    env = app_environment(settings, MAIL_HOST="127.0.0.1", MAIL_PORT=smtp_port, **extra)
    owed = publish_company(runtime)
    with process(RELAY, env, tmp_path / "relay.log"), process(WORKER, env, tmp_path / "w.log"):
        wait_until(lambda: entries(runtime) == owed, 120, "the books", 0.2)
        owed_payouts = sum(1 for balance in balances(runtime).values() if balance > 0)
        close_day(env)  # SMTP is down: nobody listens on its port
        outage = 12  # seconds: many times the longest backoff configured here (2 s)
        time.sleep(outage)
        assert mailbox.received == [] and letters(runtime) == []
        with runtime.db.reading() as session:
            failed = session.scalars(sa.select(emails.c.status)).all()
        assert failed and set(failed) == {"failed"}
        smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
        smtp.start()
        try:
            back_at = time.monotonic()
            wait_until(lambda: len(mailbox.received) >= owed_payouts, 60, "the payout e-mails")
            sent_after = time.monotonic() - back_at
            time.sleep(3)  # a second copy of any e-mail would arrive now
        finally:
            smtp.stop()
    assert sorted(m["To"] for m in mailbox.received) == sorted(
        set(m["To"] for m in mailbox.received)
    )
    assert len(mailbox.received) == owed_payouts
    with runtime.db.reading() as session:
        assert set(session.scalars(sa.select(emails.c.status))) == {"sent"}
    assert letters(runtime) == []
    print(f"\nSMTP down {outage} s across the close: e-mails out {sent_after:.1f} s after it")
