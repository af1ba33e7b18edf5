"""Where e-mails go: an SMTP server from the settings, or `.eml` files when none is set."""

import os
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from ates.settings import Settings

# Per socket operation; stays well under SQLite's 30 s busy timeout (a send holds its write lock).
SMTP_TIMEOUT_SECONDS = 10


class Mailer(Protocol):
    def send(self, message: EmailMessage, name: str) -> None: ...


class SmtpMailer:
    """Hands each message to an SMTP server; refusals and outages raise (the caller retries)."""

    def __init__(self, host, port, *, tls=False, user=None, password=None):
        self.host, self.port, self.tls = host, port, tls
        self.user, self.password = user, password

    def send(self, message: EmailMessage, name: str) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if self.tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


class FileMailer:
    """The embedded default: each message is a readable `<name>.eml` file in one folder."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def send(self, message: EmailMessage, name: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{name}.eml"
        partial = target.with_suffix(".eml.partial")
        partial.write_bytes(message.as_bytes())
        os.replace(partial, target)  # whole file or none; a resend overwrites the same file


def mailer_for(settings: Settings) -> Mailer:
    if not settings.mail_host:
        return FileMailer(settings.mail_dir)
    return SmtpMailer(
        settings.mail_host,
        settings.mail_port,
        tls=settings.mail_tls,
        user=settings.mail_user,
        password=settings.mail_password,
    )
