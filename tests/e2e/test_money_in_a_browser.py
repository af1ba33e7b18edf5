"""The money an accountant trusts, in Chromium: the close asked for and then final, the drill-down
from the balances to one parrot's entries, and the downloads; every figure equals the ledger's
sums. The keyboard alone is enough, and axe-core finds nothing on these pages."""

import csv
import io
from datetime import datetime, time, timedelta
from pathlib import Path
from time import monotonic, sleep
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from ates.database import utcnow
from ates.money import dollars
from domains.accounting.rules import billing_day_of
from domains.accounting.tables import ledger_entries
from tests.conftest import shown_day, usd
from tests.e2e.conftest import log_in, snap
from tests.e2e.test_every_page_of_every_role import accessibility_violations
from tests.integration.accounting.streams import (
    balances,
    feed,
    new_id,
    task_assigned,
    task_completed,
    task_created,
)
from web.accounting_reports import TITLE_ROWS

pytestmark = pytest.mark.e2e


def shown_cents(text: str) -> int:
    return int(text.replace("$", "").replace(",", "").replace(".", "").strip())


def ledger_sum(runtime, account_id=None, kind=None) -> int:
    query = sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.amount), 0))
    if account_id:
        query = query.where(ledger_entries.c.account_id == account_id)
    if kind:
        query = query.where(ledger_entries.c.kind == kind)
    with runtime.db.reading() as session:
        return int(session.scalar(query))


def earn_on(runtime, parrot, day, title):
    """Tasks done by the parrot on `day` until they are owed something."""
    at = datetime.combine(day, time(12), ZoneInfo(runtime.settings.timezone))
    while balances(runtime).get(parrot, 0) <= 0:
        task = new_id()
        feed(
            runtime,
            [
                task_created(task, title, "UBERPOP-7"),
                task_assigned(task, parrot, at=at),
                task_completed(task, parrot, at=at),
            ],
        )


def fee_count(runtime) -> int:
    with runtime.db.reading() as session:
        return session.scalar(
            sa.select(sa.func.count()).where(ledger_entries.c.kind == "assign_fee")
        )


def wait_until(condition, what: str, timeout: float = 30) -> None:
    deadline = monotonic() + timeout
    while not condition():
        assert monotonic() < deadline, f"waited {timeout} s for {what}"
        sleep(0.1)


def keyboard_activate(page, selector: str) -> None:
    """Focus the control and press Enter, as a parrot without a mouse would."""
    page.focus(selector)
    page.keyboard.press("Enter")


