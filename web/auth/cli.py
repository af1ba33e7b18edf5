"""`flask auth ...`: the demo company (never in production) and the first admin."""

import click
from flask import current_app
from flask.cli import AppGroup

from domains.auth import commands, queries

auth_cli = AppGroup("auth", help="Accounts: the demo company and the first admin.")

DEMO_WORKERS = (
    ("kesha", "Kesha Popugaev"),
    ("gosha", "Gosha Zelenov"),
    ("rio", "Rio Ara"),
    ("kiwi", "Kiwi Kakadu"),
    ("mango", "Mango Lori"),
    ("pico", "Pico Ararauna"),
    ("lulu", "Lulu Zhako"),
    ("zazu", "Zazu Korella"),
    ("polly", "Polly Amazonova"),
    ("tweety", "Tweety Volnistaya"),
)

# Gosha reads the pages and the payout e-mails in Russian; the others, their browser's language.
DEMO_LANGUAGES = {"gosha": "ru"}

# (login, full name, role, password): the README lists the same table.
DEMO_ACCOUNTS = (
    ("admin", "Ara Adminova", "admin", "admin-popug"),
    ("manager", "Manu Managerov", "manager", "manager-popug"),
    ("accountant", "Schet Kakadu", "accountant", "accountant-popug"),
    *((login, name, "worker", "worker-popug") for login, name in DEMO_WORKERS),
)


def _db():
    return current_app.extensions["ates"].db


@auth_cli.command("seed-demo")
def seed_demo_command():
    """Create the demo company (admin, manager, accountant, ten workers) unless it exists."""
    if current_app.extensions["ates"].settings.production:
        raise click.ClickException("production (ATES_ENV=production) never gets demo accounts")
    created = 0
    with _db().transaction() as session:
        for login, full_name, role, password in DEMO_ACCOUNTS:
            if queries.account_by_login(session, login) is None:
                account = commands.create_account(
                    session,
                    login=login,
                    full_name=full_name,
                    email=f"{login}@uberpopug.example",
                    role=role,
                    password=password,
                )
                if login in DEMO_LANGUAGES:
                    commands.choose_language(session, account.public_id, DEMO_LANGUAGES[login])
                created += 1
    click.echo(f"demo company: {created} account(s) created; log in with")
    click.echo(f"  {'login':<12} {'password':<18} role")
    for login, _name, role, password in DEMO_ACCOUNTS:
        click.echo(f"  {login:<12} {password:<18} {role}")


@auth_cli.command("create-admin")
@click.option("--login", prompt=True)
@click.option("--full-name", prompt=True)
@click.option("--email", prompt=True)
def create_admin_command(login, full_name, email):
    """Create an admin; the password is typed at the prompt, never given on the command line."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with _db().transaction() as session:
            account = commands.create_account(
                session,
                login=login,
                full_name=full_name,
                email=email,
                role="admin",
                password=password,
            )
    except commands.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"admin {account.login} created ({account.public_id})")
