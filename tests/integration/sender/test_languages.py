"""The payout e-mail speaks the language the parrot chose in aTES, whatever order the events
come in; a parrot who chose none reads English."""

from tests.conftest import fetch_csrf_token
from tests.events import message
from tests.mail import pay, sent_log

RUSSIAN_SUBJECT = "Вам выплачено 1\xa0500,50\xa0$ за 25 ноября 2026"


def choose(client, language: str) -> None:
    token = fetch_csrf_token(client)
    response = client.post("/language", data={"language": language, "csrf_token": token})
    assert response.status_code == 302


def test_a_parrot_who_chose_russian_is_paid_in_russian_and_back_in_english(
    runtime, client, login_as, deliver, mailbox
):
    kesha = login_as("worker")
    choose(client, "ru")
    deliver()
    pay(runtime, amount=150050, account=kesha.public_id)
    deliver()
    [russian] = mailbox.received
    assert russian["Subject"] == RUSSIAN_SUBJECT
    assert russian["Content-Language"] == "ru"
    body = russian.get_content()
    assert "Здравствуйте, Kesha" in body and "1\xa0500,50\xa0$" in body and "0,00\xa0$" in body
    assert sent_log(runtime)[0].subject == RUSSIAN_SUBJECT  # the admin's page shows what went

    choose(client, "")  # back to the browser's language: the e-mails are English again
    deliver()
    pay(runtime, amount=4200, account=kesha.public_id)
    deliver()
    assert mailbox.received[1]["Subject"] == "You were paid $42.00 for 25 Nov 2026"


def test_the_newest_choice_wins_whatever_order_the_events_come_in(runtime, apply, deliver, mailbox):
    account = "6b1f3c1e-8a53-4c43-9a39-0d4a0c1b7a10"
    chosen = {"public_id": account}
    apply("sender", message("account.language_chosen", **chosen, language="ru", version=5))
    apply("sender", message("account.language_chosen", **chosen, language="en", version=4))
    apply("sender", message("account.language_chosen", **chosen, language="ru", version=5))
    pay(runtime, amount=150050, account=account)
    deliver()
    assert [m["Subject"] for m in mailbox.received] == [RUSSIAN_SUBJECT]


def test_a_payout_before_any_choice_arrived_goes_in_english(runtime, deliver, mailbox):
    pay(runtime, amount=4200)
    deliver()
    [english] = mailbox.received
    assert english["Subject"] == "You were paid $42.00 for 25 Nov 2026"
    assert english["Content-Language"] == "en"
