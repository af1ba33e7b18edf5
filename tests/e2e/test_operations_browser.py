"""An admin reads the event catalog and its AsyncAPI document, then replays a dead letter."""

import json
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from outbox import publish
from tests.e2e.conftest import log_in, snap
from tests.probe import FAIL_ON, effects

pytestmark = pytest.mark.e2e


def publish_probe(runtime, value):
    with runtime.db.transaction() as session:
        publish(session, "probe.happened", 1, producer="probe", key="k", data={"value": value})


def test_an_admin_reads_the_catalog_and_replays_a_dead_letter_on_the_operations_page(
    page, live_server, make_account, runtime, deliver
):
    admin = make_account("admin")
    FAIL_ON.add(9)
    try:
        publish_probe(runtime, 9)
        deliver()  # the probe consumer refuses 9: a dead letter
    finally:
        FAIL_ON.clear()  # the cause is fixed before anyone replays
    log_in(page, live_server, admin)

    page.get_by_role("link", name="Events").first.click()
    expect(page.get_by_role("heading", name="Event catalog")).to_be_visible()
    expect(page.locator("#event-task\\.created-v1 .deprecated")).to_have_text("deprecated")
    probe = page.locator("#summary-probe\\.happened")
    expect(probe.locator(".published-today")).to_have_text("1")
    expect(probe.locator(".dead-lettered")).to_have_text("1")
    page.locator("#event-probe\\.happened-v2 summary", has_text="JSON Schema").click()
    expect(page.locator("#event-probe\\.happened-v2 pre.schema")).to_contain_text('"note"')
    snap(page, "event-catalog")

    page.click("#asyncapi-link")
    page.wait_for_url(re.compile(r"/events/asyncapi\.json$"))
    document = json.loads(page.locator("body").inner_text())
    assert document["asyncapi"] == "3.0.0" and "probe.happened" in document["channels"]
    snap(page, "asyncapi-document")
    page.go_back()

    page.get_by_role("link", name="Operations").first.click()
    expect(page.get_by_role("heading", name="Operations", exact=True)).to_be_visible()
    letter = page.locator("#dead-letters tbody tr")
    expect(letter).to_have_count(1)
    expect(letter).to_contain_text("probe refuses 9")
    snap(page, "operations-dead-letter")

    letter.get_by_role("button", name="Replay").click()
    expect(page.get_by_role("status")).to_contain_text("was sent to its consumer again")
    expect(page.locator("#no-dead-letters")).to_be_visible()
    deliver()
    with runtime.db.transaction() as session:
        assert session.scalars(sa.select(effects.c.value)).all().count(9) == 1

    FAIL_ON.add(10)
    try:
        publish_probe(runtime, 10)  # a new dead letter shows up by polling, without a reload
        expect(letter).to_contain_text("probe refuses 10", timeout=20_000)
    finally:
        FAIL_ON.clear()
    snap(page, "operations-after-replay")
