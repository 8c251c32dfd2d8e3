"""Queue load: customers and staff at work on two app processes and two queue workers.

The fault run of issue 16: ``make bench-queue`` (or ``bench/run.py queue_load``)
with DATABASE_URL naming a database of its own, e.g.
``postgresql://postgres@127.0.0.1:5432/kundesenter_queue_bench`` (created here
when it does not exist; without DATABASE_URL, the embedded server's database
BENCH_DB_NAME, which ``make bench-queue`` sets to kundesenter_queue_bench). The
database is migrated and, the first time, filled with ``generate_cases``:
ORGANISATIONS organisations of about 37 500 cases each, MEMBERS plain members
(each sees the 4 000 to 8 500 cases they reported: their exports are made at
once) and in each organisation a ``bench-viewer-*`` with utvidet tilgang in
both areas (whose export of the whole organisation is over
cases.exporting.EXPORT_INLINE_LIMIT and goes to the queue): 32 customers. Two
staff members are added, one in each team. A database holding anything else is
refused.

What runs, as production would on two machines behind a load balancer:

- two ``gunicorn portal.wsgi`` processes with one worker each, on two ports;
  the customers are split between them, and each one's export status page and
  file are asked of the other one (no sticky sessions);
- QUEUE_LOAD_WORKERS (2) queue workers, ``manage.py procrastinate worker
  --concurrency`` QUEUE_LOAD_CONCURRENCY (2), as ``make run`` starts one,
  sending e-mail to a real SMTP server in this process (aiosmtpd), which counts
  what it receives by Message-ID;
- locust, headless, as a child process: the 32 customers and the 2 staff
  members, each with a logged-in session of their own, for LOAD_SECONDS (180)
  after all have started. What they do is in bench/queue_load_users.py: file
  cases with a PDF through the real form (now and then the same form twice at
  once, to both processes), write messages, export the list, look at it; the
  staff answer the newest cases on the desk, which tells the reporter by
  e-mail. A customer acts QUEUE_LOAD_PACE (0.25) times a second on average, a
  staff member QUEUE_LOAD_STAFF_PACE (0.4).

/helse/ is asked every second (of each process in turn) for the queue's
figures. When locust has stopped, the run waits until the queue is empty
(nothing waiting, nothing running) and then checks, each printed as met or
MISSED:

- every case whose redirect a customer saw is in the database exactly once
  (its marker in the title), and every case of the run has its PDF: one
  attachment row whose file is in the storage, of the size sent;
- a form sent twice at once led both times to the same case;
- every message and staff answer whose redirect was seen is there exactly once;
- every export of the run is DONE with its file, and every one a customer
  waited for was offered within ten minutes;
- no 5xx answer, no failed connection, no other unexpected answer;
- every e-mail of the run's outbox was sent, the SMTP server got each once (by
  Message-ID), and it got nothing else;
- no job of the queue failed.

The figures (printed, and in bench/results/queue_load.json): requests a second
and p50/p95 by kind, the queue's largest depth and oldest wait, how long the
queue took to drain, background exports' time from the request to DONE
(p50/p95, from the database), e-mails sent, and the CPU of the app processes,
the workers, their database backends, locust and the whole machine, with what
else the machine was busy with (other sessions share it).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test.utils import override_settings
from django.utils import timezone
from psycopg import sql

from bench.common import ROOT, Gunicorn, QueueWorker, free_port, summary, write_results
from bench.load import (
    CpuMeter,
    LocustChild,
    database_env,
    figures,
    fmt,
    merged,
    new_session,
    run_locust_child,
)
from cases.exporting import EXPORT_INLINE_LIMIT
from cases.models import Attachment, Case, ExportJob, Message
from portal.models import Area, Organisation, OutgoingEmail, User
from portal.teams import TEAM_GROUPS

SECONDS = int(os.environ.get("LOAD_SECONDS", "180"))
PACE = float(os.environ.get("QUEUE_LOAD_PACE", "0.25"))
WORKERS = int(os.environ.get("QUEUE_LOAD_WORKERS", "2"))
CONCURRENCY = int(os.environ.get("QUEUE_LOAD_CONCURRENCY", "2"))
APP_PROCESSES = 2
SPAWN_RATE = 8
ORGANISATIONS = 4
MEMBERS = 28
CASES = 150_000
SEED = 16
CASES_EACH = 30  # of each customer's cases handed to locust, to write messages on
STOP_TIMEOUT_S = 120  # for the tasks under way when the time is up
DRAIN_TIMEOUT_S = 600
MEDIA = ROOT / "var" / "bench-queue-media"
APPLICATION_NAME = "bench-queue-load"
BUSY_CORES = 0.2  # other work's share of the machine from which the run says it was busy
STAFF = {Area.PAYROLL: "bench-staff-lonn", Area.ACCOUNTING: "bench-staff-regnskap"}
# The attachment every new case is filed with (handed to locust in the plan).
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def main() -> None:
    ensure_database()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    fill()
    customers = pick_customers()
    staff = ensure_staff()
    marker = f"qload-{secrets.token_hex(4)}"
    load_before = [round(v, 2) for v in os.getloadavg()]
    print(
        f"{len(customers)} customers ({sum(c.extended for c in customers)} with utvidet "
        f"tilgang), {len(staff)} staff; {APP_PROCESSES} app processes, {WORKERS} workers "
        f"×{CONCURRENCY}; {SECONDS} s; run {marker}; load average before {load_before}"
    )
    sink = Sink()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's every command
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    env = {**database_env(APPLICATION_NAME), "MEDIA_ROOT": str(MEDIA)}
    servers = [Gunicorn(workers=1, env=env) for _ in range(APP_PROCESSES)]
    mail = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port), "EMAIL_USE_TLS": "0"}
    workers = [QueueWorker(CONCURRENCY, env={**env, **mail}) for _ in range(WORKERS)]
    sampler = HealthSampler(servers)
    sessions: list[str] = []
    smtp.start()
    try:
        with override_settings(MEDIA_ROOT=MEDIA), tempfile.TemporaryDirectory() as folder:
            for server in servers:
                server.start()
            for worker in workers:
                worker.start()
            sampler.start()
            sampler.wait(lambda s: s.workers >= WORKERS, 90, "the workers' first sign of life")
            plan = make_plan(marker, customers, staff, servers, sessions)
            started_at = timezone.now()
            failed_before = failed_jobs()
            sampler.measure_from_now()
            child, seen = run(plan, Path(folder), servers, workers)
            print(f"locust done ({child.seconds:.0f} s measured); waiting for the queue to drain")
            drain_s = drain(sampler, started_at)
            for worker in workers:
                worker.stop()
            result = report(
                plan, started_at, child, seen, sampler, sink, drain_s, failed_before, load_before
            )
        path = write_results("queue_load", result)
        print(f"written to {path.relative_to(ROOT)}")
    finally:
        sampler.stop()
        for worker in workers:
            worker.stop()
        for server in servers:
            server.stop()
        smtp.stop()
        Session.objects.filter(session_key__in=sessions).delete()


# --- The database -------------------------------------------------------------------


def ensure_database() -> None:
    """Create DATABASE_URL's database when it does not exist (the embedded server makes
    its own)."""
    if connection.vendor != "postgresql" or not os.environ.get("DATABASE_URL"):
        return
    try:
        connection.ensure_connection()
        return
    except OperationalError as error:
        if "does not exist" not in str(error):
            raise
    params = connection.get_connection_params()
    name = str(params["dbname"])
    for key in ("cursor_factory", "context"):
        params.pop(key, None)
    params["dbname"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as server:
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"created the database {name}")


def fill() -> None:
    """Generate the organisations, members and cases once; refuse any other database."""
    found = Organisation.objects.filter(slug__startswith="bench-org-").count()
    if found == 0 and not Case.objects.exists():
        call_command(
            "generate_cases",
            organisations=ORGANISATIONS,
            users=MEMBERS,
            cases=CASES,
            messages_per_case=0.5,
            seed=SEED,
        )
    elif found != ORGANISATIONS or Case.objects.exclude(
        organisation__slug__startswith="bench-org-"
    ):
        raise SystemExit(
            "This database holds other data than the queue load run's own: give it a "
            "database of its own (DATABASE_URL=.../kundesenter_queue_bench)."
        )


@dataclass
class Customer:
    user: User
    organisation: Organisation
    extended: bool  # utvidet tilgang: sees the whole organisation


def pick_customers() -> list[Customer]:
    """The members and each organisation's viewer, in a mixed order (the two app
    processes take them in turn)."""
    people = []
    for organisation in Organisation.objects.filter(slug__startswith="bench-org-").order_by("pk"):
        index = organisation.slug.removeprefix("bench-org-")
        viewer = User.objects.get(username=f"bench-viewer-{index}")
        people.append(Customer(viewer, organisation, True))
        members = User.objects.filter(
            username__startswith="bench-user-", memberships__organisation=organisation
        ).order_by("username")
        people += [Customer(member, organisation, False) for member in members]
    for customer in people:
        if (
            customer.extended
            and Case.objects.filter(organisation=customer.organisation).count()
            <= EXPORT_INLINE_LIMIT
        ):
            raise SystemExit(f"{customer.organisation.slug} is too small for a background export")
    return people


def ensure_staff() -> list[User]:
    """One staff member in each team."""
    people = []
    for area, username in STAFF.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "is_staff": True,
                "first_name": "Bench",
                "last_name": str(area.label),
                "email": f"{username}@kundesenter.example",
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=TEAM_GROUPS[area]))
        people.append(user)
    return people


def make_plan(
    marker: str,
    customers: list[Customer],
    staff: list[User],
    servers: list[Gunicorn],
    sessions: list[str],
) -> dict[str, Any]:
    addresses = [f"http://127.0.0.1:{server.port}" for server in servers]

    def person(index: int, session: str) -> dict[str, Any]:
        sessions.append(session)
        home = index % len(addresses)
        return {
            "session": session,
            "seed": index,
            "home": addresses[home],
            "other": addresses[(home + 1) % len(addresses)],
        }

    planned = []
    for index, customer in enumerate(customers):
        # Their own cases; one with utvidet tilgang may write on any of the organisation's.
        cases = Case.objects.filter(organisation=customer.organisation)
        if not customer.extended:
            cases = cases.filter(reported_by=customer.user)
        numbers = list(cases.order_by("-id").values_list("number", flat=True)[:CASES_EACH])
        entry = person(index, new_session(customer.user, customer.organisation))
        planned.append(entry | {"cases": numbers, "extended": customer.extended})
    return {
        "marker": marker,
        "pdf": PDF.decode("ascii"),
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "customers": planned,
        "staff": [person(index, new_session(user, None)) for index, user in enumerate(staff)],
    }


def failed_jobs() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")
        return int(cursor.fetchone()[0])


# --- The run --------------------------------------------------------------------------


def run(
    plan: dict[str, Any], folder: Path, servers: list[Gunicorn], workers: list[QueueWorker]
) -> tuple[LocustChild, dict[str, Any]]:
    """locust with every customer and staff member; its figures, and what the users saw."""
    users = len(plan["customers"]) + len(plan["staff"])
    ramp = -(-users // SPAWN_RATE)
    (folder / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    times, seen = folder / "times.json", folder / "record.json"
    arguments = [
        "-f",
        str(ROOT / "bench" / "queue_load_users.py"),
        "-u",
        str(users),
        "-r",
        str(SPAWN_RATE),
        "-t",
        f"{SECONDS + ramp}s",
        "--stop-timeout",
        str(STOP_TIMEOUT_S),
        "--host",
        plan["customers"][0]["home"],
    ]
    env = {
        "LOAD_PLAN": str(folder / "plan.json"),
        "LOAD_PACE": str(PACE),
        "LOAD_TIMES": str(times),
        "QUEUE_LOAD_RECORD": str(seen),
    }
    pids = {
        "app": [server.process.pid for server in servers if server.process],
        "workers": [worker.process.pid for worker in workers if worker.process],
    }
    print(f"locust: {users} users for {SECONDS} s (+{ramp} s ramp)")
    child = run_locust_child(arguments, env, CpuMeter(pids, APPLICATION_NAME), times)
    if not seen.exists():
        raise SystemExit(f"locust wrote no record of what it saw:\n{child.log[-3000:]}")
    return child, json.loads(seen.read_text(encoding="utf-8"))


@dataclass
class Sample:
    at: float  # seconds since the sampler started
    waiting: int
    oldest_waiting_seconds: int | None
    running: int
    workers: int


@dataclass
class HealthSampler:
    """Asks /helse/ every second, of each app process in turn, and keeps the queue's figures."""

    servers: list[Gunicorn]
    samples: list[Sample] = field(default_factory=list)
    first: int = 0  # the first sample of the run (before it, the workers were starting)
    failures: list[str] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._sample_until_stopped, daemon=True)
        self.thread.start()

    def measure_from_now(self) -> None:
        self.first = len(self.samples)

    def stop(self) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout=30)

    def wait(self, condition: Any, timeout: float, what: str) -> Sample:
        """The first sample from now on for which ``condition`` holds."""
        seen = len(self.samples)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for sample in self.samples[seen:]:
                if condition(sample):
                    return sample
            time.sleep(0.2)
        raise SystemExit(f"Not within {timeout:.0f} s: {what}")

    def _sample_until_stopped(self) -> None:
        for turn in range(10**9):
            server = self.servers[turn % len(self.servers)]
            try:
                answer = server.get("/helse/")
                if answer.status != 200:
                    self.failures.append(f"HTTP {answer.status}")
                else:
                    queue = json.loads(answer.body)["queue"]
                    self.samples.append(Sample(time.monotonic() - self.started, **queue))
            except OSError as error:
                self.failures.append(repr(error))
            if self.stopped.wait(1.0):
                return


