"""Load: LOAD_USERS (32) people at once on the case list, through gunicorn as production runs it.

Each user is the ``bench-viewer-*`` of one bench organisation (every eighth
by size, from the largest to the smallest), logged in with a session of its
own. What a user does is in bench/load_users.py: the list filtered, sorted,
paged on by keyset ("Next") and by page number (``side``), case pages, the
start page, column choices; each user at LOAD_PACE requests a second.

locust runs it as a child process, headless, so its CPU is not the server's:
LOAD_USERS users started LOAD_SPAWN_RATE a second, then LOAD_SECONDS (180) of
measured load (the statistics are reset once all users run). The server is
``gunicorn portal.wsgi`` with LOAD_WORKERS (2) workers, as on the 2-core
machine. The figures:

- list pages a second and all requests a second;
- p50/p95/p99 for each kind of request and for all list pages together
  (client-side, over loopback: the server's time and any wait for a worker);
- errors: every answer but the expected one (200 for a page, 302 for the
  column choice) and every failed connection;
- the server's CPU per request: gunicorn's processes and the database
  backends of its connections (found by their application_name), read from
  /proc over the measured window, beside what the whole machine was busy
  with (other sessions share it).

Targets (issue 15): at least 60 list pages a second, p95 under 300 ms, no
errors; each is printed as met or MISSED. Results in bench/results/load.json.

LOAD_KNEE=3,4,5 (paces) runs the same users again at each pace for
LOAD_KNEE_SECONDS (60) after the main run, to find the pace where p95 crosses
300 ms; those figures go to bench/results/load_knee.json.

The bench database must have been filled (``make bench`` or ``manage.py
generate_cases``); nothing is generated here. The sessions made for the run
are deleted after it and the users' column choices put back as they were.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection

from bench.case_list import make_scenarios, organisation_sizes
from bench.common import (
    CLOCK_TICKS,
    ROOT,
    Gunicorn,
    machine_busy,
    proc_stat,
    process_cpu,
    write_results,
)
from cases.listing import columns, default_columns
from cases.models import Case, ListPreference
from portal.models import Organisation, User

USERS = int(os.environ.get("LOAD_USERS", "32"))
SPAWN_RATE = int(os.environ.get("LOAD_SPAWN_RATE", "8"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "180"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "2"))
PACE = float(os.environ.get("LOAD_PACE", "2.5"))
KNEE_PACES = [float(p) for p in os.environ.get("LOAD_KNEE", "").split(",") if p.strip()]
KNEE_SECONDS = int(os.environ.get("LOAD_KNEE_SECONDS", "60"))
TARGET_LIST_PER_S = 60.0
TARGET_P95_MS = 300.0
DEEPEST_PAGE = 2000
BACKEND = "django.contrib.auth.backends.ModelBackend"
SPAWNED = re.compile(r"All users spawned")
STOPPING = re.compile(r"limit reached|Shutting down")
APPLICATION_NAME = "bench-load"


@dataclass
class Window:
    """CPU seconds of the bench's processes (by group), of their database backends and of
    the whole machine at one moment."""

    at: float
    processes_s: dict[str, float]
    database_s: dict[int, float]  # by backend pid, including backends gone since
    machine_busy_s: float

    def database_since(self, start: Window) -> float:
        return sum(cpu - start.database_s.get(pid, 0.0) for pid, cpu in self.database_s.items())


@dataclass
class Run:
    pace: float
    seconds: float = 0.0
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    cpu: dict[str, Any] = field(default_factory=dict)
    locust_exit: int | None = None


def main() -> None:
    if not Organisation.objects.filter(slug__startswith="bench-org-").exists():
        raise SystemExit("No bench organisations: fill the bench database first (make bench).")
    people = pick_people(USERS)
    columns_before = {
        p.user_id: p.columns
        for p in ListPreference.objects.filter(user__in=[user for user, _, _ in people])
    }
    sessions = [new_session(user, organisation) for user, organisation, _ in people]
    print(
        f"{len(people)} users in {len({o.pk for _, o, _ in people})} organisations "
        f"({people[0][2]} to {people[-1][2]} cases); pace {PACE} requests/s each; "
        f"{SECONDS} s; gunicorn -w {WORKERS}"
    )
    server = Gunicorn(workers=WORKERS, env=database_env())
    try:
        with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
            plan = Path(folder) / "plan.json"
            plan.write_text(json.dumps(make_plan(people, sessions)), encoding="utf-8")
            server.start()
            warm_up(server, sessions)
            run = run_locust(server, plan, Path(folder), PACE, SECONDS)
            payload = report(run)
            path = write_results("load", payload)
            print(f"written to {path.relative_to(ROOT)}")
            if KNEE_PACES:
                knee = [
                    summary_of(run_locust(server, plan, Path(folder), pace, KNEE_SECONDS))
                    for pace in KNEE_PACES
                ]
                write_results(
                    "load_knee",
                    {"seconds_each": KNEE_SECONDS, "knee_pace": print_knee(knee), "runs": knee},
                )
    finally:
        server.stop()
        Session.objects.filter(session_key__in=sessions).delete()
        restore_columns(columns_before, [user for user, _, _ in people])


# --- Users ------------------------------------------------------------------------


def pick_people(count: int) -> list[tuple[User, Organisation, int]]:
    """``count`` bench organisations evenly spread by size (the largest first),
    each with its ``bench-viewer-*`` and its number of cases."""
    sizes = organisation_sizes()
    if count <= 1 or len(sizes) == 1:
        chosen = sizes[:1] * count
    else:
        step = (len(sizes) - 1) / (count - 1)
        chosen = [sizes[round(i * step)] for i in range(count)]
    people = []
    for pk, cases in chosen:
        organisation = Organisation.objects.get(pk=pk)
        index = organisation.slug.removeprefix("bench-org-")
        people.append((User.objects.get(username=f"bench-viewer-{index}"), organisation, cases))
    return people


def new_session(user: User, organisation: Organisation | None) -> str:
    """A logged-in session of its own, with ``organisation`` active (staff have none)."""
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = BACKEND
    session["_auth_user_hash"] = user.get_session_auth_hash()
    if organisation is not None:
        session["active_organisation"] = organisation.pk
    session.create()
    assert session.session_key is not None
    return session.session_key


def restore_columns(before: dict[int, list[str]], users: list[User]) -> None:
    ListPreference.objects.filter(user__in=users).exclude(user_id__in=before).delete()
    for user_id, chosen in before.items():
        ListPreference.objects.filter(user_id=user_id).update(columns=chosen)


def make_plan(people: list[tuple[User, Organisation, int]], sessions: list[str]) -> dict[str, Any]:
    # The case_list bench's filters (the sorts and deep pages are the users' own).
    filters = [
        urlencode(params)
        for params in make_scenarios().values()
        if params and not {key for key, _ in params} & {"sort", "side", "per_side"}
    ]
    filters += ["status=aktiv", "kategori=regnskap", "status=under_arbeid&kategori=lonn"]
    every = list(columns())
    shown = default_columns()
    return {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "users": [
            {"session": key, "cases": cases, "seed": index, "organisation": org.slug}
            for index, ((_, org, cases), key) in enumerate(zip(people, sessions, strict=True))
        ],
        "filters": filters,
        "sort_keys": every,
        "deepest_page": DEEPEST_PAGE,
        "column_choices": [shown, every, shown[:-2], shown[:3] + every[-2:]],
    }


def database_env(application_name: str = APPLICATION_NAME) -> dict[str, str]:
    """The server's DATABASE_URL with an application_name, to find its backends."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return {}
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, f"application_name={application_name}") if q)
    return {"DATABASE_URL": urlunsplit(parts._replace(query=query))}


