"""Accounting's copies of the parrots' accounts: a ledger account each, opened on first sight."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import backend
from ates.database import UTCDateTime
from domains.accounting.tables import ledger_accounts


def open_ledger_accounts(session: Session, account_ids: list[str], now: datetime) -> None:
    """Make the parrots' ledger accounts that accounting has not heard of before (in id order,
    so concurrent deliveries queue on the same rows instead of deadlocking)."""
    if not account_ids:
        return
    database = backend(session)
    new = database.records(
        {"public_id": ledger_accounts.c.public_id.type},
        [{"public_id": account_id} for account_id in sorted(set(account_ids))],
        "named",
    )
    opened = sa.select(new.c.public_id, sa.literal(0), sa.literal(0), sa.literal(now, UTCDateTime))
    session.execute(
        database.insert(ledger_accounts)
        .from_select(["public_id", "version", "balance", "opened_at"], opened.where(sa.true()))
        .on_conflict_do_nothing()
    )


def record_account(session: Session, account: dict, now: datetime) -> None:
    """Keep the account's details from the highest version seen (events carry the whole account)."""
    open_ledger_accounts(session, [account["public_id"]], now)
    session.execute(
        sa.update(ledger_accounts)
        .where(
            ledger_accounts.c.public_id == account["public_id"],
            ledger_accounts.c.version < account["version"],
        )
        .values(
            login=account["login"],
            full_name=account["full_name"],
            email=account["email"],
            role=account["role"],
            active=account["active"],
            version=account["version"],
        )
    )
