"""Accounting's copies of the parrots' accounts: a ledger account each, opened on first sight."""

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.database import insert
from domains.accounting.tables import ledger_accounts


def open_ledger_account(session: Session, account_id: str, now: datetime) -> None:
    """Make the parrot's ledger account if accounting has not heard of them before."""
    session.execute(
        insert(session, ledger_accounts)
        .values(public_id=account_id, version=0, balance=0, opened_at=now)
        .on_conflict_do_nothing()
    )


def lock_ledger_accounts(session: Session, account_ids: Iterable[str], now: datetime) -> None:
    """Open these parrots' ledger accounts if new and lock them all, in id order.

    A handful of accounts receive every fee and reward: every write takes the accounts it
    touches this way first, so concurrent writers queue for them instead of deadlocking.
    (SQLite has one writer and ignores FOR UPDATE.)
    """
    accounts = sorted(set(account_ids))
    if not accounts:
        return
    rows = [{"public_id": a, "version": 0, "balance": 0, "opened_at": now} for a in accounts]
    session.execute(insert(session, ledger_accounts).values(rows).on_conflict_do_nothing())
    session.execute(
        sa.select(ledger_accounts.c.public_id)
        .where(ledger_accounts.c.public_id.in_(accounts))
        .order_by(ledger_accounts.c.public_id)
        .with_for_update()
    ).all()


def lock_every_ledger_account(session: Session) -> None:
    """Every ledger account, locked in the same id order as `lock_ledger_accounts`."""
    session.execute(
        sa.select(ledger_accounts.c.public_id)
        .order_by(ledger_accounts.c.public_id)
        .with_for_update()
    ).all()


def record_account(session: Session, account: dict, now: datetime) -> None:
    """Keep the account's details from the highest version seen (events carry the whole account)."""
    open_ledger_account(session, account["public_id"], now)
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
