"""The payout e-mail's words and figures."""

from domains.sender.message import payout_email

PAYMENT = {
    "payment_id": "5d0c1f7e-2b4a-4a56-8b7e-3d1a9c0e6f11",
    "account": "6b1f3c1e-8a53-4c43-9a39-0d4a0c1b7a10",
    "full_name": "Kesha Popugaev",
    "email": "kesha@uberpopug.example",
    "amount": 4200,
    "billing_day": "2026-03-03",
}


def test_the_payout_email_names_the_parrot_the_amount_and_the_billing_day():
    message = payout_email(PAYMENT, sender="aTES <accounting@uberpopug.example>")
    assert message["To"] == "kesha@uberpopug.example"
    assert message["From"] == "aTES <accounting@uberpopug.example>"
    assert message["Subject"] == "You were paid $42.00 for 03 Mar 2026"
    body = message.get_content()
    assert "Hello Kesha Popugaev" in body and "$42.00" in body and "03 Mar 2026" in body


def test_a_payout_email_sent_twice_carries_the_same_message_id():
    first, second = payout_email(PAYMENT, "a@b.example"), payout_email(PAYMENT, "a@b.example")
    assert first["Message-ID"] == second["Message-ID"]
    assert PAYMENT["payment_id"] in first["Message-ID"]


def test_the_payout_email_claims_no_balance_after_the_close_only_what_the_payout_did():
    body = " ".join(payout_email(PAYMENT, "a@b.example").get_content().split())
    assert "brought to $0.00" in body
    assert "after the close belong to the next billing day" in body
    assert "starts the next day at $0.00" not in body  # a parrot may already be in the red


def test_the_russian_payout_email_spells_money_and_the_day_the_russian_way():
    message = payout_email(PAYMENT | {"amount": 150050}, "a@b.example", language="ru")
    assert message["Subject"] == "Вам выплачено 1\xa0500,50\xa0$ за 3 марта 2026"
    assert message["Content-Language"] == "ru"
    body = message.get_content()
    assert body.startswith("Здравствуйте, Kesha Popugaev!")
    assert "1\xa0500,50\xa0$" in body and "расчётный день 3 марта 2026" in body
    assert "$" + "1,500.50" not in body


def test_a_language_the_email_does_not_speak_falls_back_to_english():
    assert payout_email(PAYMENT, "a@b.example", language="de")["Subject"] == (
        "You were paid $42.00 for 03 Mar 2026"
    )
