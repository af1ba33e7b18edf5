"""A parrot on a phone picks Russian on the login page with the keyboard, and aTES speaks it
from then on: the refusal, the welcome, a form's error, after logging in again."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import snap

pytestmark = pytest.mark.e2e


def test_russian_picked_before_logging_in_is_spoken_everywhere_after(
    page, live_server, make_account
):
    gosha = make_account("worker")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/login")
    page.focus("#language")
    page.select_option("#language", "ru")
    page.keyboard.press("Tab")  # to "Switch"
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    page.fill("#login", gosha.login)
    page.fill("#password", "not the password")
    page.locator("main button[type=submit]").click()
    expect(page.locator("#login-error")).to_have_text("Неверный логин или пароль.")
    page.fill("#password", gosha.password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("main")).to_contain_text(f"Добро пожаловать, {gosha.full_name}.")

    page.goto(f"{live_server.url}/tasks/")
    page.fill("#title", "[UBERPOP-1] Кормить попугаев")
    page.click("#new-task button")
    expect(page.locator("#title-error")).to_contain_text("названии не может быть [ или ]")
    snap(page, "russian-form-error")

    page.context.clear_cookies()  # another day, another browser session: the account remembers
    page.goto(f"{live_server.url}/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.fill("#login", gosha.login)
    page.fill("#password", gosha.password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
