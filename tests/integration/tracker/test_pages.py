"""The tracker's pages, through the real login, CSRF and htmx requests."""

import re

import pytest
import sqlalchemy as sa

from domains.tracker.tables import tasks
from outbox.tables import events
from tests.conftest import fetch_csrf_token, log_in
from tests.tracker_support import add_open_tasks


def htmx(client):
    return {"HX-Request": "true", "X-CSRFToken": fetch_csrf_token(client)}


def post_task(client, **fields):
    data = {"title": "Feed the parrots", "jira_id": "", "description": ""} | fields
    sent_from = {"HX-Current-URL": "http://localhost/tasks/"}  # "My tasks", with its list
    return client.post("/tasks/", data=data, headers=htmx(client) | sent_from)


def saved(runtime):
    with runtime.db.transaction() as session:
        count = session.scalar(sa.select(sa.func.count()).select_from(tasks))
        published = session.scalar(sa.select(sa.func.count()).where(events.c.producer == "tracker"))
    return count, published


def task_ids(runtime):
    with runtime.db.transaction() as session:
        return session.scalars(sa.select(tasks.c.public_id).order_by(tasks.c.id)).all()


def client_of(app, account):
    other = app.test_client()
    assert log_in(other, account.login, account.password).status_code == 302
    return other


def test_a_worker_adds_a_task_and_it_appears_without_a_reload(client, login_as, runtime):
    me = login_as("worker")
    response = post_task(client, title="Clean the cage", jira_id="uberpop-7", description="All")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="new-task"' in page and 'value=""' in page  # a fresh form for the next task
    assert 'hx-swap-oob="afterbegin:#created-tasks"' in page and "Clean the cage" in page
    assert "UBERPOP-7" in page
    # The only parrot is me, so it is also my task: it joins my list too.
    assert 'hx-swap-oob="afterbegin:#my-tasks"' in page and me.full_name in page
    assert saved(runtime) == (1, 3)


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"title": "[UBERPOP-42] Feed"}, "title", "Put the Jira id (e.g. UBERPOP-42) in its own"),
        ({"title": "Feed ]"}, "title", "may not contain [ or ]"),
        ({"title": "   "}, "title", "A task needs a title."),
        ({"title": "t" * 201}, "title", "at most 200"),
        ({"description": "d" * 5001}, "description", "at most 5000"),
        ({"jira_id": "UBERPOP42"}, "jira_id", "A Jira id looks like UBERPOP-42"),
    ],
)
def test_bad_input_shows_the_message_by_its_field_and_saves_nothing(
    client, login_as, runtime, fields, field, message
):
    login_as("worker")
    response = post_task(client, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert error and message in error.group(1).replace("&#34;", '"')
    assert saved(runtime) == (0, 0)


def test_bad_input_without_htmx_answers_the_whole_page_with_422(client, login_as, runtime):
    login_as("worker")
    token = fetch_csrf_token(client)
    response = client.post("/tasks/", data={"title": "[X-1] t", "csrf_token": token})
    assert response.status_code == 422 and "<h1>My tasks</h1>" in response.get_data(as_text=True)
    assert saved(runtime) == (0, 0)


def test_without_an_eligible_parrot_the_form_says_so_and_nothing_is_saved(
    client, login_as, make_account, runtime
):
    login_as("manager")
    make_account("admin")
    response = post_task(client)
    assert response.status_code == 422
    assert "no active worker or accountant" in response.get_data(as_text=True)
    assert saved(runtime) == (0, 0)


def test_a_parrot_with_hundreds_of_open_tasks_gets_them_a_page_at_a_time(client, login_as, runtime):
    me = login_as("worker")
    add_open_tasks(runtime, 120, assignee=me.public_id)
    first = client.get("/tasks/").get_data(as_text=True)
    assert first.count("Mark done") == 50 and "Page 1 of 3" in first
    assert 'href="/tasks/?page=2"' in first and "Previous" not in first
    last = client.get("/tasks/?page=3").get_data(as_text=True)
    assert last.count("Mark done") == 20 and "Page 3 of 3" in last and "Next" not in last
    assert client.get("/tasks/?page=4").status_code == 400
    assert client.get("/tasks/?page=two").status_code == 400
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'id="my-open-count".*?<p class="figure mb-0">120</p>', home, re.S)
    assert home.count('<li class="list-group-item') == 8
    assert "All my open tasks (120)" in home


