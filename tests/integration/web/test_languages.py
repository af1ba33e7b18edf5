"""English and Russian: the browser's language by default, the account's choice once made."""

import re
from datetime import date, datetime

from ates.words import Words
from domains.accounting.queries import KIND_LABELS, Entry
from tests.conftest import fetch_csrf_token, log_in
from web.formats import say

RUSSIAN = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}


def test_the_interface_speaks_the_browser_s_language_until_the_parrot_chooses(
    app, client, login_as
):
    worker = login_as("worker")
    assert ">Мои задачи</a>" in client.get("/", headers=RUSSIAN).get_data(as_text=True)
    assert ">My tasks</a>" in client.get("/").get_data(as_text=True)
    token = fetch_csrf_token(client)
    chosen = client.post(
        "/language", data={"language": "en", "next": "/tasks/", "csrf_token": token}
    )
    assert chosen.status_code == 302 and chosen.location.endswith("/tasks/")
    elsewhere = app.test_client()  # another browser, logged in later: the account remembers
    assert log_in(elsewhere, worker.login, worker.password).status_code == 302
    page = elsewhere.get("/", headers=RUSSIAN).get_data(as_text=True)
    assert ">My tasks</a>" in page and '<html lang="en">' in page


def test_a_language_picked_on_the_login_page_stays_with_the_account(app, client, make_account):
    kesha = make_account("worker")
    token = fetch_csrf_token(client)
    client.post("/language", data={"language": "ru", "next": "/login", "csrf_token": token})
    assert log_in(client, kesha.login, kesha.password).status_code == 302
    assert ">Мои задачи</a>" in client.get("/").get_data(as_text=True)
    elsewhere = app.test_client()  # another browser: the account speaks Russian there too
    assert log_in(elsewhere, kesha.login, kesha.password).status_code == 302
    assert ">Мои задачи</a>" in elsewhere.get("/").get_data(as_text=True)


def test_money_and_times_follow_the_language_with_the_zone_shown(client, login_as):
    login_as("manager")
    english = client.get("/").get_data(as_text=True)
    russian = client.get("/", headers=RUSSIAN).get_data(as_text=True)
    assert '<html lang="ru">' in russian and "Здравствуйте" in russian
    assert re.search(r"\w{3}, \d{1,2} \w{3} \d{4}", english)  # "Sun, 29 Nov 2026"
    assert "менеджер" in russian


def test_an_unknown_language_falls_back_to_the_browser_s(client, login_as):
    login_as("worker")
    token = fetch_csrf_token(client)
    client.post("/language", data={"language": "xx", "csrf_token": token})
    assert ">Мои задачи</a>" in client.get("/", headers=RUSSIAN).get_data(as_text=True)


def test_the_books_the_close_and_the_operations_page_speak_russian_with_shared_formats(
    client, login_as
):
    login_as("admin")
    company = client.get("/accounting/company", headers=RUSSIAN).get_data(as_text=True)
    assert "Итоги компании по дням" in company and "Баланс каждого счёта сейчас" in company
    assert "$0.00" not in company and "0,00\xa0$" in company  # money the Russian way
    close = client.get("/accounting/close", headers=RUSSIAN).get_data(as_text=True)
    assert "Закрытие окончательно" in close
    assert not re.search(r"\d{4}-\d{2}-\d{2}</", close)  # no ISO day shown, only in links
    operations = client.get("/operations", headers=RUSSIAN).get_data(as_text=True)
    assert "Отставание потребителей" in operations and "Consumer lag" not in operations
    catalog = client.get("/events", headers=RUSSIAN).get_data(as_text=True)
    assert "которые публикуют домены" in catalog
    follow = client.get("/operations/follow?id=nothing-like-it", headers=RUSSIAN)
    assert "Ни одно событие не вызвано nothing-like-it" in follow.get_data(as_text=True)


def test_what_is_wrong_with_a_request_is_said_in_the_parrot_s_language(client, login_as):
    login_as("admin")
    cases = [
        ("/tasks/all?page=7", "Страницы 7 нет: всего 1 страница.", "There is no page 7"),
        ("/tasks/all?sort=colour", "Неизвестная сортировка «colour»", "Unknown sort “colour”"),
        ("/accounting/company?day=someday", "«someday» — не дата", "“someday” is not a day"),
        ("/tasks/reassigns/999999", "Перераспределения №999999 нет.", "no Reassign #999999"),
    ]
    for url, russian, english in cases:
        refused = client.get(url, headers=RUSSIAN)
        assert refused.status_code in (400, 404), url
        assert russian in refused.get_data(as_text=True), url
        assert english in client.get(url).get_data(as_text=True), url


def test_refusals_and_notices_speak_the_parrot_s_language(client, make_account):
    kesha = make_account("worker")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = RUSSIAN["Accept-Language"]
    refused = log_in(client, kesha.login, "not the password")
    assert refused.status_code == 401
    assert "Неверный логин или пароль." in refused.get_data(as_text=True)
    assert log_in(client, kesha.login, kesha.password).status_code == 302
    assert f"Добро пожаловать, {kesha.full_name}." in client.get("/").get_data(as_text=True)
    headers = {"HX-Request": "true", "X-CSRFToken": fetch_csrf_token(client)}
    empty = client.post("/tasks/", data={"title": " "}, headers=headers)
    assert empty.status_code == 422
    assert "задачи должно быть название." in empty.get_data(as_text=True)
    token = fetch_csrf_token(client)
    client.post("/language", data={"language": "ru", "csrf_token": token})
    del client.environ_base["HTTP_ACCEPT_LANGUAGE"]  # from now on the account's choice speaks
    client.post("/logout", data={"csrf_token": fetch_csrf_token(client)})
    farewell = client.get("/login").get_data(as_text=True)
    assert "Вы вышли." in farewell and '<html lang="ru">' in farewell


def test_a_domain_s_words_are_said_whole_in_the_reader_s_language(app):
    untitled = Words("task %(id)s (title not known yet)", id="6b1f3c1e")
    line = Words(
        "%(kind)s: %(jira)s%(title)s", kind=KIND_LABELS["assign_fee"], jira="", title=untitled
    )
    assert line == "Assign fee: task 6b1f3c1e (title not known yet)"  # files and logs: English
    with app.test_request_context(headers=RUSSIAN):
        assert say(line) == "Списание за назначение: задача 6b1f3c1e (название ещё не известно)"
        assert say("a plain sentence") == "a plain sentence"


def test_a_payout_line_names_its_day_the_reader_s_way_and_iso_in_files(app):
    payout = Entry(
        recorded_at=datetime(2026, 12, 3, 23, 59),
        billing_day=date(2026, 12, 3),
        account_id="6b1f3c1e",
        account_name="Kesha Popugaev",
        kind="payout",
        amount=-15_000,
        task_id=None,
        title=None,
        jira_id=None,
    )
    assert payout.description == "Payout of the balance at the close of 2026-12-03"
    with app.test_request_context():
        assert say(payout.description) == "Payout of the balance at the close of Thu, 3 Dec 2026"
    with app.test_request_context(headers=RUSSIAN):
        assert say(payout.description) == "Выплата баланса при закрытии дня чт, 3 дек. 2026"
