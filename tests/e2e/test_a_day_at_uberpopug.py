"""A day at UberPopug, in Chromium, against the app as it really runs.

On PostgreSQL + Redis: `gunicorn` (two workers), `dramatiq ates.worker` and
`flask --app wsgi outbox relay`, each its own process group. On the embedded default (no
REDIS_URL): `python -m web`, one process serving the web app with its in-process workers and
relay. Both use the session's database; e-mails go to an SMTP server (aiosmtpd) of the test's own.

The admin is made with `flask auth create-admin`; everything else happens in the browser: the
admin opens accounts, parrots add tasks, the manager presses Reassign, parrots complete tasks,
the accountant closes the day and downloads the reports, the payout e-mails arrive, and the
admin's analytics agree with the accountant's books. Asynchronous effects are awaited by polling
the database with a deadline.
"""

import csv
import io
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import redis
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from ates.money import dollars
from domains.accounting.tables import ledger_entries as books_entries
from domains.accounting.tables import priced_tasks
from domains.analytics.tables import ledger_entries as analytics_entries
from domains.analytics.tables import tasks as analytics_tasks
from domains.sender.tables import emails
from domains.tracker.tables import assignees, eligible, reassigns
from domains.tracker.tables import tasks as tracker_tasks
from outbox.tables import events
from tests.conftest import usd
from tests.e2e.conftest import open_from_nav, snap, watch_for_errors
from tests.mail import Mailbox
from tests.processes import ROOT, app_environment, dramatiq_worker, free_port, process, wait_until
from web.accounting_reports import TITLE_ROWS

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
SETTLE_SECONDS = 60
EXPECT_SECONDS = 15


@dataclass(frozen=True)
class Parrot:
    login: str
    full_name: str
    role: str

    @property
    def email(self) -> str:
        return f"{self.login}@uberpopug.example"

    @property
    def password(self) -> str:
        return f"{self.login}-day-password"


ADMIN = Parrot("ara", "Ara Adminova", "admin")
KESHA = Parrot("kesha", "Kesha Popugaev", "worker")
GOSHA = Parrot("gosha", "Gosha Zelenov", "worker")
RIO = Parrot("rio", "Rio Ara", "worker")
MIRA = Parrot("mira", "Mira Managerova", "manager")
PAVEL = Parrot("pavel", "Pavel Schetovod", "accountant")
STAFF = (KESHA, GOSHA, RIO, MIRA, PAVEL)
ASSIGNEES = (KESHA, GOSHA, RIO, PAVEL)  # workers and accountants get tasks
TASKS = {
    KESHA: [("Feed the parrots", "UBERPOP-1"), ("Polish the perches", "UBERPOP-2")],
    GOSHA: [("Count the seeds", ""), ("Sweep the cage floor", "UBERPOP-3")],
    RIO: [("Tune the bell", "")],
    MIRA: [("Write the weekly plan", "UBERPOP-7"), ("Order more millet", "")],
    PAVEL: [("Reconcile the seed fund", "UBERPOP-9")],
}
TASK_COUNT = sum(len(titles) for titles in TASKS.values())
REASSIGN_PRESSES = 3
MAX_ERRANDS = 20
# How many of their tasks each assignee marks done (None: all). Rio completes nothing.
COMPLETES = {KESHA: None, PAVEL: None, GOSHA: 1, RIO: 0}