def test_an_accountant_closes_a_day_after_confirming_and_drills_down_to_a_parrot(
    browser, page, live_server, runtime, make_account
):
    kesha = make_account("worker", full_name="Kesha Popugaev", login="kesha")
    gosha = make_account("worker", full_name="Gosha Perov", login="gosha")
    accountant = make_account("accountant", full_name="Rita Counts", login="rita")
    today = billing_day_of(utcnow(), runtime.settings.timezone)
    yesterday = today - timedelta(days=1)
    earn_on(runtime, kesha.public_id, yesterday, "Feed the parrots")
    earn_on(runtime, gosha.public_id, yesterday, "Clean the cage")
    owed = balances(runtime)
    payable = {p: b for p, b in owed.items() if b > 0 and p in (kesha.public_id, gosha.public_id)}

    log_in(page, live_server, accountant)
    page.goto(f"{live_server.url}/accounting/company?day={yesterday}")
    # The balances' total row is the ledger's sum.
    expect(page.locator("#balances-total td")).to_have_text(usd(ledger_sum(runtime)))

    keyboard_activate(page, "#close-day")
    expect(page.locator("#close-title")).to_have_text(f"Close {shown_day(yesterday)}?")
    expect(page.locator("#close-parrots")).to_have_text(f"{len(payable)} parrots")
    total = usd(sum(payable.values()))
    expect(page.locator("#close-total")).to_have_text(total)
    assert accessibility_violations(page) == []
    snap(page, "close-confirm")
    keyboard_activate(page, "#confirm-close")
    expect(page.locator(".flash.success")).to_contain_text(
        f"Closed {shown_day(yesterday)}: paid {len(payable)} parrots, total {total}."
    )
    expect(page.locator("#closed-day")).to_contain_text(
        f"{shown_day(yesterday)} is closed: closed at"
    )
    expect(page.locator("#closed-day")).to_contain_text("by Rita Counts")
    expect(page.locator("#close-day")).to_have_count(0)  # no close offered again
    assert -ledger_sum(runtime, kind="payout") == sum(payable.values())
    snap(page, "closed-day")

    # Drill-down: search the balances for Kesha and open her account.
    page.fill("#balance-search", "kesh")
    expect(page.locator("#balances tbody tr")).to_have_count(1)
    expect(page.locator("#balances-total td")).to_have_text(
        usd(ledger_sum(runtime, kesha.public_id))
    )
    page.click("#balances tbody >> text=Kesha Popugaev")
    expect(page.locator("h1")).to_contain_text("Kesha Popugaev")
    balance = ledger_sum(runtime, kesha.public_id)
    expect(page.locator("#balance")).to_have_text(usd(balance))
    expect(page.locator("#closing")).to_have_text(usd(balance))
    opening = shown_cents(page.locator("#opening").text_content())
    lines = [shown_cents(t) for t in page.locator("#statement .entry .amount").all_text_contents()]
    assert opening + sum(lines) == balance  # the number on top is the lines below
    expect(page.locator("#period")).to_contain_text("Since the payout of")
    assert accessibility_violations(page) == []
    snap(page, "drill-down")

    # The statement she would download herself, from the accountant's view.
    with page.expect_download() as got:
        page.click("#statement >> text=CSV")
    assert got.value.suggested_filename.startswith("ates-statement-kesha-")
    rows = list(csv.reader(io.StringIO(Path(got.value.path()).read_text("utf-8-sig"))))
    header, body = rows[TITLE_ROWS], rows[TITLE_ROWS + 1 : -1]
    assert body[-1][header.index("Balance ($)")] == dollars(balance).replace(",", "")
    with page.expect_download() as got:
        page.click("#statement >> text=XLSX")
    assert got.value.suggested_filename.endswith(".xlsx")
    saved = Path(got.value.path()).read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(saved), data_only=True).active
    last = list(sheet.iter_rows(min_row=TITLE_ROWS + 2, values_only=True))[-2]  # before totals
    assert round(last[-1] * 100) == balance


def test_a_manager_confirms_a_reassign_and_sees_the_fees_accounting_booked(
    page, live_server, runtime, make_account
):
    manager = make_account("manager", full_name="Manu Managerov", login="manu")
    for n in range(3):
        make_account("worker", login=f"worker{n}")
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/tasks/new")
    for n in range(4):
        page.fill("#title", f"Polish beak {n}")
        page.click("#new-task button")
        expect(page.locator("#created-tasks li")).to_have_count(n + 1)
    wait_until(lambda: fee_count(runtime) == 4, "the creation fees booked")
    page.goto(f"{live_server.url}/tasks/all")
    fees_before = ledger_sum(runtime, kind="assign_fee")
    keyboard_activate(page, "#reassign")
    expect(page.locator("#reassign-title")).to_have_text("Reassign 4 open tasks?")
    expect(page.locator("#reassign-cost")).to_contain_text("charged the task's assign fee")
    assert ledger_sum(runtime, kind="assign_fee") == fees_before  # asking charged nothing
    assert accessibility_violations(page) == []
    keyboard_activate(page, "#confirm-reassign")
    expect(page.locator("#reassign-moved")).to_have_text("Reassigned 4 open tasks.")
    # The fees line polls until accounting has booked every fee of this press.
    expect(page.locator("#reassign-fees")).to_contain_text("Fees charged:", timeout=30_000)
    charged = fees_before - ledger_sum(runtime, kind="assign_fee")
    expect(page.locator("#reassign-fees")).to_contain_text(f"{usd(charged)} for 4 tasks")
    assert accessibility_violations(page) == []
    snap(page, "reassigned")
