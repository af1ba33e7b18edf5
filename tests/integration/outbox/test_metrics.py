"""Prometheus metrics: the system's figures for admins or the scraper's token, workers' own
figures on a port of theirs, nothing for anyone else."""

import re
import urllib.request

import pytest

from outbox import publish
from outbox.relay import Relay
from tests.processes import app_environment, dramatiq_worker, free_port, process, wait_until


def publish_probes(runtime, count):
    with runtime.db.transaction() as session:
        for value in range(1, count + 1):
            publish(session, "probe.happened", 1, producer="probe", key="k", data={"value": value})


def sample(text: str, name: str, **labels) -> float | None:
    """The value of one sample in the Prometheus text format."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if labels else ''} (\S+)$"
    match = re.search(pattern, text, re.M)
    return float(match.group(1)) if match else None


def test_an_admin_reads_the_outbox_the_lag_and_the_request_latency(client, login_as, runtime):
    login_as("admin")
    publish_probes(runtime, 3)
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "ates_outbox_pending_events") == 3
    assert sample(text, "ates_outbox_oldest_pending_age_seconds") >= 0
    Relay(runtime.db, lambda _consumer, _messages: None).drain()  # lost on the way: they lag
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "ates_outbox_pending_events") == 0
    assert sample(text, "ates_events_relayed_total") >= 3
    assert sample(text, "ates_consumer_lag_events", consumer="probe") == 3
    assert sample(text, "ates_consumer_lag_events", consumer="bystander") == 3
    assert sample(text, "ates_dead_letters_waiting", consumer="probe") is None
    assert sample(text, "ates_emails", status="sent") == 0
    assert sample(text, "ates_day_closes_total") == 0
    assert (
        'ates_http_request_duration_seconds_count{endpoint="metrics.metrics",method="GET"}' in text
    )


def test_handled_events_leave_the_lag(client, login_as, runtime, deliver):
    login_as("admin")
    publish_probes(runtime, 2)
    deliver()
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "ates_consumer_lag_events", consumer="probe") == 0
    assert sample(text, "ates_consumer_lag_seconds", consumer="probe") == 0


@pytest.mark.parametrize("role", [None, "worker", "manager", "accountant"])
def test_nobody_else_sees_the_metrics(client, login_as, role):
    if role:
        login_as(role)
    assert client.get("/metrics").status_code == 404


def test_a_scraper_with_the_token_reads_them_without_a_session(app, client):
    app.config["METRICS_TOKEN"] = "scrape-secret-1234"
    try:
        wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
        right = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1234"})
    finally:
        app.config["METRICS_TOKEN"] = None
    assert wrong.status_code == 404
    assert right.status_code == 200 and "ates_outbox_pending_events" in right.get_data(as_text=True)


def test_worker_processes_serve_dramatiq_and_applied_events_on_their_own_port(
    runtime, private_runtime, tmp_path
):
    port = free_port()
    env = app_environment(
        private_runtime.settings,
        dramatiq_prom_port=port,
        dramatiq_prom_host="127.0.0.1",
        dramatiq_prom_db=tmp_path / "prom",
    )
    publish_probes(runtime, 4)
    Relay(runtime.db, private_runtime.send).drain()
    url = f"http://127.0.0.1:{port}/metrics"

    def scraped():
        try:
            return urllib.request.urlopen(url, timeout=5).read().decode()
        except OSError:
            return None

    with process(dramatiq_worker("tests.probe.worker"), env, tmp_path / "worker.log"):
        text = wait_until(
            lambda: (
                (t := scraped())
                and sample(t, "ates_events_applied_total", consumer="probe") == 4
                and t
            ),
            60,
            "the worker's metrics",
            0.5,
        )
    assert sample(
        text, "dramatiq_messages_total", actor_name="probe.handle_events", queue_name="probe"
    )
