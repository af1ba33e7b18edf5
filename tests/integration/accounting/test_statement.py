"""A parrot's open billing period: the balance on top is the sum of the lines below it, for the
parrot and for the accountant who drills down from the balances table."""

import re
from datetime import timedelta

import sqlalchemy as sa

from ates.database import utcnow
from domains.accounting import day_close, queries
from domains.accounting.rules import billing_day_of
from domains.accounting.tables import ledger_entries
from tests.conftest import log_in, usd
from tests.integration.accounting.streams import balances, new_id, work


def text(response) -> str:
    return response.get_data(as_text=True)


def statement_section(page: str) -> str:
    return re.search(r'<section id="statement".*?</section>', page, re.S).group(0)


def ledger_sum(runtime, account_id, after_id=0) -> int:
    with runtime.db.reading() as session:
        return session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.amount), 0)).where(
                ledger_entries.c.account_id == account_id, ledger_entries.c.id > after_id
            )
        )


def close(runtime, day):
    with runtime.db.transaction() as session:
        return day_close.close_day(session, day, utcnow())


def period(runtime, account_id, **kwargs) -> queries.Statement:
    with runtime.db.reading() as session:
        return queries.open_period(session, account_id, **kwargs)


def test_the_open_period_starts_after_the_last_payout_and_adds_up_to_the_balance(
    client, runtime, login_as
):
    kesha = login_as("worker", full_name="Kesha Popugaev")
    while balances(runtime).get(kesha.public_id, 0) <= 0:
        work(runtime, kesha.public_id, at=utcnow() - timedelta(days=1))
    day = billing_day_of(utcnow(), runtime.settings.timezone)
    paid = close(runtime, day - timedelta(days=1)).total
    assert paid > 0
    later = work(runtime, kesha.public_id, title="After the payout", complete=False)

    statement = period(runtime, kesha.public_id)
    assert -statement.last_payout.amount == paid and statement.opening == 0
    assert [line.entry.description for line in statement.lines] == [
        "Assign fee: [UBERPOP-42] After the payout"
    ]
    assert statement.balance == -later.assign_fee == balances(runtime)[kesha.public_id]
    assert statement.lines[-1].balance == statement.balance
    assert statement.opening + sum(line.entry.amount for line in statement.lines) == (
        ledger_sum(runtime, kesha.public_id)
    )

    page = text(client.get("/accounting/"))
    assert f'<strong id="balance">{usd(statement.balance)}</strong>' in page
    assert f'<td id="closing" class="money">{usd(statement.balance)}</td>' in page
    assert f"Since the payout of {usd(paid)} for billing day" in page
    assert "Feed the parrots" not in statement_section(page)  # paid out: not in the period


def test_a_parrot_never_paid_sees_every_entry_and_earlier_lines_are_summed_not_lost(runtime):
    gosha = new_id()
    for n in range(4):
        work(runtime, gosha, title=f"Task {n}", complete=False)
    statement = period(runtime, gosha, limit=2)
    assert statement.last_payout is None and statement.opening == 0
    assert statement.earlier_count == 2 and len(statement.lines) == 2
    shown = sum(line.entry.amount for line in statement.lines)
    assert statement.opening + statement.earlier_sum + shown == statement.balance
    assert statement.balance == ledger_sum(runtime, gosha) == balances(runtime)[gosha]
    assert [d for d, _ in statement.days()] == [statement.lines[0].entry.billing_day]


def test_an_accountant_drills_down_from_the_balances_to_the_view_the_parrot_sees(
    app, client, runtime, make_account, login_as
):
    kesha = make_account("worker", full_name="Kesha Popugaev", login="kesha")
    work(runtime, kesha.public_id, complete=False)
    own = app.test_client()
    assert log_in(own, kesha.login, kesha.password).status_code == 302
    login_as("accountant")
    company = text(client.get("/accounting/company"))
    link = f'href="/accounting/parrots/{kesha.public_id}"'
    assert link in company
    drilled = text(client.get(f"/accounting/parrots/{kesha.public_id}"))
    assert "<h1>Kesha Popugaev" in drilled
    mine = text(own.get("/accounting/"))
    strip_links = re.compile(r'<a href="[^"]*statement\.(csv|xlsx)[^"]*"')
    assert strip_links.sub("", statement_section(drilled)) == strip_links.sub(
        "", statement_section(mine)
    )
    assert client.get(f"/accounting/parrots/{new_id()}").status_code == 404


def test_a_worker_cannot_open_another_parrots_account_or_statement(
    client, runtime, make_account, login_as
):
    other = make_account("worker")
    login_as("worker")
    assert client.get(f"/accounting/parrots/{other.public_id}").status_code == 403
    assert client.get(f"/accounting/parrots/{other.public_id}/statement.csv").status_code == 403
    assert client.get("/accounting/statement.csv").status_code == 200


def test_the_balances_table_is_searched_sorted_and_totalled(
    client, runtime, make_account, login_as
):
    kesha = make_account("worker", full_name="Kesha Popugaev", login="kesha")
    gosha = make_account("worker", full_name="Gosha Perov", login="gosha")
    work(runtime, kesha.public_id, complete=False)
    work(runtime, gosha.public_id)
    login_as("accountant", full_name="Rita Counts", login="rita")
    owed = balances(runtime)

    page = text(client.get("/accounting/company"))
    total = sum(owed.values())
    assert re.search(
        rf'id="balances-total".*?Total of {len(owed)} accounts.*?{re.escape(usd(total))}',
        page,
        re.S,
    )
    found = text(client.get("/accounting/company?q=KESH"))
    assert "Kesha Popugaev" in found and "Gosha Perov" not in found
    kesha_owes = usd(owed[kesha.public_id])
    assert f'Total of 1 account</th>\n        <td class="money">{kesha_owes}' in found
    by_name = text(client.get("/accounting/company?sort=name&order=desc"))
    names = re.findall(r'/accounting/parrots/[^"]+">([^<]+)</a>', by_name)
    known = [name for name in names if name != "(not known yet)"]  # tasks' unknown creators
    assert known == ["Rita Counts", "Kesha Popugaev", "Gosha Perov"]
    fragment = client.get(
        "/accounting/company?q=gosha&part=balances", headers={"HX-Request": "true"}
    )
    assert text(fragment).lstrip().startswith('<section id="balances"')
    assert client.get("/accounting/company?sort=secret").status_code == 400
    assert "No parrot matches" in text(client.get("/accounting/company?q=100%25_"))