def warm_up(server: Gunicorn, sessions: list[str]) -> None:
    """Every user's first page once, unmeasured: each session must see the list."""
    for key in sessions:
        answer = server.get("/saker/", f"{settings.SESSION_COOKIE_NAME}={key}")
        if answer.status != 200:
            raise SystemExit(f"warm-up: /saker/ answered {answer.status}, not 200")


# --- locust -----------------------------------------------------------------------


def run_locust(server: Gunicorn, plan: Path, folder: Path, pace: float, seconds: int) -> Run:
    """One locust run at ``pace``; its figures over the measured window."""
    ramp = math.ceil(USERS / SPAWN_RATE)
    times = folder / f"times-{pace}.json"
    command = [
        "-f",
        str(ROOT / "bench" / "load_users.py"),
        "-u",
        str(USERS),
        "-r",
        str(SPAWN_RATE),
        "-t",
        f"{seconds + ramp}s",
        "--host",
        f"http://127.0.0.1:{server.port}",
        "--csv",
        str(folder / f"locust-{pace}"),
    ]
    env = {"LOAD_PLAN": str(plan), "LOAD_PACE": str(pace), "LOAD_TIMES": str(times)}
    print(f"locust: {USERS} users at {pace} requests/s each for {seconds} s (+{ramp} s ramp)")
    assert server.process is not None
    child = run_locust_child(command, env, CpuMeter({"gunicorn": [server.process.pid]}), times)
    start, end = child.start, child.end
    database_s = end.database_since(start)
    run = Run(pace=pace, locust_exit=child.exit, seconds=child.seconds)
    run.kinds, run.errors = child.kinds, child.errors
    requests = sum(kind["count"] for kind in run.kinds.values())
    gunicorn_s = end.processes_s["gunicorn"] - start.processes_s["gunicorn"]
    run.cpu = {
        "gunicorn_ms_per_request": per_request(gunicorn_s, requests),
        "database_ms_per_request": per_request(database_s, requests),
        "machine_busy_cores": round((end.machine_busy_s - start.machine_busy_s) / run.seconds, 2),
        "gunicorn_cores": round(gunicorn_s / run.seconds, 2),
        "database_cores": round(database_s / run.seconds, 2),
        "locust_cores": child.locust_cores,
        "cores": os.cpu_count(),
    }
    # What else the machine did meanwhile: other sessions share it.
    ours = sum(run.cpu[k] for k in ("gunicorn_cores", "database_cores", "locust_cores"))
    run.cpu["other_cores"] = round(max(0.0, run.cpu["machine_busy_cores"] - ours), 2)
    return run


