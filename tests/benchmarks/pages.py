"""Pages under 16 concurrent clients against gunicorn, against a trivial page of the same app."""

import http.client
import re
import threading
import time
import urllib.parse

from tests.benchmarks.data import PASSWORD
from tests.benchmarks.harness import BIN, Bench, Row, percentile, wait_for_log
from tests.processes import free_port

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _cookies(response, jar: dict) -> dict:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def _cookie_header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def log_in(port: int, login: str) -> str:
    """The Cookie header of a logged-in session, through the real login form."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/login")
    response = connection.getresponse()
    jar = _cookies(response, {})
    token = CSRF.search(response.read().decode()).group(1)
    body = urllib.parse.urlencode({"login": login, "password": PASSWORD, "csrf_token": token})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(jar)}
    connection.request("POST", "/login", body, headers)
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"login of {login} answered {response.status}")
    connection.close()
    return _cookie_header(_cookies(response, jar))


def load(port: int, path: str, cookie: str | None, clients: int, requests: int, cap: float):
    """Latencies (s) of `requests` GETs from `clients` threads; stops early after `cap` s."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.monotonic() + cap
    headers = {"Cookie": cookie} if cookie else {}

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for _ in counter:
            if time.monotonic() > deadline:
                return
            began = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                if response.status != 200:
                    errors.append(f"{path}: {response.status}")
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return latencies


# What the pages read, vacuumed and analyzed after the bulk load and the rows before (Reassigns
# rewrite every open task), as autovacuum would: the CI machines run PostgreSQL without it.
PAGE_TABLES = (
    "auth.accounts",
    "tracker.tasks",
    "tracker.assignees",
    "accounting.ledger_accounts",
    "accounting.ledger_entries",
    "accounting.day_totals",
    "accounting.day_closes",
)


def prepare(bench: Bench, tasks: int, entries: int) -> None:
    """100,000 tasks, 1,000,000 ledger entries, a worker with tasks and an admin who can log in
    (topped up to these counts: run again for more)."""
    data = bench.data
    engine = bench.engine()
    runtime = bench.runtime()
    if not data.count(engine, "SELECT count(*) FROM tracker.assignees"):
        data.add_parrots(engine, bench.parrots)
    for role, login in (("worker", "bench-worker"), ("admin", "bench-admin")):
        known = f"SELECT count(*) FROM tracker.assignees WHERE login = '{login}'"
        if not data.count(engine, known):  # row 10 prepares twice
            account = data.make_login(runtime, role, login)
            data.know_login(engine, account.public_id, role, login)
    have = data.count(engine, "SELECT count(*) FROM tracker.tasks")
    if have < tasks:
        data.add_open_tasks(engine, tasks - have)
    data.give_tasks(engine, "bench-worker", 12)
    have = data.count(engine, "SELECT count(*) FROM accounting.ledger_entries")
    if have < entries:
        data.add_ledger_entries(engine, entries - have)
    data.vacuum_analyze(engine, *PAGE_TABLES)
    print(
        f"  pages: {data.count(engine, 'SELECT count(*) FROM tracker.tasks'):,} tasks, "
        f"{data.count(engine, 'SELECT count(*) FROM accounting.ledger_entries'):,} ledger entries, "
        f"{data.count(engine, 'SELECT count(*) FROM accounting.ledger_accounts'):,} accounts",
        flush=True,
    )


PAGES = [
    ("my tasks", "/tasks/", "bench-worker"),
    ("all tasks", "/tasks/all", "bench-admin"),
    ("accounting dashboard", "/accounting/company", "bench-admin"),
]
# The trivial page of each measured page: the home page of the same parrot (the same login
# session, account lookup and layout as every page, nothing else). The anonymous login page,
# which skips even those, is printed alongside.
HOME = "/"
LOGIN_PAGE = "/login"


def measure(bench: Bench, args, server, runs) -> dict[str, list[float]]:
    """Latencies of each (name, path, login) in `runs`, against `server(port)`: a command, its
    environment, and the line its log shows once it serves."""
    port = free_port()
    command, env, ready = server(port)
    logins = sorted({login for _name, _path, login in runs if login})
    results = {}
    with bench._run(command, env, "web-server"):
        wait_for_log(bench.log("web-server"), ready, 60)
        time.sleep(3)
        cookies = {login: log_in(port, login) for login in logins}
        for name, path, login in runs:
            cookie = cookies.get(login)
            load(port, path, cookie, args.clients, args.clients * 2, 60)  # warm up
            latencies = load(port, path, cookie, args.clients, args.requests, args.page_cap)
            results[name] = latencies
            print(
                f"  {name} {path}: {len(latencies)} requests,"
                f" p50 {percentile(latencies, 50):.3f} s, p95 {percentile(latencies, 95):.3f} s",
                flush=True,
            )
    return results


def gunicorn(bench: Bench, args):
    """The production web server, as the Procfile runs it (`--web-workers` workers)."""
    command = [str(BIN / "gunicorn"), "--workers", str(args.web_workers), "wsgi:app"]
    return lambda port: ([*command, "--bind", f"127.0.0.1:{port}"], bench.env, "Booting worker")


def with_homes(pages) -> list:
    """The anonymous login page, each parrot's home page, then the pages."""
    logins = sorted({login for _name, _path, login in pages})
    homes = [(f"home of {login}", HOME, login) for login in logins]
    return [("login page, anonymous", LOGIN_PAGE, None), *homes, *pages]


def add_page_rows(bench: Bench, args, results: dict, where: str = "") -> None:
    anonymous = percentile(results["login page, anonymous"], 95)
    for name, path, login in PAGES:
        latencies, home = results[name], results[f"home of {login}"]
        bench.add(
            Row(
                f'"{name}" {path} p95, {args.clients} clients{where}',
                percentile(latencies, 95),
                "s",
                f"{login}'s home page p95",
                percentile(home, 95),
                "<= 3x at p95",
                notes=f"p50 {percentile(latencies, 50) * 1000:.0f} ms vs "
                f"{percentile(home, 50) * 1000:.0f} ms; {len(latencies)} requests; "
                f"{percentile(latencies, 95) / anonymous:.1f}x the anonymous login page",
            )
        )


def row_pages(bench: Bench, args) -> None:
    prepare(bench, args.tasks, args.entries)
    add_page_rows(bench, args, measure(bench, args, gunicorn(bench, args), with_homes(PAGES)))


def row_size_cost(bench: Bench, args) -> None:
    """The pages' p95 at `--tasks`/`--entries` against their p95 at `--size-factor` times less,
    in one database grown between the two (run before the rows that add tasks)."""
    small = (args.tasks // args.size_factor, args.entries // args.size_factor)
    if bench.data.count(bench.engine(), "SELECT count(*) FROM tracker.tasks") > small[0]:
        raise RuntimeError("row 10 must run before the rows that add tasks (2, 3, 4)")
    results = []
    for tasks, entries in (small, (args.tasks, args.entries)):
        prepare(bench, tasks, entries)
        results.append(measure(bench, args, gunicorn(bench, args), PAGES))
    for name, path, _login in PAGES:
        bench.add(
            Row(
                f'"{name}" {path} p95 at {args.tasks:,} tasks / {args.entries:,} entries',
                percentile(results[1][name], 95),
                "s",
                f"p95 at {small[0]:,} tasks / {small[1]:,} entries",
                percentile(results[0][name], 95),
                "<= 1.25x",
                notes=f"p50 {percentile(results[1][name], 50) * 1000:.0f} ms vs "
                f"{percentile(results[0][name], 50) * 1000:.0f} ms; {args.clients} clients",
            )
        )