def drain(sampler: HealthSampler, started_at: Any) -> float | None:
    """Seconds until the queue was empty twice in a row and no export of the run was
    unfinished; None if it was not within DRAIN_TIMEOUT_S."""
    began = time.monotonic()
    empty = 0

    def drained(sample: Sample) -> bool:
        nonlocal empty
        empty = empty + 1 if sample.waiting == 0 and sample.running == 0 else 0
        pending = ExportJob.objects.filter(
            created_at__gte=started_at,
            state__in=[ExportJob.State.WAITING, ExportJob.State.RUNNING],
        )
        return empty >= 2 and not pending.exists()

    try:
        sampler.wait(drained, DRAIN_TIMEOUT_S, "the queue drained")
    except SystemExit as timeout:
        print(timeout)
        return None
    return round(time.monotonic() - began, 1)


class Sink:
    """The SMTP server the workers send to: counts each Message-ID it receives."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = re.search(rb"^Message-ID:\s*(\S+)", envelope.original_content, re.I | re.M)
        with self.lock:
            self.received[found.group(1).decode() if found else "(none)"] += 1
        return "250 Message accepted for delivery"


# --- Checks and figures --------------------------------------------------------------


def markers(texts: list[str], marker: str) -> Counter[str]:
    """How often each of the run's markers occurs in ``texts``."""
    pattern = re.compile(re.escape(marker) + r"-[cms]\d+-\d+")
    return Counter(found for text in texts for found in pattern.findall(text))


