"""The day close started twice at once from two real CLI processes: one payout per account.

(Concurrent closes in threads of one process are `test_accounting_day_close.py`'s.)
"""

import re
import subprocess

from domains.accounting.tables import ledger_entries
from tests.integration.accounting.streams import (
    MOMENT,
    account_event,
    assert_the_books_add_up,
    balances,
    feed,
    new_id,
    published,
    rows,
    task_assigned,
    task_completed,
)
from tests.processes import BIN, ROOT, app_environment

PARROTS = 6


def test_two_cli_closes_started_at_once_pay_each_account_once(runtime, tmp_path):
    parrots = [new_id() for _ in range(PARROTS)]
    stream = [account_event(p, login=f"closer{n}") for n, p in enumerate(parrots)]
    for parrot in parrots:
        task = new_id()
        stream += [task_assigned(task, parrot), task_completed(task, parrot)]
    feed(runtime, stream)
    while broke := [p for p, balance in balances(runtime).items() if balance <= 0]:
        # A $20 fee and a $20 reward leave a parrot at zero: one more task each.
        extra = [(new_id(), parrot) for parrot in broke]
        feed(runtime, [e for t, p in extra for e in (task_assigned(t, p), task_completed(t, p))])
    owed = balances(runtime)
    assert len(owed) == PARROTS and all(balance > 0 for balance in owed.values())

    day = MOMENT.date().isoformat()
    args = [str(BIN / "flask"), "--app", "wsgi", "accounting", "close-day", "--date", day]
    env = app_environment(runtime.settings)
    closes = [
        subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [close.communicate(timeout=120)[0].decode() for close in closes]
    assert [close.returncode for close in closes] == [0, 0], outputs

    # One close runs; the other finds the day closed (a close is final) and changes nothing.
    closed = [re.search(r"paid (\d+) parrot", out) for out in outputs]
    assert sorted(int(found.group(1)) for found in closed if found) == [PARROTS], outputs
    assert sum(f"{day} was already closed" in out for out in outputs) == 1, outputs
    payouts = [e for e in rows(runtime, ledger_entries) if e.kind == "payout"]
    assert sorted((p.account_id, -p.amount) for p in payouts) == sorted(owed.items())
    made = published(runtime, "payment.made")
    assert sorted((m["account"], m["amount"]) for m in made) == sorted(owed.items())
    assert set(balances(runtime).values()) == {0}
    assert_the_books_add_up(runtime)
