"""Accounting's copies of the parrots' accounts: a ledger account each, opened on first sight."""

import functools
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import Backend, backend
from ates.database import UTCDateTime
from domains.accounting.tables import ledger_accounts


def open_ledger_accounts(session: Session, account_ids: Iterable[str], now: datetime) -> None:
    """Make the parrots' ledger accounts that accounting has not heard of before."""
    accounts = sorted(set(account_ids))
    if not accounts:
        return
    database = backend(session)
    named = database.records_text(NAMED, [{"public_id": account} for account in accounts])
    session.execute(_opening(database), {"named": named, "now": now})


NAMED = {"public_id": ledger_accounts.c.public_id.type}


@functools.cache
def _opening(database: Backend):
    # Built once, as every statement on the path of each event (see `ates.backend.records`).
    named = database.records(NAMED, None, "named")
    opened = sa.select(
        named.c.public_id, sa.literal(0), sa.literal(0), sa.bindparam("now", type_=UTCDateTime)
    ).where(sa.true())
    return (
        database.insert(ledger_accounts)
        .from_select(["public_id", "version", "balance", "opened_at"], opened)
        .on_conflict_do_nothing()
    )


def lock_ledger_accounts(session: Session, account_ids: Iterable[str], now: datetime) -> None:
    """Open these parrots' ledger accounts if new and lock them all, in id order.

    A handful of accounts receive every fee and reward: every write takes the accounts it
    touches this way first, so concurrent writers queue for them instead of deadlocking.
    """
    accounts = sorted(set(account_ids))
    if not accounts:
        return
    open_ledger_accounts(session, accounts, now)
    database = backend(session)
    session.execute(_locking(database), {"ids": database.among_value(accounts)}).all()


@functools.cache
def _locking(database: Backend):
    public_id = ledger_accounts.c.public_id
    return database.for_update(
        sa.select(public_id)
        .where(database.among(public_id, None, public_id.type))
        .order_by(public_id)
    )


def lock_every_ledger_account(session: Session) -> None:
    """Every ledger account, locked in the same id order as `lock_ledger_accounts`."""
    query = sa.select(ledger_accounts.c.public_id).order_by(ledger_accounts.c.public_id)
    session.execute(backend(session).for_update(query)).all()


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