@dataclass
class LocustChild:
    """What a locust run gave: each kind's figures (LOAD_TIMES, written by
    bench/locust_common.py), and the CPU readings at the start and end of the
    measured window, from all users running to the time limit."""

    exit: int
    seconds: float
    kinds: dict[str, dict[str, Any]]
    errors: list[dict[str, Any]]
    start: Window
    end: Window
    locust_cores: float
    log: str


def run_locust_child(
    arguments: list[str], env: dict[str, str], meter: CpuMeter, times: Path
) -> LocustChild:
    """``locust --headless`` with ``arguments`` as a child process (its CPU is not the
    server's), the statistics reset once all users run; ``times`` is the file its
    locustfile writes the figures to at the end (LOAD_TIMES in ``env``)."""
    command = [
        sys.executable,
        "-m",
        "locust",
        "--headless",
        "--reset-stats",
        "--only-summary",
        *arguments,
    ]
    started = time.monotonic()
    child = subprocess.Popen(  # noqa: S603 - our own fixed command
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    marks: dict[str, Window] = {}
    log: list[str] = []

    def follow() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            log.append(line)
            if "start" not in marks and SPAWNED.search(line):
                marks["start"] = meter.sample()
            elif "start" in marks and "end" not in marks and STOPPING.search(line):
                marks["end"] = meter.sample()

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    meter.start()
    try:
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    except BaseException:
        child.kill()
        raise
    finally:
        meter.stop()
    reader.join(timeout=10)
    if child.returncode not in (0, 1) or not times.exists() or "start" not in marks:
        # 1 is locust's answer when any request failed: the figures say which.
        raise SystemExit(f"locust failed (exit {child.returncode}):\n{''.join(log)[-3000:]}")
    end = marks.get("end") or meter.sample()
    dump = json.loads(times.read_text(encoding="utf-8"))
    wall = time.monotonic() - started
    return LocustChild(
        exit=child.returncode,
        seconds=end.at - marks["start"].at,
        kinds=dump["kinds"],
        errors=dump["errors"],
        start=marks["start"],
        end=end,
        locust_cores=round((usage.ru_utime + usage.ru_stime) / wall, 2),
        log="".join(log),
    )


def per_request(cpu_seconds: float, requests: int) -> float | None:
    return round(cpu_seconds * 1000 / requests, 2) if requests else None


class CpuMeter:
    """Samples the CPU time of groups of the bench's processes (each with its children:
    ``{"gunicorn": [master pid]}``) and of their database backends, found by their
    ``application_name``.

    Django closes a connection after DB_CONN_MAX_AGE, so backends come and go
    during a run: a thread looks at them every POLL_S seconds and keeps the
    last figure of each, so one that ended still counts (all but its last
    moments).
    """

    POLL_S = 1.0

    def __init__(
        self, processes: dict[str, list[int]], application_name: str = APPLICATION_NAME
    ) -> None:
        self.processes = processes
        self.application_name = application_name
        self.database: dict[int, float] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._poll_until_stopped, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def sample(self) -> Window:
        self._poll()
        with self.lock:
            database = dict(self.database)
        processes = {
            name: sum(process_cpu(pid) for pid in pids) for name, pids in self.processes.items()
        }
        return Window(time.monotonic(), processes, database, machine_busy())

    def _poll_until_stopped(self) -> None:
        try:
            while not self.stopped.wait(self.POLL_S):
                self._poll()
        finally:
            connection.close()  # this thread's own

    def _poll(self) -> None:
        seen = database_cpu(self.application_name)
        with self.lock:
            self.database.update(seen)


def database_cpu(application_name: str) -> dict[int, float]:
    """CPU seconds of each database backend with ``application_name``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name]
        )
        pids = [row[0] for row in cursor.fetchall()]
    found = {}
    for pid in pids:
        fields = proc_stat(pid)
        if fields:
            found[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return found


# --- Figures -----------------------------------------------------------------------


def percentile(histogram: dict[str, int], fraction: float) -> float | None:
    """The ``fraction`` percentile of locust's response times ({ms: count})."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted = fraction * total
    seen = 0
    for value in sorted(histogram, key=float):
        seen += histogram[value]
        if seen >= wanted:
            return float(value)
    return float(max(histogram, key=float))


def mean(histogram: dict[str, int]) -> float | None:
    total = sum(histogram.values())
    return round(sum(float(v) * n for v, n in histogram.items()) / total, 1) if total else None


def figures(kind: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Rate, client-side percentiles, errors and the server's own median and p95."""
    times, server = kind["response_times"], kind["server_times"]
    return {
        "requests": kind["count"],
        "per_second": round(kind["count"] / seconds, 1) if seconds else None,
        "p50_ms": percentile(times, 0.50),
        "p95_ms": percentile(times, 0.95),
        "p99_ms": percentile(times, 0.99),
        "errors": kind["failures"],
        "server_mean_ms": mean(server),
        "server_p50_ms": percentile(server, 0.50),
        "server_p95_ms": percentile(server, 0.95),
    }


def merged(kinds: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Several kinds as one: counts added, histograms merged."""
    whole: dict[str, Any] = {"count": 0, "failures": 0, "response_times": {}, "server_times": {}}
    for kind in kinds.values():
        whole["count"] += kind["count"]
        whole["failures"] += kind["failures"]
        for histogram in ("response_times", "server_times"):
            for value, times in kind[histogram].items():
                whole[histogram][value] = whole[histogram].get(value, 0) + times
    return whole


def summary_of(run: Run) -> dict[str, Any]:
    lists = {name: kind for name, kind in run.kinds.items() if name.startswith("list")}
    every = figures(merged(run.kinds), run.seconds)
    pages = figures(merged(lists), run.seconds)
    cpu = dict(run.cpu)
    per_request = (cpu["gunicorn_ms_per_request"] or 0) + (cpu["database_ms_per_request"] or 0)
    if per_request and every["requests"]:
        # What the whole machine would serve with nothing else on it, this mix.
        capacity = (cpu["cores"] or 1) * 1000 / per_request
        cpu["capacity_requests_per_second"] = round(capacity, 1)
        cpu["capacity_list_pages_per_second"] = round(
            capacity * pages["requests"] / every["requests"], 1
        )
    return {
        "pace_per_user": run.pace,
        "offered_per_second": round(run.pace * USERS, 1),
        "seconds": round(run.seconds, 1),
        "list_pages": pages,
        "all_requests": every,
        "kinds": {name: figures(kind, run.seconds) for name, kind in sorted(run.kinds.items())},
        "errors": run.errors,
        "cpu": cpu,
        "targets": {
            "list_pages_per_second": met(pages["per_second"], TARGET_LIST_PER_S, above=True),
            "p95_ms": met(every["p95_ms"], TARGET_P95_MS, above=False),
            "errors": "met" if every["errors"] == 0 else "MISSED",
        },
    }


def met(value: float | None, target: float, *, above: bool) -> str:
    if value is None:
        return "MISSED"
    return "met" if (value >= target if above else value < target) else "MISSED"


def report(run: Run) -> dict[str, Any]:
    result = summary_of(run)
    cpu = result["cpu"]
    print(
        f"{'kind':22} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'server p50':>10} {'server p95':>10} {'n':>7} errors"
    )
    rows = [*result["kinds"].items(), ("all list pages", result["list_pages"])]
    for name, kind in [*rows, ("all requests", result["all_requests"])]:
        print(
            f"{name:22} {fmt(kind['per_second']):>7} {fmt(kind['p50_ms']):>7} "
            f"{fmt(kind['p95_ms']):>7} {fmt(kind['p99_ms']):>7} "
            f"{fmt(kind['server_p50_ms']):>10} {fmt(kind['server_p95_ms']):>10} "
            f"{kind['requests']:>7} {kind['errors']}"
        )
    for error in run.errors[:10]:
        print(f"   error: {error['occurrences']} × {error['name']}: {error['error'][:200]}")
    print(
        f"server CPU per request: gunicorn {fmt(cpu['gunicorn_ms_per_request'])} ms + "
        f"database {fmt(cpu['database_ms_per_request'])} ms; busy cores: gunicorn "
        f"{cpu['gunicorn_cores']}, database {cpu['database_cores']}, locust "
        f"{cpu['locust_cores']}, whole machine {cpu['machine_busy_cores']} of {cpu['cores']} "
        f"(other work {cpu['other_cores']})"
    )
    server_mean = result["all_requests"]["server_mean_ms"]
    if server_mean:
        # A sync worker serves one request at a time, waiting on the database too.
        print(
            f"{WORKERS} workers at {server_mean} ms of server time per request (mean) "
            f"serve at most {WORKERS * 1000 / server_mean:.1f} requests/s"
        )
    if "capacity_requests_per_second" in cpu:
        print(
            f"at that CPU per request, {cpu['cores']} cores of our own would serve "
            f"{cpu['capacity_requests_per_second']} requests/s "
            f"({cpu['capacity_list_pages_per_second']} list pages/s) of this mix"
        )
    targets = result["targets"]
    print(
        f"targets: list pages/s ≥ {TARGET_LIST_PER_S:.0f}: {targets['list_pages_per_second']} "
        f"({fmt(result['list_pages']['per_second'])}); "
        f"p95 < {TARGET_P95_MS:.0f} ms: {targets['p95_ms']} "
        f"({fmt(result['all_requests']['p95_ms'])}); errors 0: {targets['errors']} "
        f"({result['all_requests']['errors']})"
    )
    return {
        "users": USERS,
        "spawn_rate": SPAWN_RATE,
        "gunicorn_workers": WORKERS,
        "cases": Case.objects.count(),
        **result,
    }


def print_knee(runs: list[dict[str, Any]]) -> float | None:
    """The table of the sweep, and the knee: the lowest pace from which on every
    pace tried has p95 at or over the target (one noisy run below it does not
    count when a faster pace met the target again)."""
    print(
        f"{'pace':>5} {'offered/s':>9} {'list/s':>7} {'all/s':>7} {'p95 ms':>7} "
        f"{'server p95':>10} {'other cores':>11} errors"
    )
    for run in runs:
        every = run["all_requests"]
        print(
            f"{run['pace_per_user']:>5} {run['offered_per_second']:>9} "
            f"{fmt(run['list_pages']['per_second']):>7} {fmt(every['per_second']):>7} "
            f"{fmt(every['p95_ms']):>7} {fmt(every['server_p95_ms']):>10} "
            f"{run['cpu']['other_cores']:>11} {every['errors']}"
        )
    knee = None
    for run in sorted(runs, key=lambda r: r["pace_per_user"], reverse=True):
        if (run["all_requests"]["p95_ms"] or 0) < TARGET_P95_MS:
            break
        knee = run["pace_per_user"]
    print(
        f"knee: p95 ≥ {TARGET_P95_MS:.0f} ms from pace {knee} on"
        if knee is not None
        else "knee: not reached"
    )
    return knee


def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"
