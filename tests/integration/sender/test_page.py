"""The admin's sender page: the sent log, the failures, and Replay."""

import re
from urllib.parse import quote

import pytest

from ates.database import utcnow
from outbox.operations import dead_letters_of
from tests.mail import REFUSAL, pay, sender_dead_letters


@pytest.mark.parametrize("role", ["manager", "accountant", "worker"])
def test_only_admins_open_the_sender_page(client, login_as, csrf_token, role):
    login_as(role)
    assert client.get("/sender/").status_code == 403
    replay = client.post("/sender/failures/1/replay", data={"csrf_token": csrf_token()})
    assert replay.status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get("/sender/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(("role", "linked"), [("admin", True), ("accountant", False)])
def test_only_admins_find_the_sender_page_from_the_home_page(client, login_as, role, linked):
    login_as(role)
    home = client.get("/").get_data(as_text=True)
    assert ('href="/sender/"' in home) is linked


def test_the_page_shows_the_sent_log_and_a_failure_with_its_reason(
    client, login_as, runtime, deliver, mailbox
):
    pay(runtime, amount=4200, email_address="kesha@uberpopug.example")
    deliver()
    mailbox.refusal = REFUSAL
    pay(runtime, amount=1999, email_address="gosha@uberpopug.example")
    deliver()
    login_as("admin")
    page = client.get("/sender/").get_data(as_text=True)
    sent_row = _row(page, "kesha@uberpopug.example", "sent-log")
    assert "$42.00" in sent_row and ">sent<" in sent_row and ">1<" in sent_row
    failed_row = _row(page, "gosha@uberpopug.example", "sent-log")
    assert (
        ">failed<" in failed_row
        and f">{sender_dead_letters(runtime)[0].attempts}<" in failed_row
        and "Mailbox of kesha is full" in page
    )
    failure = _row(page, "gosha@uberpopug.example", "failures")
    assert "$19.99" in failure and "retries exhausted" in failure and "Replay" in failure


def test_replay_from_the_page_follows_the_email_until_it_is_sent(
    client, login_as, csrf_token, runtime, deliver, mailbox
):
    mailbox.refusal = REFUSAL
    payment = pay(runtime)
    deliver()
    mailbox.refusal = None
    login_as("admin")
    [letter] = dead_letters_of(runtime.db, "sender")
    since = utcnow()
    htmx = {"HX-Request": "true"}
    watching = f"/sender/?watch={payment['payment_id']}&since={quote(since.isoformat())}"
    before = client.get(watching, headers=htmx).get_data(as_text=True)
    assert 'data-watch="sending"' in before and 'hx-trigger="every 1s"' in before
    url = f"/sender/failures/{letter.id}/replay"
    form = {"payment_id": payment["payment_id"]}
    fragment = client.post(url, data=form, headers=htmx | {"X-CSRFToken": csrf_token()})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text  # only the partial
    assert "data-watch=" in text  # sending, or already sent
    deliver()
    after = client.get(watching, headers=htmx).get_data(as_text=True)
    assert 'data-watch="done"' in after and "Sent to kesha@uberpopug.example." in after
    assert 'hx-trigger="every 5s"' in after  # it stops following
    assert "No failures waiting." in after
    assert ">sent<" in _row(after, "kesha@uberpopug.example", "sent-log")
    assert len(mailbox.received) == 1


def test_a_second_replay_of_the_same_failure_sends_nothing(
    client, login_as, csrf_token, runtime, deliver, mailbox
):
    mailbox.refusal = REFUSAL
    payment = pay(runtime)
    deliver()
    mailbox.refusal = None
    login_as("admin")
    [letter] = dead_letters_of(runtime.db, "sender")
    form = {"payment_id": payment["payment_id"], "csrf_token": csrf_token()}
    first = client.post(f"/sender/failures/{letter.id}/replay", data=form)
    assert first.status_code == 303 and "watch=" in first.headers["Location"]
    deliver()
    second = client.post(f"/sender/failures/{letter.id}/replay", data=form)
    assert second.status_code == 303 and "watch=" not in second.headers["Location"]
    deliver()
    assert "already replayed" in client.get("/sender/").get_data(as_text=True)
    assert len(mailbox.received) == 1


def _row(page: str, text: str, table: str) -> str:
    section = page.split(f'class="{table}"', 1)[1].split("</table>", 1)[0]
    rows = [row for row in re.findall(r"<tr.*?</tr>", section, re.S) if text in row]
    assert len(rows) == 1, f"{text} in {table}: {rows}"
    return rows[0]
