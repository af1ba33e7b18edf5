"""After a Reassign: what moved, among whom, and the fees as accounting booked them."""

import re

import sqlalchemy as sa

from domains.accounting.tables import ledger_entries
from domains.tracker.tables import task_assignments
from tests.conftest import fetch_csrf_token
from tests.tracker_support import add_open_tasks


def text(response) -> str:
    return response.get_data(as_text=True)


def fees_charged(runtime) -> int:
    with runtime.db.reading() as session:
        charged = session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.amount), 0)).where(
                ledger_entries.c.kind == "assign_fee"
            )
        )
    return -int(charged)


def press(client):
    return client.post("/tasks/reassign", data={"csrf_token": fetch_csrf_token(client)})


def test_the_summary_shows_the_fees_accounting_booked_for_that_press_only(
    client, login_as, make_account, runtime, deliver
):
    login_as("manager", full_name="Manu Managerov")
    workers = [make_account("worker") for _ in range(3)]
    add_open_tasks(runtime, 12, assignee=workers[0].public_id)
    press(client)  # an earlier press: its fees must not count in the next one's summary
    deliver()
    before = fees_charged(runtime)
    response = press(client)
    assert response.status_code == 303
    summary_url = response.headers["Location"]
    number = int(re.search(r"/tasks/reassigns/(\d+)$", summary_url).group(1))

    pending = text(client.get(f"{summary_url}?part=fees", headers={"HX-Request": "true"}))
    assert 'hx-trigger="load delay:1s"' in pending  # polls while the books catch up
    deliver()

    with runtime.db.reading() as session:
        moved = session.execute(
            sa.select(task_assignments.c.task, task_assignments.c.assignee).where(
                task_assignments.c.reassign == number
            )
        ).all()
    assert len(moved) == 12
    total = fees_charged(runtime) - before  # the ledger's fees of this press

    page = text(client.get(summary_url))
    assert "Reassigned 12 open tasks." in page
    parrots = len({assignee for _, assignee in moved})
    assert f"{parrots} parrot" in page and "Pressed by Manu Managerov" in page
    fees_line = re.search(r'<p id="reassign-fees".*?</p>', page, re.S).group(0)
    assert "hx-get" not in fees_line  # booked: no more polling
    dollars = f"${total // 100:,}.{total % 100:02d}"
    assert f"Fees charged: {dollars} for 12 tasks" in " ".join(fees_line.split())


def test_a_summary_of_a_press_that_never_was_is_404(client, login_as):
    login_as("admin")
    assert client.get("/tasks/reassigns/999").status_code == 404