class RealServer:
    """The app's processes, their logs, and the SMTP server they send payouts to."""

    def __init__(self, url: str, env: dict, logs: Path, mailbox: Mailbox, backend: str):
        self.url, self.env, self.logs, self.mailbox, self.backend = url, env, logs, mailbox, backend
        self.children = []

    def all_running(self) -> bool:
        return all(child.poll() is None for child in self.children)

    def log_tails(self, lines: int = 30) -> str:
        tails = []
        for log in sorted(self.logs.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"--- {log.name}\n" + "\n".join(tail))
        return "\n".join(tails)

    def eventually(self, condition, what: str, timeout: float = SETTLE_SECONDS):
        """Poll until `condition()` is truthy; on timeout, fail with the processes' logs."""
        try:
            return wait_until(condition, timeout, what, interval=0.2)
        except TimeoutError as error:
            raise AssertionError(f"{error}\n{self.log_tails()}") from None

    def flask(self, *args: str, input: str | None = None) -> str:
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture
def real_server(runtime, settings, tmp_path):
    """The app served by real processes on a free port, fresh tables, a private SMTP server."""
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    namespace = f"{settings.broker_namespace}-day"  # not the session worker's queues
    env = app_environment(
        settings,
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=smtp.port,
        BROKER_NAMESPACE=namespace,
        HOST="127.0.0.1",
        PORT=port,
        # The scheduled close, half a day away: only the accountant's button closes today.
        ATES_DAY_CLOSE_AT=f"{(datetime.now(ZoneInfo(settings.timezone)).hour + 12) % 24:02d}:00",
    )
    if settings.broker_url:
        commands = {
            "web": [
                str(BIN / "gunicorn"),
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            "worker": dramatiq_worker("ates.worker", processes=1, threads=4),
            "relay": [str(BIN / "flask"), "--app", "wsgi", "outbox", "relay"],
        }
    else:
        commands = {"web": [sys.executable, "-m", "web"]}
    server = RealServer(
        f"http://127.0.0.1:{port}",
        env,
        tmp_path,
        mailbox,
        settings.broker_kind,
    )
    try:
        with ExitStack() as processes:
            for name, args in commands.items():
                child = processes.enter_context(process(args, env, tmp_path / f"{name}.log"))
                server.children.append(child)
            server.eventually(lambda: _healthy(server.url), "the server's start")
            yield server
    finally:
        smtp.stop()
        if settings.broker_kind == "redis":
            client = redis.Redis.from_url(settings.broker_url)
            for key in client.scan_iter(f"{namespace}*"):
                client.delete(key)


@pytest.fixture
def people(browser, request, real_server):
    """`open_as(parrot)`: a browser context of that parrot's own, logged in through the form.
    Any JS console error or page error in any of them fails the test (as the `page` fixture)."""
    problems: list[str] = []
    contexts = []
    expect.set_options(timeout=EXPECT_SECONDS * 1000)  # a loaded 2-core CI box
    prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def open_as(parrot: Parrot):
        context = browser.new_context(accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        watch_for_errors(page, problems, parrot.login)
        page.snap_prefix, page.snap_count = f"{prefix}-{parrot.login}", 0
        page.goto(f"{real_server.url}/login")
        page.fill("#login", parrot.login)
        page.fill("#password", parrot.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{real_server.url}/")
        return page

    yield open_as
    expect.set_options(timeout=5000)  # Playwright's default, for the other tests
    for context in contexts:
        context.close()
    assert problems == [], "JavaScript errors in the browser:\n" + "\n".join(problems)


def cents(text: str) -> int:
    """ "$-12.50", "-$12.50", "-12.50$", "28$", "$1,234.00" -> integer cents."""
    match = re.fullmatch(r"\s*(-?)\$?(-?)([\d,]+)(?:\.(\d\d))?\$?\s*", text)
    assert match, f"not an amount: {text!r}"
    sign = -1 if match[1] or match[2] else 1
    return sign * (int(match[3].replace(",", "")) * 100 + int(match[4] or 0))


def scalar(runtime, query):
    with runtime.db.transaction() as session:
        return session.scalar(query)


def count(table, *where):
    return sa.select(sa.func.count()).select_from(table).where(*where)


def published(runtime, name: str) -> list[dict]:
    with runtime.db.transaction() as session:
        rows = session.scalars(
            sa.select(events.c.data).where(events.c.event_name == name).order_by(events.c.id)
        )
        return list(rows)


def expected_balances(runtime) -> dict[str, int]:
    """Each assignee's balance from the tracker's own events and accounting's prices:
    a fee for every task.assigned, a reward for every task.completed."""
    with runtime.db.transaction() as session:
        prices = {row.public_id: row for row in session.execute(sa.select(priced_tasks)).all()}
    balances: dict[str, int] = {}
    for assigned in published(runtime, "task.assigned"):
        who = assigned["assignee"]
        balances[who] = balances.get(who, 0) - prices[assigned["public_id"]].assign_fee
    for completed in published(runtime, "task.completed"):
        who = completed["assignee"]
        balances[who] = balances.get(who, 0) + prices[completed["public_id"]].completion_reward
    return balances


def books_settled(runtime, payouts: int = 0) -> bool:
    """Accounting charged every assignment and credited every completion (and made `payouts`
    payouts), analytics holds every ledger entry and every completed task's reward, and the
    outbox is empty."""
    assignments = len(published(runtime, "task.assigned"))
    completions = len(published(runtime, "task.completed"))
    e = books_entries.c
    entries = scalar(runtime, count(books_entries))
    return (
        scalar(runtime, count(events, events.c.relayed_at.is_(None))) == 0
        and scalar(runtime, count(books_entries, e.kind == "assign_fee")) == assignments
        and scalar(runtime, count(books_entries, e.kind == "completion_reward")) == completions
        and scalar(runtime, count(books_entries, e.kind == "payout")) == payouts
        and scalar(runtime, count(analytics_entries)) == entries
        and scalar(
            runtime,
            count(
                analytics_tasks,
                analytics_tasks.c.completed_at.is_not(None),
                analytics_tasks.c.completion_reward.is_not(None),
                analytics_tasks.c.title.is_not(None),
            ),
        )
        == completions
    )


def balances_table(page) -> dict[str, int]:
    """The accountant's "Every account's balance now": login -> cents."""
    found = {}
    for row in page.locator("#balances tbody tr").all():
        cells = row.locator("td").all_text_contents()
        found[cells[1]] = cents(cells[3])
    return found


def download(page, link, name: str):
    with page.expect_download() as started:
        link.click()
    saved = started.value
    assert saved.suggested_filename == name
    body = Path(saved.path()).read_bytes()
    answer = page.request.get(urljoin(page.url, link.get_attribute("href")))
    return body, answer.headers["content-type"]


def xlsx_rows(body: bytes) -> list[dict]:
    """A report's rows under its header, as a spreadsheet program reads them (no totals row)."""
    sheet = openpyxl.load_workbook(io.BytesIO(body), data_only=True).active
    header, *rows, _totals = sheet.iter_rows(min_row=TITLE_ROWS + 1, values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def csv_rows(body: bytes) -> list[dict]:
    """A CSV report's rows under its title rows and header (no totals row)."""
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, *rows, _totals = lines[TITLE_ROWS:]
    return [dict(zip(header, row, strict=True)) for row in rows]


def csv_cents(dollars_text: str) -> int:
    return int(dollars_text.replace(".", ""))


def test_a_day_at_uberpopug_in_chromium(real_server, people, runtime):
    began = time.monotonic()
    laps: list[str] = []

    def lap(name: str) -> None:
        laps.append(f"{name} {time.monotonic() - began:.1f}")

    today = datetime.now(ZoneInfo(runtime.settings.timezone)).date()

    # The first admin comes from the command line (the password at the prompt).
    password = f"{ADMIN.password}\n"
    real_server.flask(
        "auth", "create-admin", "--login", ADMIN.login, "--full-name", ADMIN.full_name,
        "--email", ADMIN.email, input=password * 2,
    )  # fmt: skip

    lap("admin from the CLI")
    # The admin opens everyone else's account in the admin pages.
    ara = people(ADMIN)
    snap(ara, "admin-home")
    for parrot in STAFF:
        open_from_nav(ara, "Accounts")
        ara.get_by_role("link", name="New account").click()
        ara.fill("#login", parrot.login)
        ara.fill("#full_name", parrot.full_name)
        ara.fill("#email", parrot.email)
        ara.select_option("#role", parrot.role)
        ara.fill("#password", parrot.password)
        ara.click("button:has-text('Create account')")
        ara.get_by_text(f"Account {parrot.login} created.").wait_for()
    open_from_nav(ara, "Accounts")
    for parrot in STAFF:
        expect(ara.locator("#account-rows")).to_contain_text(parrot.login)
    snap(ara, "admin-accounts")
    real_server.eventually(
        lambda: scalar(runtime, count(assignees, eligible())) == len(ASSIGNEES),
        "the tracker hearing of every new parrot",
    )

    lap("accounts in the browser")
    # Everyone but the admin adds tasks from "My tasks".
    pages = {parrot: people(parrot) for parrot in STAFF}
    for parrot, titles in TASKS.items():
        page = pages[parrot]
        open_from_nav(page, "My tasks")
        for number, (title, jira_id) in enumerate(titles, 1):
            add_task(page, title, jira_id, number)
        snap(page, "my-tasks-added")

    lap("tasks added")
    # The manager presses Reassign several times through the day (each press draws every open
    # task again), and after each press the assignees complete tasks from "My tasks".
    mira = pages[MIRA]
    for press in range(1, REASSIGN_PRESSES + 1):
        if press > 1:
            # The completions may have closed every task: new work keeps arriving all day.
            add_task(mira, f"Walk-in request {press}", "", 1)
        open_from_nav(mira, "All tasks")
        mira.click("#reassign")  # the Reassign page asks first
        expect(mira.locator("#reassign-title")).to_contain_text("Reassign ")
        # htmx takes the form once the page's deferred scripts have run: a press before that
        # posts the plain form (a test of its own, in test_tracker_browser.py).
        mira.wait_for_load_state()
        with mira.expect_response(
            lambda r: r.url.endswith("/tasks/reassign") and r.request.method == "POST"
        ) as pressed:
            mira.click("#confirm-reassign")
        answer = pressed.value
        assert answer.ok, f"Reassign answered {answer.status}\n{real_server.log_tails()}"
        expect(mira.locator("#reassign-moved")).to_contain_text("Reassigned ")
        # A completion still in flight may change the open count: the press says what it moved.
        moved = scalar(
            runtime, sa.select(reassigns.c.moved).order_by(reassigns.c.id.desc()).limit(1)
        )
        plural = "" if moved == 1 else "s"
        expect(mira.locator("#reassign-moved")).to_have_text(
            f"Reassigned {moved} open task{plural}."
        )
        if press == 1:
            snap(mira, "reassigned")
        for parrot, how_many in COMPLETES.items():
            complete(pages[parrot], how_many, snap_as=f"my-tasks-after-press-{press}")

    lap("reassigns and completions")
    # Late errands: the manager adds tasks and their assignees do them at once (a fee of at
    # most $20 against a reward of at least $20), until someone has earned a payout today.
    real_server.eventually(lambda: books_settled(runtime), "fees, rewards and analytics settling")
    errands = 0
    while max(expected_balances(runtime).values()) <= 0:
        errands += 1
        assert errands <= MAX_ERRANDS, "nobody earned anything all day"
        add_task(mira, f"Late errand {errands}", "", errands)
        assignee = scalar(
            runtime,
            sa.select(tracker_tasks.c.assignee).where(
                tracker_tasks.c.title == f"Late errand {errands}"
            ),
        )
        [doer] = [p for p in ASSIGNEES if account_id(runtime, p) == assignee]
        complete(pages[doer], None)
        real_server.eventually(lambda: books_settled(runtime), "the errand settling")
    completions = published(runtime, "task.completed")
    expected = expected_balances(runtime)
    ids = {parrot: account_id(runtime, parrot) for parrot in (ADMIN, *STAFF)}

    lap("books settled")
    # The accountant's books before the close.
    books = pages[PAVEL]
    open_from_nav(books, "Accounting")
    snap(books, "accounting-before-close")
    earnings = cents(books.text_content("#earnings"))
    fees, rewards = (ledger_sum(runtime, kind) for kind in ("assign_fee", "completion_reward"))
    assert earnings == -(fees + rewards) != 0
    before = balances_table(books)
    assert before == {p.login: expected.get(ids[p], 0) for p in (ADMIN, *STAFF)}
    in_the_red = sum(1 for balance in before.values() if balance < 0)
    positive = {login: balance for login, balance in before.items() if balance > 0}

    # The admin's analytics say the same.
    open_from_nav(ara, "Analytics")
    snap(ara, "analytics-before-close")
    assert cents(ara.text_content("#earnings-today")) == earnings
    assert int(ara.text_content("#parrots-in-the-red")) == in_the_red
    best = ara.locator("#most-expensive-today")
    best_reward = cents(best.locator(".reward").text_content())
    best_title = best.locator(".title").text_content()
    best_by = best.locator(".completed-by").text_content()

    lap("figures compared")
    # The accountant closes the day with the button.
    books.click("#close-day")
    total = sum(positive.values())
    paid = len(positive)
    parrots = f"{paid} parrot{'' if paid == 1 else 's'}"
    expect(books.locator("#close-parrots")).to_have_text(parrots)
    expect(books.locator("#close-total")).to_have_text(usd(total))
    snap(books, "close-confirmation")
    books.click("#confirm-close")
    expect(books.locator(".flash.success")).to_contain_text(f"paid {parrots}, total {usd(total)}")
    expect(books.locator("#closed-day")).to_contain_text("is closed")
    after = balances_table(books)
    assert after == {login: min(balance, 0) for login, balance in before.items()}
    snap(books, "accounting-after-close")

    # Every positive balance is e-mailed, once, to its parrot.
    real_server.eventually(
        lambda: (
            len(real_server.mailbox.received) >= paid
            and scalar(runtime, count(emails, emails.c.status == "sent")) == paid
        ),
        "the payout e-mails",
    )
    by_login = {p.login: p for p in STAFF}
    received = {message["To"]: message for message in real_server.mailbox.received}
    assert len(real_server.mailbox.received) == paid
    assert set(received) == {by_login[login].email for login in positive}
    for login, amount in positive.items():
        message = received[by_login[login].email]
        assert message["Subject"] == f"You were paid ${dollars(amount)} for {today:%d %b %Y}"
        assert f"paid you ${dollars(amount)} " in message.get_content()

    lap("day closed, e-mails in")
    # The admin sees the sent log and the last day close on their pages.
    open_from_nav(ara, "Payout e-mails")
    sent_log = ara.locator("table.sent-log tbody tr")
    expect(sent_log).to_have_count(paid)
    for login in positive:
        expect(ara.locator("table.sent-log")).to_contain_text(by_login[login].email)
    expect(ara.locator("[data-count=failed]")).to_have_text("0")
    snap(ara, "payout-emails")
    open_from_nav(ara, "Operations")
    expect(ara.locator("body")).to_contain_text("Last day close")
    expect(ara.locator("body")).to_contain_text(usd(total))
    snap(ara, "operations")

    # Both reports, as CSV and XLSX, for the page's range (the last seven days).
    real_server.eventually(lambda: books_settled(runtime, payouts=paid), "the payouts settling")
    start = today - timedelta(days=6)
    links = books.locator("#reports a")
    ledger_csv, kind = download(books, links.nth(0), f"ates-ledger-{start}-to-{today}.csv")
    assert kind == "text/csv; charset=utf-8"
    ledger_rows = csv_rows(ledger_csv)
    ledger_xlsx, kind = download(books, links.nth(1), f"ates-ledger-{start}-to-{today}.xlsx")
    assert kind == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert len(xlsx_rows(ledger_xlsx)) == len(ledger_rows)
    days_csv, kind = download(books, links.nth(2), f"ates-days-{start}-to-{today}.csv")
    assert kind == "text/csv; charset=utf-8"
    day_row = csv_rows(days_csv)[-1]  # every day of the range; today is the last
    days_xlsx, kind = download(books, links.nth(3), f"ates-days-{start}-to-{today}.xlsx")
    xlsx_day = xlsx_rows(days_xlsx)[-1]
    assert xlsx_day["Billing day"].date() == today

    assert day_row["Billing day"] == today.isoformat()
    assert csv_cents(day_row["Management earnings ($)"]) == earnings
    assert csv_cents(day_row["Payouts ($)"]) == total
    assert round(xlsx_day["Management earnings ($)"] * 100) == earnings
    assert round(xlsx_day["Payouts ($)"] * 100) == total
    payouts = [r for r in ledger_rows if r["Kind"] == "Payout"]
    assert sorted(-csv_cents(r["Amount ($)"]) for r in payouts) == sorted(positive.values())
    assert len(ledger_rows) == scalar(runtime, count(books_entries))

    # The most expensive task today, from the accountant's ledger, is the admin's.
    rewards_today = [r for r in ledger_rows if r["Kind"] == "Completion reward"]
    highest = max(csv_cents(r["Amount ($)"]) for r in rewards_today)
    assert best_reward == highest
    winners = [
        (r["Description"], r["Parrot"])
        for r in rewards_today
        if csv_cents(r["Amount ($)"]) == highest
    ]
    assert any(best_title in what and best_by == who for what, who in winners)

    lap("reports downloaded")
    # After the close, analytics still agree (payouts are not earnings).
    open_from_nav(ara, "Analytics")
    snap(ara, "analytics-after-close")
    assert cents(ara.text_content("#earnings-today")) == earnings
    assert int(ara.text_content("#parrots-in-the-red")) == in_the_red
    assert cents(ara.locator("#most-expensive-today .reward").text_content()) == highest

    # Each assignee's audit log shows their fees, rewards and payout.
    assigned = published(runtime, "task.assigned")
    for parrot in ASSIGNEES:
        page = pages[parrot]
        open_from_nav(page, "My account")
        snap(page, "my-account")
        mine = ids[parrot]
        log = page.locator("#audit-log")
        charged = sum(1 for a in assigned if a["assignee"] == mine)
        credited = sum(1 for c in completions if c["assignee"] == mine)
        expect(log.locator(".entry-assign_fee")).to_have_count(charged)
        expect(log.locator(".entry-completion_reward")).to_have_count(credited)
        if charged:
            expect(log.locator(".entry-assign_fee").first).to_contain_text("Assign fee: ")
        if credited:
            expect(log.locator(".entry-completion_reward").first).to_contain_text(
                "Completion reward: "
            )
        was = before[parrot.login]
        expect(log.locator(".entry-payout")).to_have_count(1 if was > 0 else 0)
        if was > 0:
            expect(log.locator(".entry-payout")).to_contain_text(usd(-was))
        expect(page.locator("#balance")).to_have_text(usd(after[parrot.login]))

    lap("audit logs read")
    assert real_server.all_running(), real_server.log_tails()
    print(
        f"\na day at UberPopug ({real_server.backend}): {TASK_COUNT} tasks, "
        f"{len(assigned)} assignments, {len(completions)} completions "
        f"({errands} late errands), {paid} payouts, "
        f"{time.monotonic() - began:.1f} s (at the end of each step: {'; '.join(laps)})"
    )


def add_task(page, title: str, jira_id: str, number: int) -> None:
    """Add a task in the New task form of "My tasks" (`number`: how many added on this page)."""
    if not page.url.endswith("/tasks/"):
        open_from_nav(page, "My tasks")
    page.fill("#title", title)
    page.fill("#jira_id", jira_id)
    page.fill("#description", f"Please: {title.lower()}.")
    page.click("#new-task button")
    expect(page.locator("#created-tasks li")).to_have_count(number)
    expect(page.locator("#created-tasks")).to_contain_text(title)


def complete(page, how_many: int | None, snap_as: str | None = None) -> None:
    """Mark done `how_many` (None: all) of the parrot's open tasks from "My tasks"."""
    open_from_nav(page, "My tasks")
    buttons = page.locator("#my-tasks").get_by_role("button", name="Mark done")
    mine = buttons.count()
    todo = mine if how_many is None else min(how_many, mine)
    for done in range(1, todo + 1):
        buttons.first.click()
        expect(buttons).to_have_count(mine - done)
    expect(page.locator("#my-tasks .status.done")).to_have_count(todo)
    if snap_as:
        snap(page, snap_as)


def account_id(runtime, parrot: Parrot) -> str:
    from domains.auth import queries

    with runtime.db.transaction() as session:
        return queries.account_by_login(session, parrot.login).public_id


def ledger_sum(runtime, kind: str) -> int:
    e = books_entries.c
    return int(scalar(runtime, sa.select(sa.func.sum(e.amount)).where(e.kind == kind)) or 0)
