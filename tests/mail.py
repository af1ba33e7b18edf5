"""A real SMTP server for the tests (aiosmtpd), and payouts published as accounting would.

`tests/conftest.py` loads it as a plugin, so every test can ask for the `mailbox` fixture.
"""

import email
import uuid
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from domains.sender.tables import emails
from outbox import publish
from outbox.tables import dead_letters
from tests.processes import free_port

REFUSAL = "550 5.7.1 Mailbox of kesha is full"


class Mailbox:
    """An aiosmtpd handler: keeps what it accepts, or refuses with `refusal` while it is set."""

    def __init__(self):
        self.received: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.attempts = 0
        self.refusal: str | None = None
        self.refuse_recipients: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_recipients:
            return f"550 5.1.1 No parrot {address} here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.refusal:
            return self.refusal
        self.envelopes.append(envelope)
        self.received.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def mailbox(use_settings):
    """A real SMTP server on a free local port, and the settings pointing at it."""
    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    use_settings(mail_host="127.0.0.1", mail_port=controller.port)
    yield handler
    controller.stop()


def pay(runtime, amount=4200, email_address="kesha@uberpopug.example", payment_id=None, **extra):
    payment = {
        "payment_id": payment_id or str(uuid.uuid4()),
        "account": str(uuid.uuid4()),
        "full_name": "Kesha Popugaev",
        "email": email_address,
        "amount": amount,
        "billing_day": "2026-11-25",
    } | extra
    with runtime.db.transaction() as session:
        publish(
            session, "payment.made", 1, producer="accounting", key=payment["account"], data=payment
        )
    return payment


def sent_log(runtime):
    with runtime.db.transaction() as session:
        return session.execute(sa.select(emails).order_by(emails.c.id)).all()


def sender_dead_letters(runtime):
    with runtime.db.transaction() as session:
        query = sa.select(dead_letters).where(dead_letters.c.consumer == "sender")
        return session.execute(query.order_by(dead_letters.c.id)).all()
