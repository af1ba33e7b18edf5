"""The payout e-mail: what a parrot reads after a billing day closed with a positive balance."""

from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime

from ates.database import utcnow
from ates.money import dollars


def subject(amount: int, billing_day: date) -> str:
    return f"You were paid ${dollars(amount)} for {billing_day:%d %b %Y}"


def payout_email(payment: dict, sender: str) -> EmailMessage:
    """The e-mail for one `payment.made` payload."""
    billing_day = date.fromisoformat(payment["billing_day"])
    amount = "$" + dollars(payment["amount"])
    message = EmailMessage()
    message["From"] = sender
    message["To"] = payment["email"]
    message["Subject"] = subject(payment["amount"], billing_day)
    message["Date"] = format_datetime(utcnow())
    # One Message-ID per payment: a copy sent again after a crash reads as the same message.
    message["Message-ID"] = f"<payout-{payment['payment_id']}@ates.uberpopug>"
    message.set_content(
        f"Hello {payment['full_name']},\n\n"
        f"UberPopug Inc. paid you {amount} for the billing day {billing_day:%d %b %Y}: your whole "
        "balance when that day closed, which the payout brought to $0.00.\n"
        "Fees and rewards recorded after the close belong to the next billing day; your balance "
        "now, with every entry since this payout, is on your account page in aTES.\n\n"
        f"Payment reference: {payment['payment_id']}\n\n"
        "-- aTES accounting\n"
    )
    return message