def exactly_once(recorded: list[str], stored: Counter[str]) -> dict[str, Any]:
    missing = [m for m in recorded if stored[m] == 0]
    repeated = [m for m in recorded if stored[m] > 1]
    return {
        "met": bool(recorded) and not missing and not repeated,
        "recorded": len(recorded),
        "missing": missing[:10],
        "more_than_once": repeated[:10],
        # Made, but the user never saw the answer (stopped at the time limit, or failed).
        "stored_not_recorded": len(set(stored) - set(recorded)),
    }


def check_cases(marker: str, seen: dict[str, Any]) -> dict[str, Any]:
    """Every case recorded once, under the number its redirect named; every case of the
    run with its PDF: one attachment row, of the case itself, its file whole in the storage."""
    rows = list(
        Case.objects.filter(title__contains=f"({marker}-c").values_list("pk", "number", "title")
    )
    stored = markers([title for _, _, title in rows], marker)
    result = exactly_once(list(seen["cases"]), stored)
    number_of = {found: number for _, number, title in rows for found in markers([title], marker)}
    result["number_differs"] = [
        found for found, number in seen["cases"].items() if number_of.get(found, number) != number
    ][:10]
    files: Counter[int] = Counter()
    whole = set()
    for attachment in Attachment.objects.filter(case__in=[pk for pk, _, _ in rows]):
        files[attachment.case_id] += 1
        name = attachment.file.name or ""
        of_the_case = attachment.message_id is None and attachment.size == len(PDF)
        if of_the_case and default_storage.exists(name) and default_storage.size(name) == len(PDF):
            whole.add(attachment.case_id)
    without = [number for pk, number, _ in rows if files[pk] != 1 or pk not in whole]
    result["cases_of_the_run"] = len(rows)
    result["without_their_pdf"] = without[:10]
    result["met"] = result["met"] and not result["number_differs"] and not without
    return result


