"""The analytics page: admins see the figures of the events; every other role gets 403."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.integration.analytics.stream import four_days
from web.analytics.present import range_label


@pytest.fixture
def today(runtime):
    return datetime.now(ZoneInfo(runtime.settings.timezone)).date()


@pytest.fixture
def four_days_of_events(runtime, deliver, today):
    four_days(today).send_to_analytics(runtime)
    deliver()


def test_an_admin_sees_today_s_figures_the_per_day_most_expensive_tasks_and_the_chart(
    client, login_as, four_days_of_events, today
):
    login_as("admin")
    first = today - timedelta(days=3)
    response = client.get(f"/analytics/?start={first}&end={today}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<p class="figure mb-0" id="earnings-today">$1.00</p>' in page
    assert '<p class="figure mb-0" id="parrots-in-the-red">2</p>' in page
    in_the_red = page.split('id="in-the-red"')[1].split("</table>")[0]
    assert in_the_red.count("<tr><td>") == 2 and "-$" in in_the_red
    assert "Feed the parrots" in page and "UBERPOP-1" in page and "Kesha Popugaev" in page
    by_day = page[
        page.index('id="most-expensive-by-day"') : page.index('id="most-expensive-range"')
    ]
    rewards = [part.split("</td>")[0] for part in by_day.split('class="money reward">')[1:]]
    assert rewards == ["$28.00", "$38.00", "$30.00", "$39.00"]  # newest day first
    assert "most-expensive-summary" not in page  # said once, in the table
    assert f'{range_label(first, today)}</span> — <strong class="reward">$39.00' in page
    assert '<strong id="earnings-range">-$66.00</strong>' in page
    table = page.split('id="earnings-table"')[1].split("</table>")[0]
    assert table.count("<tr><td>") == 4 and "-$54.00" in table and "$15.00" in table
    assert [f'data-cents="{c}"' in page for c in (-2800, 1500, -5400, 100)] == [True] * 4
    assert page.count('<rect class="bar"') == 4


@pytest.mark.parametrize("role", ["accountant", "manager", "worker"])
def test_every_other_role_gets_403(client, login_as, role):
    login_as(role)
    assert client.get("/analytics/").status_code == 403


def test_a_stranger_is_sent_to_log_in(client):
    response = client.get("/analytics/")
    assert response.status_code == 302 and "login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=someday", "“someday” is not a day; write it as YYYY-MM-DD."),
        ("start=2026-03-03&end=2026-03-01", "The range ends before it starts."),
        ("start=2025-01-01&end=2026-03-03", "A range spans at most 92 days; this one spans 427."),
    ],
)
def test_a_bad_range_answers_400_with_the_reason_next_to_the_field(
    client, login_as, query, message
):
    login_as("admin")
    response = client.get(f"/analytics/?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    fragment = client.get(f"/analytics/?{query}", headers={"HX-Request": "true"})
    assert fragment.status_code == 400
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="analytics-range"') and message in text
