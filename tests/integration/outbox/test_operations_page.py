"""The operations page: outbox health, relay throughput, dead letters and their Replay."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from outbox import publish
from outbox.monitoring import relayed_per_minute
from outbox.tables import dead_letters, event_archive
from tests.probe import FAIL_ON, effects
from web.operations import STATUS_PANELS, StatusPanel


@pytest.fixture(autouse=True)
def healthy_probe():
    FAIL_ON.clear()
    yield
    FAIL_ON.clear()


def publish_probe(runtime, value):
    with runtime.db.transaction() as session:
        publish(session, "probe.happened", 1, producer="probe", key="k", data={"value": value})


def probe_effects(runtime) -> list[int]:
    with runtime.db.transaction() as session:
        return sorted(v for v in session.scalars(sa.select(effects.c.value)) if v >= 0)


def waiting_letters(runtime):
    with runtime.db.transaction() as session:
        return session.execute(
            sa.select(dead_letters).where(dead_letters.c.replayed_at.is_(None))
        ).all()


def test_the_page_shows_pending_events_and_the_age_of_the_oldest(client, login_as, runtime):
    login_as("admin")
    publish_probe(runtime, 1)
    publish_probe(runtime, 2)
    page = client.get("/operations").get_data(as_text=True)
    assert '<dd id="pending">2</dd>' in page
    assert '<dd id="oldest-pending">' in page and '<dd id="oldest-pending">—</dd>' not in page
    assert 'hx-trigger="every 5s"' in page and "<html" in page


def test_an_htmx_poll_gets_only_the_figures(client, login_as, runtime):
    login_as("admin")
    publish_probe(runtime, 1)
    response = client.get("/operations", headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="operations-figures"')
    assert "<html" not in fragment and '<dd id="pending">1</dd>' in fragment
    assert "HX-Request" in response.headers["Vary"]


def test_relayed_events_show_per_minute(client, login_as, runtime, deliver):
    login_as("admin")
    for value in range(1, 5):
        publish_probe(runtime, value)
    deliver()
    with runtime.db.transaction() as session:
        archived = session.scalar(sa.select(sa.func.count()).select_from(event_archive))
    assert archived >= 4  # the probes, and the admin's account.created
    page = client.get("/operations").get_data(as_text=True)
    assert '<dd id="pending">0</dd>' in page
    assert f'<dd id="relayed-total">{archived}</dd>' in page
    assert "<svg" in page and "<polyline" in page


def test_relayed_per_minute_buckets_by_whole_minutes_of_the_archive(runtime):
    now = datetime(2026, 11, 25, 8, 30, 40, tzinfo=UTC)
    relayed = [
        now - timedelta(minutes=15),  # too old: 08:15
        now - timedelta(minutes=14, seconds=40),  # 08:16:00, the first minute shown
        now - timedelta(minutes=3),  # 08:27:40
        now - timedelta(minutes=3, seconds=30),  # 08:27:10
        now,  # 08:30:40, the current minute
    ]
    with runtime.db.transaction() as session:
        for number, moment in enumerate(relayed):
            session.execute(
                sa.insert(event_archive).values(
                    event_id=f"00000000-0000-4000-8000-{number:012d}",
                    event_name="probe.happened",
                    event_version=1,
                    event_time=moment,
                    producer="probe",
                    key="k",
                    data={"value": number},
                    relayed_at=moment,
                )
            )
    with runtime.db.transaction() as session:
        minutes = relayed_per_minute(session, minutes=15, now=now)
    assert len(minutes) == 15
    assert minutes[0].start == datetime(2026, 11, 25, 8, 16, tzinfo=UTC)
    assert minutes[-1].start == datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    assert {m.start.minute: m.relayed for m in minutes if m.relayed} == {16: 1, 27: 2, 30: 1}


def test_a_dead_letter_is_shown_with_its_error_and_replayed_by_its_button(
    client, login_as, runtime, deliver, csrf_token
):
    login_as("admin")
    FAIL_ON.add(5)
    publish_probe(runtime, 5)
    deliver()
    [letter] = waiting_letters(runtime)
    page = client.get("/operations").get_data(as_text=True)
    row = page.split(f'<tr id="dead-letter-{letter.id}">', 1)[1].split("</tr>", 1)[0]
    assert "probe" in row and "probe.happened v1" in row and "probe refuses 5" in row
    per_consumer = page.split('id="dead-letters-per-consumer"', 1)[1].split("</table>", 1)[0]
    assert '<td>probe</td><td class="count">1</td>' in per_consumer
    FAIL_ON.clear()  # the cause is fixed
    response = client.post(
        f"/operations/dead-letters/{letter.id}/replay", data={"csrf_token": csrf_token()}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/operations"
    page = client.get("/operations").get_data(as_text=True)
    assert f"Dead letter #{letter.id} was sent to its consumer again." in page
    deliver()
    assert probe_effects(runtime) == [5]
    assert waiting_letters(runtime) == []
    assert 'id="no-dead-letters"' in client.get("/operations").get_data(as_text=True)


def test_replay_of_a_consumer_sends_all_its_dead_letters_and_a_new_failure_buries_anew(
    client, login_as, runtime, deliver, csrf_token
):
    login_as("admin")
    FAIL_ON.update({6, 7})
    publish_probe(runtime, 6)
    publish_probe(runtime, 7)
    deliver()
    assert len(waiting_letters(runtime)) == 2
    FAIL_ON.discard(6)  # only half fixed
    response = client.post(
        "/operations/consumers/probe/replay",
        data={"csrf_token": csrf_token()},
        follow_redirects=True,
    )
    assert "2 dead letters of probe were sent to it again." in response.get_data(as_text=True)
    deliver()
    assert probe_effects(runtime) == [6]
    [again] = waiting_letters(runtime)
    assert again.message["data"] == {"value": 7}


def test_replaying_what_is_not_waiting_says_so_and_changes_nothing(
    client, login_as, runtime, csrf_token
):
    login_as("admin")
    token = csrf_token()
    page = client.post(
        "/operations/dead-letters/999/replay", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Dead letter #999 is not waiting for a replay." in page
    page = client.post(
        "/operations/consumers/probe/replay", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "probe has no dead letters waiting." in page


def test_a_replay_without_the_csrf_token_is_refused(client, login_as, runtime, deliver):
    login_as("admin")
    FAIL_ON.add(8)
    publish_probe(runtime, 8)
    deliver()
    [letter] = waiting_letters(runtime)
    assert client.post(f"/operations/dead-letters/{letter.id}/replay").status_code == 400
    assert client.post("/operations/consumers/probe/replay").status_code == 400
    assert len(waiting_letters(runtime)) == 1


@pytest.mark.parametrize("role", ["manager", "accountant", "worker"])
def test_only_admins_open_the_catalog_and_the_operations_page(client, login_as, role):
    login_as(role)
    for url in ("/operations", "/events", "/events/asyncapi.json"):
        assert client.get(url).status_code == 403, url
    nav = client.get("/").get_data(as_text=True).split('<nav aria-label="main">')[1]
    assert 'href="/operations"' not in nav.split("</nav>")[0]


def test_admins_find_both_pages_in_the_navigation(client, login_as):
    login_as("admin")
    nav = client.get("/").get_data(as_text=True).split('<nav aria-label="main">')[1]
    nav = nav.split("</nav>")[0]
    assert '<a href="/events"' in nav and '<a href="/operations"' in nav


def test_no_status_panel_is_shown_until_a_domain_registers_one(client, login_as, app, monkeypatch):
    login_as("admin")
    monkeypatch.setitem(app.extensions, STATUS_PANELS, [])  # the app registers accounting's
    assert 'class="status-panel"' not in client.get("/operations").get_data(as_text=True)


def test_the_accounting_panel_shows_the_last_day_close(client, login_as):
    login_as("admin")
    page = client.get("/operations").get_data(as_text=True)
    assert "<h2>Last day close</h2>" in page and "Nothing yet." in page


def test_a_registered_status_panel_shows_what_its_provider_reads(
    client, login_as, app, monkeypatch
):
    login_as("admin")

    def last_day_close(session):
        assert session.scalar(sa.select(sa.literal(1))) == 1  # it gets a working session
        return {"Billing day": "2026-11-24", "Result": "7 parrots paid <b>$1,234</b>"}

    def broken(session):
        raise RuntimeError("ledger unreachable")

    monkeypatch.setitem(
        app.extensions,
        STATUS_PANELS,
        [
            StatusPanel("Last day close", last_day_close),
            StatusPanel("Broken", broken),
            StatusPanel("Quiet", lambda session: None),
        ],
    )
    page = client.get("/operations").get_data(as_text=True)
    assert "<h2>Last day close</h2>" in page and "<dd>2026-11-24</dd>" in page
    assert "7 parrots paid &lt;b&gt;$1,234&lt;/b&gt;" in page
    assert "Could not read it: RuntimeError: ledger unreachable" in page
    assert "<h2>Quiet</h2>" in page and "Nothing yet." in page