def check_exports(started_at: Any, seen: dict[str, Any]) -> dict[str, Any]:
    jobs = list(ExportJob.objects.filter(created_at__gte=started_at))
    not_done = [str(j.pk) for j in jobs if j.state != ExportJob.State.DONE]
    without_file = [
        str(j.pk) for j in jobs if not j.file.name or not default_storage.exists(j.file.name)
    ]
    waited = seen["exports_background"]
    times_ms = [
        (j.finished_at - j.created_at).total_seconds() * 1000 for j in jobs if j.finished_at
    ]
    return {
        "met": bool(jobs) and not not_done and not without_file and not seen["exports_unfinished"],
        "background": len(jobs),
        "inline": seen["exports_inline"],
        "not_done": not_done[:10],
        "without_file": without_file[:10],
        "waited_for": len(waited),
        "not_offered_in_time": seen["exports_unfinished"][:10],
        "rows_min": min((j.rows_total for j in jobs), default=None),
        "rows_max": max((j.rows_total for j in jobs), default=None),
        "attempts_over_1": sum(1 for j in jobs if j.attempts > 1),
        "request_to_done": summary(times_ms) if times_ms else None,
        "client_wait": summary([s * 1000 for s in waited.values()]) if waited else None,
    }


def check_emails(started_at: Any, sink: Sink) -> dict[str, Any]:
    """The run's outbox all sent, each received once; an older e-mail (of an earlier run)
    that the periodic resend sent now is counted apart, anything else is wrong."""
    outbox = OutgoingEmail.objects.filter(created_at__gte=started_at)
    unsent = list(outbox.filter(sent_at=None).values_list("event", flat=True))
    sent = set(outbox.exclude(sent_at=None).values_list("message_id", flat=True))
    with sink.lock:
        received = Counter(sink.received)
    others = set(received) - sent
    resent = set(
        OutgoingEmail.objects.filter(message_id__in=others, created_at__lt=started_at)
        .exclude(sent_at=None)
        .values_list("message_id", flat=True)
    )
    twice = [m for m, n in received.items() if n > 1]
    unknown = others - resent
    return {
        "met": bool(sent) and not unsent and sent <= set(received) and not unknown and not twice,
        "outbox": outbox.count(),
        "sent": len(sent),
        "unsent": len(unsent),
        "unsent_events": unsent[:10],
        "received": sum(received.values()),
        "received_more_than_once": twice[:10],
        "sent_not_received": len(sent - set(received)),
        "earlier_runs_resent": len(resent),
        "received_not_in_outbox": len(unknown),
    }


