"""`/healthz` for load balancers (the word) and on-call (the figures, admins only)."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ates.database import utcnow
from ates.settings import load_settings
from outbox import publish
from outbox.relay import Relay
from outbox.tables import deliveries
from tests.probe import FAIL_ON


@pytest.fixture(autouse=True)
def no_refusals():
    yield
    FAIL_ON.clear()


def publish_probe(runtime, value: int) -> None:
    with runtime.db.transaction() as session:
        publish(session, "probe.happened", 1, producer="probe", key="k", data={"value": value})


def test_anonymous_callers_get_only_the_status_word(client, runtime):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_admins_get_the_figures_behind_the_word(client, runtime, login_as):
    login_as("admin")
    publish_probe(runtime, 1)
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["broker"] == "ok"
    assert body["outbox"]["pending"] == 1 and body["outbox"]["dead_letters"] == {}
    assert body["outbox"]["lag_seconds"]["probe"] == 0 and body["troubles"] == []


def test_a_dead_letter_makes_health_degraded_for_admins_and_anonymous_callers(
    app, client, runtime, deliver, login_as
):
    login_as("admin")
    FAIL_ON.add(7)
    publish_probe(runtime, 7)
    deliver()
    response = client.get("/healthz")
    assert response.status_code == 200  # degraded still serves pages
    body = response.get_json()
    assert body["status"] == "degraded" and body["troubles"] == ["1 dead letters wait"]
    assert app.test_client().get("/healthz").get_json() == {"status": "degraded"}


def test_a_consumer_lagging_past_the_threshold_makes_health_degraded(client, runtime, login_as):
    login_as("admin")
    publish_probe(runtime, 1)
    Relay(runtime.db, send=lambda consumer, messages: None).relay_once()  # the broker lost it
    with runtime.db.transaction() as session:
        session.execute(
            sa.update(deliveries)
            .where(deliveries.c.consumer == "probe")
            .values(relayed_at=utcnow() - timedelta(minutes=10))
        )
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert body["outbox"]["lag_seconds"]["probe"] >= 600
    assert any(trouble.startswith("probe lags 60") for trouble in body["troubles"])


def test_healthz_answers_503_down_when_the_database_is_down(client, runtime, monkeypatch):
    def broken_database():
        raise ConnectionError("database is down")

    monkeypatch.setattr(runtime.db, "ping", broken_database)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "down"}


def test_an_admin_sees_which_part_is_down(client, runtime, monkeypatch, login_as):
    login_as("admin")

    def broken_database():
        raise ConnectionError("database is down")

    monkeypatch.setattr(runtime.db, "ping", broken_database)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down: ConnectionError"


def test_other_roles_get_only_the_status_word_too(client, runtime, make_account):
    from tests.conftest import log_in

    manager = make_account("manager")
    log_in(client, manager.login, manager.password)
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_consumer_lag_is_on_the_operations_page_and_in_outbox_status(
    app, client, runtime, login_as
):
    login_as("admin")
    publish_probe(runtime, 1)
    Relay(runtime.db, send=lambda consumer, messages: None).relay_once()  # the broker lost it
    with runtime.db.transaction() as session:
        session.execute(
            sa.update(deliveries)
            .where(deliveries.c.consumer == "probe")
            .values(relayed_at=utcnow() - timedelta(minutes=20))
        )
    page = client.get("/operations").get_data(as_text=True)
    row = page[page.index('id="lag-probe"') :].split("</tr>")[0]
    assert "20 min" in row
    assert "degraded" in page and "probe lags 120" in page
    result = app.test_cli_runner().invoke(args=["outbox", "status"])
    figures = json.loads(result.output)
    assert figures["lag_seconds"]["probe"] >= 1200 and figures["lag_seconds"]["analytics"] == 0
    assert figures["troubles"][0].startswith("probe lags 120")


def test_by_default_retries_back_off_up_to_an_hour_and_give_up_after_a_day():
    defaults = load_settings(secret_key="k")
    assert (defaults.retry_max_backoff_ms, defaults.give_up_after_seconds) == (3_600_000, 86_400)
    assert defaults.redeliver_after_seconds == 300
