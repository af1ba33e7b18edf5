"""`flask auth seed-demo` and `flask auth create-admin`, and production's refusals."""

import dataclasses

import pytest

from ates.settings import load_settings
from domains.auth import queries
from web.auth.cli import DEMO_ACCOUNTS


def _count(runtime):
    with runtime.db.transaction() as session:
        return queries.count_accounts(session)


def test_the_demo_company_is_seeded_once_and_prints_how_to_log_in(app, runtime, monkeypatch):
    embedded = dataclasses.replace(runtime.settings, environment="development")
    monkeypatch.setattr(runtime, "settings", embedded)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["auth", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert _count(runtime) == len(DEMO_ACCOUNTS) >= 13
    for login, _name, _role, password in DEMO_ACCOUNTS:
        assert login in first.output and password in first.output
    again = runner.invoke(args=["auth", "seed-demo"])
    assert again.exit_code == 0 and "0 account(s) created" in again.output
    assert _count(runtime) == len(DEMO_ACCOUNTS)
    with runtime.db.transaction() as session:
        roles = {a.role for a in queries.accounts_list(session)}
    assert roles == {"admin", "manager", "accountant", "worker"}
    with runtime.db.transaction() as session:
        assert queries.account_by_login(session, "gosha").language == "ru"


def test_production_never_gets_demo_accounts(app, runtime, monkeypatch):
    production = dataclasses.replace(runtime.settings, environment="production")
    monkeypatch.setattr(runtime, "settings", production)
    result = app.test_cli_runner().invoke(args=["auth", "seed-demo"])
    assert result.exit_code != 0 and "never gets demo accounts" in result.output
    assert _count(runtime) == 0


def test_the_first_admin_types_the_password_at_the_prompt(app, runtime, client):
    result = app.test_cli_runner().invoke(
        args=[
            "auth",
            "create-admin",
            "--login",
            "boss",
            "--full-name",
            "Big Ara",
            "--email",
            "boss@uberpopug.example",
        ],
        input="long-secret\nlong-secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "long-secret" not in result.output
    with runtime.db.transaction() as session:
        assert queries.account_by_login(session, "boss").role == "admin"
    refused = app.test_cli_runner().invoke(
        args=["auth", "create-admin", "--login", "boss", "--full-name", "", "--email", "nope"],
        input="x\nx\n",
    )
    assert refused.exit_code != 0 and "taken" in refused.output


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("ATES_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        load_settings(environment="production", broker_url="redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    assert (
        load_settings(environment="production", broker_url="redis://127.0.0.1:6379/0").secret_key
        == "a-real-secret"
    )
