"""The auth domain's commands: accounts, their versions and their events, and refused input."""

import pytest
import sqlalchemy as sa

from domains.auth import commands, queries
from domains.auth.tables import accounts
from outbox.tables import events

VALID = dict(
    login="kesha",
    full_name="Kesha Popugaev",
    email="kesha@uberpopug.example",
    password="sunflower-seeds",
)


def create(runtime, **fields):
    with runtime.db.transaction() as session:
        return commands.create_account(session, **({"role": "worker"} | VALID | fields))


def published(runtime):
    with runtime.db.transaction() as session:
        rows = session.execute(sa.select(events).order_by(events.c.id)).all()
    return [(row.event_name, row.event_version, row.key, row.data) for row in rows]


def test_a_new_account_is_published_whole_with_version_one(runtime):
    account = create(runtime, login="  Kesha ")
    assert published(runtime) == [
        (
            "account.created",
            1,
            account.public_id,
            {
                "public_id": account.public_id,
                "login": "kesha",
                "full_name": "Kesha Popugaev",
                "email": "kesha@uberpopug.example",
                "role": "worker",
                "active": True,
                "version": 1,
            },
        )
    ]


def test_every_change_raises_the_version_and_publishes_its_own_event(runtime):
    account = create(runtime)
    with runtime.db.transaction() as session:
        commands.update_account(
            session, account.public_id, full_name="Kesha P.", email="kp@uberpopug.example"
        )
        commands.change_role(session, account.public_id, "manager")
        commands.deactivate(session, account.public_id)
        commands.reactivate(session, account.public_id)
    history = [
        (name, data["version"], data["role"], data["active"])
        for name, _v, _k, data in published(runtime)
    ]
    assert history == [
        ("account.created", 1, "worker", True),
        ("account.updated", 2, "worker", True),
        ("account.role_changed", 3, "manager", True),
        ("account.deactivated", 4, "manager", False),
        ("account.reactivated", 5, "manager", True),
    ]
    assert published(runtime)[1][3]["full_name"] == "Kesha P."
    with runtime.db.transaction() as session:
        assert queries.account(session, account.public_id).version == 5


def test_a_language_chosen_is_published_with_the_account_once_however_often_pressed(runtime):
    account = create(runtime)
    with runtime.db.transaction() as session:
        commands.choose_language(session, account.public_id, "ru")
        commands.choose_language(session, account.public_id, "ru")  # pressed twice
        commands.choose_language(session, account.public_id, None)  # back to the browser's
    chosen = [(name, data) for name, _v, _k, data in published(runtime)][1:]
    assert [(name, data["version"], data["language"]) for name, data in chosen] == [
        ("account.language_chosen", 2, "ru"),
        ("account.language_chosen", 3, None),
    ]
    assert chosen[0][1]["login"] == "kesha"  # the whole account, as every account event
    with pytest.raises(commands.AccountError), runtime.db.transaction() as session:
        commands.choose_language(session, account.public_id, "xx")
    assert len(published(runtime)) == 3


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (dict(login=""), {"login"}),
        (dict(login="has space"), {"login"}),
        (dict(full_name="  "), {"full_name"}),
        (dict(email=""), {"email"}),
        (dict(email="kesha.uberpopug.example"), {"email"}),
        (dict(email="kesha@nowhere"), {"email"}),
        (dict(role="boss"), {"role"}),
        (dict(password="123"), {"password"}),
        (dict(login="", full_name="", email="x"), {"login", "full_name", "email"}),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(runtime, fields, errors):
    with pytest.raises(commands.AccountError) as refused:
        create(runtime, **fields)
    assert set(refused.value.errors) == errors
    assert all(refused.value.errors.values())
    with runtime.db.transaction() as session:
        assert queries.count_accounts(session) == 0
    assert published(runtime) == []


def test_a_taken_login_is_refused_whatever_its_case(runtime):
    create(runtime)
    with pytest.raises(commands.AccountError) as refused:
        create(runtime, login="KESHA", email="other@uberpopug.example")
    assert "taken" in refused.value.errors["login"]
    with runtime.db.transaction() as session:
        assert queries.count_accounts(session) == 1
    assert len(published(runtime)) == 1


def test_bad_changes_are_refused_and_publish_nothing(runtime):
    account = create(runtime)
    with pytest.raises(commands.AccountError) as refused, runtime.db.transaction() as session:
        commands.update_account(session, account.public_id, full_name="", email="nope")
    assert set(refused.value.errors) == {"full_name", "email"}
    with pytest.raises(commands.AccountError), runtime.db.transaction() as session:
        commands.change_role(session, account.public_id, "emperor")
    with pytest.raises(commands.UnknownAccount), runtime.db.transaction() as session:
        commands.deactivate(session, "6b1f3c1e-8a53-4c43-9a39-0d4a0c1b7a10")
    assert [name for name, *_ in published(runtime)] == ["account.created"]


def test_the_password_is_kept_only_as_an_argon2_hash(runtime):
    create(runtime)
    with runtime.db.transaction() as session:
        stored = session.scalar(sa.select(accounts.c.password_hash))
    assert stored.startswith("$argon2id$") and "sunflower-seeds" not in stored
    assert "sunflower-seeds" not in str(published(runtime))


def test_a_new_password_replaces_the_old_one(runtime):
    account = create(runtime)
    with runtime.db.transaction() as session:
        commands.set_password(session, account.public_id, "brand-new-perch")
    with runtime.db.transaction() as session:
        assert commands.authenticate(session, "kesha", "sunflower-seeds").account is None
        assert commands.authenticate(session, "kesha", "brand-new-perch").account == account
