"""Writes that are not reactions to one event: starting the read model over."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domains.analytics.tables import accounts, balances, ledger_entries, tasks


def forget_everything(session: Session) -> None:
    """Empty the read model, before it is rebuilt from the event archive."""
    for table in (balances, ledger_entries, tasks, accounts):
        session.execute(sa.delete(table))
