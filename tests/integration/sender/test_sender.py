"""The sender e-mails each payout once, over a real SMTP server (aiosmtpd) or into files."""

import email
import ssl
import subprocess
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from ates.database import utcnow
from outbox.operations import replay, status
from tests.mail import REFUSAL, Mailbox, pay, sender_dead_letters, sent_log
from tests.processes import free_port


def test_a_payment_is_emailed_to_the_parrot_with_the_amount_in_dollars(runtime, deliver, mailbox):
    payment = pay(runtime, amount=4250)
    deliver()
    [message] = mailbox.received
    assert mailbox.envelopes[0].rcpt_tos == ["kesha@uberpopug.example"]
    assert message["To"] == "kesha@uberpopug.example"
    assert message["Subject"] == "You were paid $42.50 for 25 Nov 2026"
    body = message.get_content()
    assert "Kesha Popugaev" in body and "$42.50" in body and "25 Nov 2026" in body
    [row] = sent_log(runtime)
    assert (row.payment_id, row.status, row.attempts, row.last_error) == (
        payment["payment_id"],
        "sent",
        1,
        None,
    )
    assert row.recipient == "kesha@uberpopug.example" and row.sent_at is not None


def test_redelivery_of_the_same_payment_sends_nothing_more(runtime, deliver, mailbox):
    payment = pay(runtime)
    deliver()
    runtime.relay().resend(utcnow() - timedelta(hours=1))  # the broker delivers it again
    deliver()
    pay(runtime, payment_id=payment["payment_id"])  # and accounting publishes it twice
    deliver()
    assert len(mailbox.received) == 1
    [row] = sent_log(runtime)
    assert (row.status, row.attempts) == ("sent", 1)


def test_the_same_payment_published_many_times_at_once_is_emailed_once(runtime, deliver, mailbox):
    payment = pay(runtime)
    for _ in range(7):  # one batch, split into deliveries that the workers run side by side
        pay(runtime, payment_id=payment["payment_id"])
    deliver()
    assert len(mailbox.received) == 1
    [row] = sent_log(runtime)
    assert (row.status, row.attempts) == ("sent", 1)
    assert sender_dead_letters(runtime) == []


def test_a_refusing_server_is_retried_then_dead_lettered_with_the_reason(runtime, deliver, mailbox):
    mailbox.refusal = REFUSAL
    payment = pay(runtime)
    deliver()
    assert mailbox.received == []
    [letter] = sender_dead_letters(runtime)
    assert mailbox.attempts == letter.attempts > 1
    assert letter.message["data"] == payment
    assert letter.error.startswith("retries exhausted: SMTPDataError")
    assert "Mailbox of kesha is full" in letter.error
    [row] = sent_log(runtime)
    assert (row.status, row.attempts) == ("failed", letter.attempts)
    assert "550" in row.last_error and "Mailbox of kesha is full" in row.last_error


def test_replay_after_the_server_recovers_sends_exactly_one_email(runtime, deliver, mailbox):
    mailbox.refusal = REFUSAL
    pay(runtime)
    deliver()
    [letter] = sender_dead_letters(runtime)
    mailbox.refusal = None
    assert replay(runtime.db, runtime.send, consumer="sender") == 1
    deliver()
    assert replay(runtime.db, runtime.send, consumer="sender") == 0
    deliver()
    assert len(mailbox.received) == 1
    [row] = sent_log(runtime)
    assert (row.status, row.attempts, row.last_error) == ("sent", letter.attempts + 1, None)
    assert status(runtime.db).dead_letters == {}


def test_a_closed_port_is_retried_and_dead_lettered_with_a_readable_reason(
    runtime, deliver, use_settings
):
    use_settings(mail_host="127.0.0.1", mail_port=free_port())  # nobody listens there
    pay(runtime)
    deliver()
    [letter] = sender_dead_letters(runtime)
    assert "ConnectionRefusedError" in letter.error and "Connection refused" in letter.error
    [row] = sent_log(runtime)
    assert (row.status, row.attempts) == ("failed", letter.attempts)


def test_one_refused_recipient_does_not_resend_the_other_payouts_of_its_batch(
    runtime, deliver, mailbox
):
    mailbox.refuse_recipients.add("gosha@uberpopug.example")
    addresses = ["kesha@uberpopug.example", "gosha@uberpopug.example", "rio@uberpopug.example"]
    for address in addresses:
        pay(runtime, email_address=address)
    deliver()
    delivered = sorted(message["To"] for message in mailbox.received)
    assert delivered == ["kesha@uberpopug.example", "rio@uberpopug.example"]
    [letter] = sender_dead_letters(runtime)
    assert letter.message["data"]["email"] == "gosha@uberpopug.example"
    assert "No parrot gosha@uberpopug.example here" in letter.error
    statuses = {row.recipient: (row.status, row.attempts) for row in sent_log(runtime)}
    assert statuses == {
        "kesha@uberpopug.example": ("sent", 1),
        "gosha@uberpopug.example": ("failed", letter.attempts),
        "rio@uberpopug.example": ("sent", 1),
    }


def test_without_a_mail_server_each_payout_is_written_as_an_eml_file(
    runtime, deliver, use_settings, tmp_path
):
    settings = use_settings(var_dir=tmp_path, mail_host=None)
    payment = pay(runtime, amount=123456)
    deliver()
    deliver()
    [path] = settings.mail_dir.glob("*.eml")
    assert path.name == f"{payment['payment_id']}.eml"
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "kesha@uberpopug.example"
    assert message["Subject"] == "You were paid $1,234.56 for 25 Nov 2026"
    assert "$1,234.56" in message.get_content()
    [row] = sent_log(runtime)
    assert (row.status, row.attempts) == ("sent", 1)


@pytest.fixture
def tls_certificate(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1 that this process's TLS clients trust."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # read by ssl.create_default_context()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def test_starttls_and_credentials_from_the_settings_are_used(
    runtime, deliver, use_settings, tls_certificate
):
    handler, logins = Mailbox(), []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password, session.ssl is not None))
        ok = (auth_data.login, auth_data.password) == (b"accounting", b"s3cret")
        return AuthResult(success=ok)

    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=tls_certificate,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticate,
    )
    controller.start()
    try:
        use_settings(
            mail_host="127.0.0.1",
            mail_port=controller.port,
            mail_tls=True,
            mail_user="accounting",
            mail_password="s3cret",
        )
        pay(runtime)
        deliver()
    finally:
        controller.stop()
    assert logins == [(b"accounting", b"s3cret", True)]  # over TLS
    assert [message["To"] for message in handler.received] == ["kesha@uberpopug.example"]