def test_the_assignee_marks_a_task_done_once(client, login_as, runtime):
    login_as("worker")
    post_task(client, title="Sing")
    [task] = task_ids(runtime)
    page = client.get("/tasks/").get_data(as_text=True)
    assert "Sing" in page and f"/tasks/{task}/complete" in page
    done = client.post(f"/tasks/{task}/complete", headers=htmx(client))
    assert done.status_code == 200 and "Done ✓" in done.get_data(as_text=True)
    again = client.post(f"/tasks/{task}/complete", headers=htmx(client))
    assert again.status_code == 409 and "already done" in again.get_data(as_text=True)
    assert "Sing" not in client.get("/tasks/").get_data(as_text=True)  # no longer open
    with runtime.db.transaction() as session:
        completed = session.scalar(
            sa.select(sa.func.count()).where(events.c.event_name == "task.completed")
        )
    assert completed == 1


def test_nobody_but_the_assignee_completes_a_task(app, client, login_as, make_account, runtime):
    login_as("manager")
    worker = make_account("worker")
    post_task(client)
    [task] = task_ids(runtime)
    refused = client.post(f"/tasks/{task}/complete", headers=htmx(client))
    assert refused.status_code == 409 and "no longer yours" in refused.get_data(as_text=True)
    assignee = client_of(app, worker)
    assert assignee.post(f"/tasks/{task}/complete", headers=htmx(assignee)).status_code == 200


def test_workers_and_accountants_may_not_see_all_tasks_or_reassign(app, make_account):
    for role in ("worker", "accountant"):
        parrot = client_of(app, make_account(role))
        assert parrot.get("/tasks/all").status_code == 403
        assert parrot.post("/tasks/reassign", headers=htmx(parrot)).status_code == 403
        nav = parrot.get("/").get_data(as_text=True)
        assert 'href="/tasks/"' in nav and 'href="/tasks/all"' not in nav


