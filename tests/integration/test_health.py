"""`/healthz` for load balancers and on-call."""

from outbox import publish


def test_healthz_reports_database_broker_and_outbox_figures(client, runtime):
    with runtime.db.transaction() as session:
        publish(session, "probe.happened", 1, producer="probe", key="k", data={"value": 1})
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["broker"] == "ok"
    assert body["outbox"]["pending"] == 1 and body["outbox"]["dead_letters"] == {}


def test_healthz_answers_503_when_the_database_is_down(client, runtime, monkeypatch):
    def broken_transaction():
        raise ConnectionError("database is down")

    monkeypatch.setattr(runtime.db, "transaction", broken_transaction)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down: ConnectionError"
