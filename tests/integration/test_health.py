"""`/healthz` for load balancers and on-call."""

from outbox import publish


def test_healthz_reports_database_broker_and_outbox_figures_to_an_admin(client, runtime, login_as):
    login_as("admin")
    with runtime.db.transaction() as session:
        publish(session, "probe.happened", 1, producer="probe", key="k", data={"value": 1})
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["broker"] == "ok"
    assert body["outbox"]["pending"] == 1 and body["outbox"]["dead_letters"] == {}


def test_healthz_answers_503_when_the_database_is_down(client, runtime, monkeypatch, login_as):
    login_as("admin")

    def broken_database():
        raise ConnectionError("database is down")

    monkeypatch.setattr(runtime.db, "ping", broken_database)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down: ConnectionError"


def test_healthz_gives_anonymous_callers_and_other_roles_only_the_status_word(
    app, client, runtime, make_account
):
    from tests.conftest import log_in

    assert client.get("/healthz").get_json() == {"status": "ok"}
    manager = make_account("manager")
    log_in(client, manager.login, manager.password)
    assert client.get("/healthz").get_json() == {"status": "ok"}
