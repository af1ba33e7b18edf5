"""How the day close names what it writes, so the close and the reports derive the same ids."""

from datetime import date

import sqlalchemy as sa

from ates.backend import Backend


def payout_id(what: str, database: Backend, account_id, day):
    """The payout entry's or the payment's id: md5 of (what, account, day) as a UUID, so a
    re-run of the close could only ever repeat it. `day` is a date or a column of them."""
    day_text = f":{day.isoformat()}" if isinstance(day, date) else ":" + database.as_text(day)
    text = sa.literal(f"{what}:") + database.as_text(account_id) + day_text
    return sa.cast(sa.func.md5(text), sa.Uuid(as_uuid=False))
