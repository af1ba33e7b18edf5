"""In a real browser: a worker's fee and reward, an accountant's day close and reports."""

import csv
import io
import threading
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from ates.database import utcnow
from domains.accounting.tables import priced_tasks
from outbox import publish
from tests.conftest import usd
from tests.integration.accounting.streams import new_id, rows, work
from web.accounting_reports import TITLE_ROWS

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(app, runtime):
    web = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{web.server_port}"
    web.shutdown()
    thread.join(timeout=5)


def tracker_says(runtime, name, data):
    """The tracker's events, published as the tracker publishes them."""
    with runtime.db.transaction() as session:
        version = 2 if name == "task.created" else 1
        publish(session, name, version, producer="tracker", key=data["public_id"], data=data)


def log_in(page, server, account):
    page.goto(f"{server}/login")
    page.fill("input[name=login]", account.login)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")


def test_fee_and_reward_reach_the_worker_and_the_accountant_closes_the_day(
    server, browser, runtime, deliver, make_account
):
    worker = make_account("worker", full_name="Kesha Popugaev")
    accountant = make_account("accountant")
    task, now = new_id(), utcnow().isoformat()
    tracker_says(
        runtime,
        "task.created",
        {
            "public_id": task,
            "title": "Feed the parrots",
            "jira_id": "UBERPOP-42",
            "description": "",
            "created_by": accountant.public_id,
            "created_at": now,
        },
    )
    assignment = {"public_id": task, "assignee": worker.public_id, "assignment": 1}
    tracker_says(runtime, "task.assigned", assignment | {"assigned_at": now})
    deliver()
    [price] = [row for row in rows(runtime, priced_tasks) if row.public_id == task]

    kesha = browser.new_page()
    log_in(kesha, server, worker)
    kesha.click("text=My account")
    expect(kesha.locator("#balance")).to_have_text(usd(-price.assign_fee))
    expect(kesha.locator("#audit-log")).to_contain_text("Assign fee: [UBERPOP-42] Feed the parrots")

    completion = {
        "public_id": task,
        "assignee": worker.public_id,
        "completed_at": utcnow().isoformat(),
    }
    tracker_says(runtime, "task.completed", completion)
    deliver()
    earned, tasks = price.completion_reward - price.assign_fee, 1
    while earned <= 0:  # a $20 fee and a $20 reward leave Kesha at zero: one more task
        more = work(runtime, worker.public_id, jira_id=f"UBERPOP-{42 + tasks}")
        earned, tasks = earned + more.completion_reward - more.assign_fee, tasks + 1
    kesha.reload()
    expect(kesha.locator("#balance")).to_have_text(usd(earned))
    expect(kesha.locator("#audit-log")).to_contain_text("Completion reward: [UBERPOP-42]")

    books = browser.new_page()
    log_in(books, server, accountant)
    books.click("text=Accounting")
    expect(books.locator("#earnings")).to_have_text(usd(-earned))
    books.click("#close-day")
    expect(books.locator("#close-parrots")).to_have_text("1 parrot")
    expect(books.locator("#close-total")).to_have_text(usd(earned))
    books.click("#confirm-close")
    expect(books.locator(".flash.success")).to_contain_text(f"paid 1 parrot, total {usd(earned)}")
    expect(books.locator("#closed-day")).to_contain_text("is closed")
    expect(books.locator("#close-day")).to_have_count(0)
    expect(books.locator("#balances")).to_contain_text("$0.00")

    with books.expect_download() as ledger:
        books.click("#per-day >> text=CSV >> nth=0")
    assert ledger.value.suggested_filename.startswith("ates-ledger-")
    lines = list(csv.reader(io.StringIO(Path(ledger.value.path()).read_text("utf-8-sig"))))
    header = lines[TITLE_ROWS]
    kinds = [dict(zip(header, line, strict=True))["Kind"] for line in lines[TITLE_ROWS + 1 : -1]]
    assert kinds == ["Assign fee", "Completion reward"] * tasks + ["Payout"]
    with books.expect_download() as totals:
        books.click("#per-day >> text=XLSX >> nth=1")
    assert totals.value.suggested_filename.endswith(".xlsx")
    assert "xl/worksheets/sheet1.xml" in zipfile.ZipFile(totals.value.path()).namelist()

    kesha.reload()
    expect(kesha.locator("#balance")).to_have_text("$0.00")
    expect(kesha.locator("#audit-log")).to_contain_text("Payout of the balance")
