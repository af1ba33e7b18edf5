"""The admin's account pages, refused input, role escalation, and events reaching consumers."""

import pytest
import sqlalchemy as sa

from domains.auth import queries
from outbox.tables import events, inbox
from tests.conftest import fetch_csrf_token
from tests.probe.accounts import SEEN

NEW = dict(
    login="rio",
    full_name="Rio Ara",
    email="rio@uberpopug.example",
    role="worker",
    password="rio-secret",
)


def post(client, url, **data):
    return client.post(url, data=data | {"csrf_token": fetch_csrf_token(client)})


def account(runtime, login):
    with runtime.db.transaction() as session:
        return queries.account_by_login(session, login)


def event_names(runtime):
    with runtime.db.transaction() as session:
        return session.scalars(sa.select(events.c.event_name).order_by(events.c.id)).all()


def test_an_admin_creates_an_account_that_can_log_in(client, login_as, runtime, app):
    login_as("admin")
    response = post(client, "/accounts/new", **NEW)
    assert response.status_code == 302
    created = account(runtime, "rio")
    assert response.headers["Location"] == f"/accounts/{created.public_id}"
    assert (created.full_name, created.role, created.active, created.version) == (
        "Rio Ara",
        "worker",
        True,
        1,
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Account rio created." in page
    newcomer = app.test_client()
    assert post(newcomer, "/login", login="rio", password="rio-secret").status_code == 302


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("login", "", "Give a login name."),
        ("login", "admin", "is taken"),
        ("full_name", "", "Give a full name."),
        ("email", "", "Give an e-mail address."),
        ("email", "rio-at-uberpopug", "This is not an e-mail address"),
        ("role", "emperor", "Choose one of"),
        ("password", "abc", "at least 10 characters"),
    ],
)
def test_refused_input_is_marked_next_to_its_field_and_nothing_is_saved(
    client, login_as, runtime, field, value, message
):
    login_as("admin", login="admin")
    before = event_names(runtime)
    response = post(client, "/accounts/new", **(NEW | {field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page.split(f'id="{field}-error"')[1]
    assert 'aria-invalid="true"' in page
    assert account(runtime, "rio") is None and event_names(runtime) == before


def test_an_admin_edits_name_and_email_and_bad_ones_change_nothing(
    client, login_as, make_account, runtime
):
    login_as("admin")
    kesha = make_account(login="kesha")
    url = f"/accounts/{kesha.public_id}"
    refused = post(client, url, full_name="", email="nope")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="full_name-error"' in page and 'id="email-error"' in page
    assert account(runtime, "kesha").full_name == kesha.full_name
    assert post(client, url, full_name="Kesha P.", email="kp@uberpopug.example").status_code == 302
    changed = account(runtime, "kesha")
    assert (changed.full_name, changed.email, changed.version) == (
        "Kesha P.",
        "kp@uberpopug.example",
        2,
    )


def test_an_admin_changes_a_role_but_never_their_own(client, login_as, make_account, runtime):
    admin = login_as("admin")
    kesha = make_account(login="kesha")
    assert post(client, f"/accounts/{kesha.public_id}/role", role="manager").status_code == 302
    assert account(runtime, "kesha").role == "manager"
    own = post(client, f"/accounts/{admin.public_id}/role", role="worker")
    assert own.status_code == 422 and "your own role" in own.get_data(as_text=True)
    assert account(runtime, admin.login).role == "admin"
    bad = post(client, f"/accounts/{kesha.public_id}/role", role="emperor")
    assert bad.status_code == 422 and account(runtime, "kesha").role == "manager"


def test_an_admin_deactivates_and_reactivates_but_never_themselves(
    client, login_as, make_account, runtime, app
):
    admin = login_as("admin")
    kesha = make_account(login="kesha")
    assert post(client, f"/accounts/{kesha.public_id}/deactivate").status_code == 302
    assert account(runtime, "kesha").active is False
    outsider = app.test_client()
    assert post(outsider, "/login", login="kesha", password=kesha.password).status_code == 401
    assert post(client, f"/accounts/{kesha.public_id}/reactivate").status_code == 302
    assert account(runtime, "kesha").active is True
    assert post(outsider, "/login", login="kesha", password=kesha.password).status_code == 302
    own = post(client, f"/accounts/{admin.public_id}/deactivate")
    assert own.status_code == 422 and account(runtime, admin.login).active is True


def test_an_unknown_account_is_404(client, login_as):
    login_as("admin")
    assert client.get("/accounts/6b1f3c1e-8a53-4c43-9a39-0d4a0c1b7a10").status_code == 404
    assert client.get("/accounts/not-a-uuid").status_code == 404


def test_the_search_finds_by_login_name_or_email_and_htmx_gets_only_rows(
    client, login_as, make_account
):
    login_as("admin", login="admin")
    make_account(login="kesha", full_name="Kesha Popugaev")
    make_account(login="gosha", full_name="Gosha Zelenov", email="green@uberpopug.example")
    page = client.get("/accounts").get_data(as_text=True)
    assert all(name in page for name in ("admin", "kesha", "gosha"))
    by_name = client.get("/accounts?q=popugaev").get_data(as_text=True)
    assert "kesha" in by_name and "gosha" not in by_name
    rows = client.get("/accounts?q=GREEN", headers={"HX-Request": "true"})
    assert "gosha" in rows.get_data(as_text=True) and "kesha" not in rows.get_data(as_text=True)
    assert "<html" not in rows.get_data(as_text=True) and "HX-Request" in rows.headers["Vary"]
    none = client.get("/accounts?q=zzz", headers={"HX-Request": "true"})
    assert "No account matches." in none.get_data(as_text=True)


@pytest.mark.parametrize("role", ["worker", "manager", "accountant"])
def test_only_admins_may_touch_accounts(client, login_as, make_account, runtime, role):
    login_as(role)
    kesha = make_account(login="kesha")
    before = event_names(runtime)
    attempts = [
        ("/accounts/new", NEW | {"role": "admin"}),
        (f"/accounts/{kesha.public_id}", {"full_name": "Hacked", "email": "h@evil.example"}),
        (f"/accounts/{kesha.public_id}/role", {"role": "admin"}),
        (f"/accounts/{kesha.public_id}/deactivate", {}),
    ]
    for url, data in attempts:
        assert post(client, url, **data).status_code == 403, url
    assert client.get("/accounts").status_code == 403
    assert event_names(runtime) == before and account(runtime, "rio") is None
    assert account(runtime, "kesha").role == "worker" and account(runtime, "kesha").active


def test_an_account_form_without_the_csrf_token_is_refused_and_saves_nothing(
    client, login_as, runtime
):
    login_as("admin")
    before = event_names(runtime)
    response = client.post("/accounts/new", data=NEW)
    assert response.status_code == 400
    response = client.post("/accounts/new", data=NEW | {"csrf_token": "wrong"})
    assert response.status_code == 400
    assert account(runtime, "rio") is None and event_names(runtime) == before


def test_every_account_change_reaches_other_consumers(client, login_as, runtime, deliver):
    login_as("admin")
    SEEN.clear()
    post(client, "/accounts/new", **NEW)
    rio = account(runtime, "rio")
    post(client, f"/accounts/{rio.public_id}", full_name="Rio A.", email="rio@uberpopug.example")
    post(client, f"/accounts/{rio.public_id}/role", role="accountant")
    post(client, f"/accounts/{rio.public_id}/deactivate")
    post(client, f"/accounts/{rio.public_id}/reactivate")
    deliver()
    seen = sorted(
        (data["version"], name, data["role"], data["active"])
        for name, data in SEEN
        if data["public_id"] == rio.public_id
    )
    assert seen == [
        (1, "account.created", "worker", True),
        (2, "account.updated", "worker", True),
        (3, "account.role_changed", "accountant", True),
        (4, "account.deactivated", "accountant", False),
        (5, "account.reactivated", "accountant", True),
    ]
    with runtime.db.transaction() as session:
        pending = session.scalar(sa.select(sa.func.count()).where(events.c.relayed_at.is_(None)))
        rio_events = session.scalars(
            sa.select(events.c.event_id).where(events.c.key == rio.public_id)
        ).all()
        handled = session.scalars(
            sa.select(inbox.c.event_id).where(inbox.c.consumer == "account_watcher")
        ).all()
    assert pending == 0 and set(map(str, rio_events)) <= set(map(str, handled))
    assert len(rio_events) == 5
