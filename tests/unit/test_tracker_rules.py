"""The tracker's input rules and its task.created v2 contract."""

import pytest

from ates.bootstrap import load_domains
from domains.tracker.commands import InvalidTask, validate_task
from outbox import InvalidEvent, registry

load_domains()

CREATED_V2 = {
    "public_id": "0b8e3a52-2f8e-4d7e-9d0a-5a0f3e7c1d22",
    "title": "Feed the parrots",
    "jira_id": "UBERPOP-42",
    "description": "",
    "created_by": "6b1f3c1e-8a53-4c43-9a39-0d4a0c1b7a10",
    "created_at": "2026-11-25T09:00:00+00:00",
}


@pytest.mark.parametrize(
    "title", ["[UBERPOP-42] Feed the parrots", "Feed the parrots [UBERPOP-42]", "a ] b", "[", "x[y"]
)
def test_a_title_with_a_bracket_is_refused_and_points_to_the_jira_id_field(title):
    with pytest.raises(InvalidTask) as refused:
        validate_task(title)
    assert "Jira id" in refused.value.errors["title"] and "own" in refused.value.errors["title"]


@pytest.mark.parametrize("title", ["", "   ", None])
def test_a_task_needs_a_title(title):
    with pytest.raises(InvalidTask) as refused:
        validate_task(title)
    assert refused.value.errors == {"title": "A task needs a title."}


def test_oversized_title_and_description_are_refused_together():
    with pytest.raises(InvalidTask) as refused:
        validate_task("t" * 201, "", "d" * 5001)
    assert set(refused.value.errors) == {"title", "description"}
    assert "at most 200" in refused.value.errors["title"]
    assert "at most 5000" in refused.value.errors["description"]


def test_the_longest_allowed_fields_pass_trimmed():
    task = validate_task("  " + "t" * 200 + " ", " uberpop-42 ", "d" * 5000)
    assert (len(task.title), task.jira_id, len(task.description)) == (200, "UBERPOP-42", 5000)


@pytest.mark.parametrize("jira_id", ["42", "UBERPOP", "UBERPOP-", "-42", "UBER POP-42", "[X-1]"])
def test_a_malformed_jira_id_is_refused(jira_id):
    with pytest.raises(InvalidTask) as refused:
        validate_task("Feed the parrots", jira_id)
    assert refused.value.errors == {
        "jira_id": "A Jira id looks like UBERPOP-42 (letters, a dash, a number)."
    }


def test_an_empty_jira_id_means_none():
    assert validate_task("Feed the parrots", "  ").jira_id is None


@pytest.mark.parametrize(
    "title", ["[UBERPOP-42] title", "title [UBERPOP-42]", "middle ] bracket", "[", ""]
)
def test_the_task_created_v2_schema_refuses_a_bracket_anywhere_in_the_title(title):
    with pytest.raises(InvalidEvent, match="title"):
        registry.validate("task.created", 2, CREATED_V2 | {"title": title})


def test_the_task_created_v2_schema_takes_a_clean_title_with_or_without_jira_id():
    registry.validate("task.created", 2, CREATED_V2)
    registry.validate("task.created", 2, CREATED_V2 | {"jira_id": None})
    with pytest.raises(InvalidEvent, match="jira_id"):
        registry.validate("task.created", 2, CREATED_V2 | {"jira_id": "uberpop 42"})