def report(
    plan: dict[str, Any],
    started_at: Any,
    child: LocustChild,
    seen: dict[str, Any],
    sampler: HealthSampler,
    sink: Sink,
    drain_s: float | None,
    failed_before: int,
    load_before: list[float],
) -> dict[str, Any]:
    marker = plan["marker"]
    kinds = {name: figures(kind, child.seconds) for name, kind in sorted(child.kinds.items())}
    every = figures(merged(child.kinds), child.seconds)
    print(f"{'kind':26} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'n':>6} errors")
    for name, kind in [*kinds.items(), ("all requests", every)]:
        print(
            f"{name:26} {fmt(kind['per_second']):>6} {fmt(kind['p50_ms']):>7} "
            f"{fmt(kind['p95_ms']):>7} {kind['requests']:>6} {kind['errors']}"
        )
    samples = sampler.samples[sampler.first :]
    queue = {
        "samples": len(samples),
        "health_failures": sampler.failures[:10],
        "largest_waiting": max((s.waiting for s in samples), default=None),
        "largest_oldest_waiting_seconds": max(
            (s.oldest_waiting_seconds or 0 for s in samples), default=None
        ),
        "largest_running": max((s.running for s in samples), default=None),
        "fewest_workers": min((s.workers for s in samples), default=None),
        "drain_seconds": drain_s,
    }
    checks = {
        "cases_once_with_their_pdf": check_cases(marker, seen),
        "double_submissions_one_case": {
            "met": not seen["double_submissions_apart"],
            "sent": seen["double_submissions"],
            "to_different_cases": seen["double_submissions_apart"][:10],
        },
        "messages_once": exactly_once(
            seen["messages"] + seen["answers"],
            markers(
                list(Message.objects.filter(body__contains=marker).values_list("body", flat=True)),
                marker,
            ),
        ),
        "exports_done": check_exports(started_at, seen),
        "no_5xx_no_failed_connection": {
            "met": not (seen["status_5xx"] or seen["connection_failures"] or seen["unexpected"]),
            "status_5xx": seen["status_5xx"],
            "connection_failures": seen["connection_failures"],
            "unexpected": seen["unexpected"],
            "unexpected_pages": seen["unexpected_pages"],
        },
        "emails_sent_once": check_emails(started_at, sink),
        "queue_drained": {"met": drain_s is not None, "seconds": drain_s},
        "no_job_failed": {
            "met": failed_jobs() == failed_before,
            "failed": failed_jobs() - failed_before,
        },
    }
    cpu = machine(child, load_before)
    exports, emails = checks["exports_done"], checks["emails_sent_once"]
    print(
        f"queue: at most {queue['largest_waiting']} waiting, the oldest "
        f"{queue['largest_oldest_waiting_seconds']} s, {queue['largest_running']} running; "
        f"drained {drain_s} s after locust stopped"
    )
    wait = exports["request_to_done"] or {}
    print(
        f"exports: {exports['background']} in the background (request to done p50 "
        f"{fmt(wait.get('median_ms'))} ms, p95 {fmt(wait.get('p95_ms'))} ms), "
        f"{exports['inline']} at once; e-mails: {emails['sent']} sent, "
        f"{emails['received']} received"
    )
    for name, check in checks.items():
        details = {k: v for k, v in check.items() if k != "met" and v not in ([], {}, None, 0)}
        print(f"{name:28} {'met' if check['met'] else 'MISSED'}  {details}")
    print(
        f"CPU cores: app {cpu['app_cores']}, workers {cpu['worker_cores']}, database "
        f"{cpu['database_cores']}, locust {cpu['locust_cores']}; whole machine "
        f"{cpu['machine_busy_cores']} of {cpu['cores']} (other work {cpu['other_cores']})"
        + (f" — {cpu['note']}" if cpu.get("note") else "")
    )
    return {
        "run": marker,
        "started_at": started_at.isoformat(timespec="seconds"),
        "seconds": round(child.seconds, 1),
        "setup": {
            "customers": len(plan["customers"]),
            "with_utvidet_tilgang": sum(1 for c in plan["customers"] if c["extended"]),
            "staff": len(plan["staff"]),
            "app_processes": APP_PROCESSES,
            "gunicorn_workers_each": 1,
            "queue_workers": WORKERS,
            "concurrency_each": CONCURRENCY,
            "customer_pace": PACE,
            "cases_in_database": Case.objects.count(),
            "export_inline_limit": EXPORT_INLINE_LIMIT,
        },
        "all_requests": every,
        "kinds": kinds,
        "queue": queue,
        "exports": exports,
        "emails": emails,
        "checks": {name: "met" if check["met"] else "MISSED" for name, check in checks.items()},
        "details": checks,
        "cpu": cpu,
    }


