"""On `payment.made`: e-mail the parrot the amount paid for the billing day, once, in the
language the parrot chose (`account.language_chosen`).

The consumer is `one_at_a_time`: each payment is its own delivery and transaction, so a refused
e-mail never rolls back (and re-sends) another one. A handler that raises is retried with
backoff and dead-lettered after the retries; `note_failed_attempt` keeps each failure in the
sent log meanwhile.
"""

from ates.settings import current_settings
from domains.sender import commands
from domains.sender.mailer import mailer_for
from outbox import consumer

sender = consumer("sender", one_at_a_time=True)


def _note_failure(session, event, error: str) -> None:
    commands.note_failed_attempt(session, event.data, error)


@sender.handles("payment.made", versions=(1,), on_failure=_note_failure)
def when_payment_made_email_the_parrot(session, event) -> None:
    settings = current_settings()
    commands.email_payout(session, event.data, mailer_for(settings), settings.mail_sender)


@sender.handles("account.language_chosen", versions=(1,))
def when_language_chosen_write_in_it(session, event) -> None:
    commands.remember_language(session, event.data)