def test_a_manager_filters_and_pages_through_all_tasks(client, login_as, make_account, runtime):
    login_as("manager")
    kesha, gosha = make_account("worker"), make_account("accountant")
    add_open_tasks(runtime, 60, assignee=kesha.public_id)
    add_open_tasks(runtime, 5, assignee=gosha.public_id)
    with runtime.db.transaction() as session:
        session.execute(
            sa.update(tasks).where(tasks.c.assignee == gosha.public_id).values(status="done")
        )
    nav = client.get("/").get_data(as_text=True)
    assert 'href="/tasks/all"' in nav
    first = client.get("/tasks/all").get_data(as_text=True)
    assert "65 tasks" in first and "Page 1 of 2" in first and first.count("<tr id=") == 50
    second = client.get("/tasks/all?page=2").get_data(as_text=True)
    assert second.count("<tr id=") == 15
    done = client.get("/tasks/all?status=done").get_data(as_text=True)
    assert "5 tasks done" in done and done.count("<tr id=") == 5
    mine = client.get(f"/tasks/all?parrot={gosha.login}&status=open")
    assert "0 tasks open" in mine.get_data(as_text=True)
    fragment = client.get("/tasks/all?status=open", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="all-tasks"')
    assert "<h1>" not in body and "HX-Request" in fragment.headers["Vary"]


def test_past_the_count_cap_all_tasks_says_more_than_and_still_pages_on(
    client, login_as, make_account, runtime, monkeypatch
):
    monkeypatch.setattr("domains.tracker.queries.COUNT_CAP", 20)
    login_as("manager")
    add_open_tasks(runtime, 65, assignee=make_account("worker").public_id)
    first = client.get("/tasks/all").get_data(as_text=True)
    assert "More than 50 tasks" in first and "Page 1 of more than 1" in first
    assert "page=2" in first and first.count("<tr id=") == 50
    second = client.get("/tasks/all?page=2").get_data(as_text=True)  # counted far enough now
    assert "65 tasks" in second and "Page 2 of 2" in second and second.count("<tr id=") == 15
    assert client.get("/tasks/all?page=3").status_code == 400


@pytest.mark.parametrize(
    "query, message",
    [
        ("status=closed", "Unknown status"),
        ("page=0", "not a page number"),
        ("page=two", "not a page number"),
        ("page=-1", "not a page number"),
        ("page=7", "There is no page 7"),
        ("parrot=" + "k" * 201, "at most 200 characters"),
    ],
)
def test_bad_filters_answer_400_with_a_clear_message(client, login_as, query, message):
    login_as("admin")
    response = client.get(f"/tasks/all?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


ROW = re.compile(r'<tr id="row-[^"]+">\s*(?:<td>.*?</td>\s*){3}<td>(.*?)</td>', re.S)


def assignees_found(client, search: str, **filters) -> set[str]:
    """The assignees' names in the rows a search for the assignee finds."""
    response = client.get("/tasks/all", query_string={"parrot": search} | filters)
    assert response.status_code == 200
    return set(ROW.findall(response.get_data(as_text=True)))


@pytest.fixture
def flock(runtime, make_account):
    """Four parrots with a task each; logins and names that a LIKE wildcard would confuse."""
    flock = {
        "kesha": make_account("worker", login="kesha", full_name="Innokentiy Popugaev"),
        "rio": make_account("worker", login="rio", full_name="Rio 100% Green"),
        "kiwi": make_account("accountant", login="kiwi_2", full_name="Kiwi 1000 Green"),
        "kiwix": make_account("worker", login="kiwix2", full_name="Kiwi Blue"),
    }
    for parrot in flock.values():
        add_open_tasks(runtime, 1, assignee=parrot.public_id)
    return {name: parrot.full_name for name, parrot in flock.items()}


def test_the_assignee_search_finds_a_login_or_part_of_a_name_in_any_case(client, login_as, flock):
    login_as("manager")
    assert assignees_found(client, "KESHA") == {flock["kesha"]}
    assert assignees_found(client, "popug") == {flock["kesha"]}
    assert assignees_found(client, "  green ") == {flock["rio"], flock["kiwi"]}
    assert assignees_found(client, "Green", status="done") == set()
    page = client.get("/tasks/all?parrot=green").get_data(as_text=True)
    assert "2 tasks of parrots whose login or name contains “green”." in page
    assert 'value="green"' in page


def test_the_assignee_search_takes_percent_and_underscore_as_typed(client, login_as, flock):
    login_as("manager")
    assert assignees_found(client, "100%") == {flock["rio"]}
    assert assignees_found(client, "i_2") == {flock["kiwi"]}
    assert assignees_found(client, "%") == {flock["rio"]}


def test_a_search_that_names_no_parrot_says_so(client, login_as, flock):
    login_as("manager")
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/tasks/all?parrot=zazu", headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "No parrot's login or name contains “zazu”." in body and "<tr id=" not in body
    done = client.get("/tasks/all?parrot=kesha&status=done").get_data(as_text=True)
    assert "0 tasks done of parrots whose" in done and "No parrot's" not in done


def test_paging_and_the_reload_after_a_reassign_keep_the_search(
    client, login_as, make_account, runtime
):
    login_as("manager")
    kesha, gosha = make_account("worker", login="kesha"), make_account("worker", login="gosha")
    add_open_tasks(runtime, 60, assignee=kesha.public_id)
    add_open_tasks(runtime, 60, assignee=gosha.public_id)
    first = client.get("/tasks/all?parrot=kesha").get_data(as_text=True)
    assert "60 tasks" in first and "Page 1 of 2" in first
    reload = re.search(r'<div id="all-tasks" hx-get="([^"]+)"', first).group(1)
    assert "parrot=kesha" in reload
    older = re.search(r'<a [^>]*href="([^"]+)"[^>]*>Next', first).group(1).replace("&amp;", "&")
    assert "parrot=kesha" in older and "page=2" in older
    second = client.get(older, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert second.count("<tr id=") == 10 and "Page 2 of 2" in second
    assert ROW.findall(second) == [kesha.full_name] * 10
    newer = re.search(r'<a [^>]*href="([^"]+)"[^>]*>← Previous', second).group(1)
    assert "parrot=kesha" in newer
    reload = re.search(r'<div id="all-tasks" hx-get="([^"]+)"', second).group(1)
    assert "parrot=kesha" in reload and "page=2" in reload


def test_the_assignee_field_is_an_active_search_with_a_filter_button(client, login_as):
    login_as("admin")
    page = client.get("/tasks/all").get_data(as_text=True)
    form = re.search(r'<form id="filters".*?</form>', page, re.S).group(0)
    assert 'hx-trigger="submit, input changed delay:300ms"' in form
    assert '<label for="parrot">Assignee</label>' in form
    field = re.search(r'<input type="search" id="parrot"[^>]*>', form, re.S).group(0)
    assert 'name="parrot"' in field and 'placeholder="login or name"' in field
    assert 'maxlength="200"' in field
    assert re.search(r'<button type="submit"[^>]*>Filter</button>', form)
    assert '<select id="assignee"' not in page


def test_reassign_asks_first_then_shuffles_and_says_what_moved(
    client, login_as, make_account, runtime
):
    login_as("manager")
    workers = [make_account("worker") for _ in range(3)]
    add_open_tasks(runtime, 30, assignee=workers[0].public_id)
    page = client.get("/tasks/all").get_data(as_text=True)
    link = re.search(r"<a[^>]*id=\"reassign\"[^>]*>", page, re.S).group(0)
    assert 'href="/tasks/reassign"' in link  # a page that asks, not an action
    confirm = client.get("/tasks/reassign").get_data(as_text=True)
    assert "Reassign 30 open tasks?" in confirm and "among the 3 parrots" in confirm
    assert "assign fee, $10 to $20 a task" in confirm
    with runtime.db.transaction() as session:
        assert set(session.scalars(sa.select(tasks.c.assignment))) == {1}  # asking moved nothing
    response = client.post("/tasks/reassign", headers=htmx(client))
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "tasks-reassigned"
    summary = response.get_data(as_text=True)
    assert "Reassigned 30 open tasks." in summary
    with runtime.db.transaction() as session:
        assert set(session.scalars(sa.select(tasks.c.assignment))) == {2}
        parrots = len(set(session.scalars(sa.select(tasks.c.assignee))))
    assert f"{parrots} parrots got tasks." in summary or f"{parrots} parrot got tasks." in summary


def test_with_every_task_done_the_reassign_page_offers_nothing_to_press(client, login_as):
    login_as("manager")
    page = client.get("/tasks/reassign").get_data(as_text=True)
    assert "No open tasks to reassign" in page
    assert 'id="confirm-reassign"' not in page
    # A press that raced the last completion still answers plainly and moves nothing.
    response = client.post("/tasks/reassign", headers=htmx(client))
    assert response.status_code == 200
    assert "There were no open tasks to reassign." in response.get_data(as_text=True)


def test_reassign_without_eligible_parrots_says_so(client, login_as, runtime):
    admin = login_as("admin")
    add_open_tasks(runtime, 2, assignee=admin.public_id)
    response = client.post("/tasks/reassign", headers=htmx(client))
    assert response.status_code == 409
    assert "no active worker or accountant" in response.get_data(as_text=True)