def machine(child: LocustChild, load_before: list[float]) -> dict[str, Any]:
    """Our processes' CPU over the measured window, and what else the machine did."""
    start, end, seconds = child.start, child.end, child.seconds

    def cores(cpu_seconds: float) -> float:
        return round(cpu_seconds / seconds, 2)

    cpu: dict[str, Any] = {
        "app_cores": cores(end.processes_s["app"] - start.processes_s["app"]),
        "worker_cores": cores(end.processes_s["workers"] - start.processes_s["workers"]),
        "database_cores": cores(end.database_since(start)),
        "locust_cores": child.locust_cores,
        "machine_busy_cores": cores(end.machine_busy_s - start.machine_busy_s),
        "cores": os.cpu_count(),
        "load_average_before": load_before,
    }
    ours = sum(cpu[k] for k in ("app_cores", "worker_cores", "database_cores", "locust_cores"))
    cpu["other_cores"] = round(max(0.0, cpu["machine_busy_cores"] - ours), 2)
    cpu["machine_was_busy"] = cpu["other_cores"] >= BUSY_CORES
    if cpu["machine_was_busy"]:
        cpu["note"] = (
            f"the machine was shared: other work used {cpu['other_cores']} of its "
            f"{cpu['cores']} cores during the run"
        )
    return cpu
