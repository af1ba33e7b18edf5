"""The payout e-mail: what a parrot reads after a billing day closed with a positive balance,
in the language they chose in aTES (English when they chose none)."""

from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime

from babel.dates import format_date
from babel.numbers import format_currency

from ates.database import utcnow

SUBJECT = {
    "en": "You were paid {amount} for {day}",
    "ru": "Вам выплачено {amount} за {day}",
}
BODY = {
    "en": (
        "Hello {name},\n\n"
        "UberPopug Inc. paid you {amount} for the billing day {day}: your whole balance when "
        "that day closed, which the payout brought to {zero}.\n"
        "Fees and rewards recorded after the close belong to the next billing day; your balance "
        "now, with every entry since this payout, is on your account page in aTES.\n\n"
        "Payment reference: {payment_id}\n\n"
        "-- aTES accounting\n"
    ),
    "ru": (
        "Здравствуйте, {name}!\n\n"
        "UberPopug Inc. выплатила вам {amount} за расчётный день {day}: весь ваш баланс на момент "
        "закрытия этого дня; после выплаты он равен {zero}.\n"
        "Списания и начисления, записанные после закрытия, относятся к следующему расчётному "
        "дню; ваш баланс сейчас, включая все записи после этой выплаты, — на странице «Мой счёт» "
        "в aTES.\n\n"
        "Номер платежа: {payment_id}\n\n"
        "-- бухгалтерия aTES\n"
    ),
}
DAY_FORMAT = {"en": "dd MMM y", "ru": "d MMMM y"}
LANGUAGES = tuple(SUBJECT)


def subject(amount: int, billing_day: date, language: str | None = None) -> str:
    language = _known(language)
    return SUBJECT[language].format(**_figures(amount, billing_day, language))


def payout_email(payment: dict, sender: str, language: str | None = None) -> EmailMessage:
    """The e-mail for one `payment.made` payload, in `language` (None or unknown: English)."""
    language = _known(language)
    billing_day = date.fromisoformat(payment["billing_day"])
    message = EmailMessage()
    message["From"] = sender
    message["To"] = payment["email"]
    message["Subject"] = subject(payment["amount"], billing_day, language)
    message["Date"] = format_datetime(utcnow())
    # One Message-ID per payment: a copy sent again after a crash reads as the same message.
    message["Message-ID"] = f"<payout-{payment['payment_id']}@ates.uberpopug>"
    message.set_content(
        BODY[language].format(
            name=payment["full_name"],
            payment_id=payment["payment_id"],
            **_figures(payment["amount"], billing_day, language),
        )
    )
    message["Content-Language"] = language  # after set_content, which clears Content-* headers
    return message


def _known(language: str | None) -> str:
    return language if language in LANGUAGES else "en"


def _figures(amount: int, billing_day: date, language: str) -> dict[str, str]:
    """Dollars and the day as the pages show them in that language: `$42.00`, `42,00 $`."""
    return {
        "amount": _money(amount, language),
        "zero": _money(0, language),
        "day": format_date(billing_day, DAY_FORMAT[language], locale=language),
    }


def _money(cents: int, language: str) -> str:
    return format_currency(Decimal(int(cents)).scaleb(-2), "USD", locale=language)
