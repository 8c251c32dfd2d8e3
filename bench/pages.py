"""Server time of the everyday pages (start, contact, login, health) and of the
support desk's queue, in-process.

Measures Django's full request cycle through the test client (middleware,
session, active-organisation check, template rendering, database), without
network. The case list has its own benchmark with real HTTP.

The queue is timed over the case list's bench data (5 000 000 cases, made by
``generate_cases`` when missing), as Lena of Team lønn, who has QUEUE_MINE of
the team's open cases assigned to her, and as Siv, a superuser who sees both
teams' queues.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test import Client

from bench.common import summary, time_calls, write_results

REPEAT = 200
QUEUE_MINE = 200


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    from portal.models import User

    member = Client(HTTP_HOST="127.0.0.1")
    member.force_login(User.objects.get(username="mona"))
    anonymous = Client(HTTP_HOST="127.0.0.1")
    scenarios = {
        "start page (member of two organisations)": lambda: member.get("/"),
        "contact page": lambda: member.get("/kontakt/"),
        "login page (anonymous)": lambda: anonymous.get("/logg-inn/"),
        "health": lambda: anonymous.get("/helse/"),
    }
    scenarios |= queue_scenarios()
    from cases.models import Case

    cases = Case.objects.count()
    results = {}
    print(f"{cases} cases in the database")
    print(f"{'scenario':50} {'median ms':>10} {'p95 ms':>10} {'requests':>9}")
    for name, call in scenarios.items():
        timings = time_calls(checked(call), REPEAT)
        if len(timings) != REPEAT:
            raise SystemExit(f"{name}: {len(timings)} timed requests, {REPEAT} asked")
        figures = summary(timings)
        results[name] = figures
        print(f"{name:50} {figures['median_ms']:>10} {figures['p95_ms']:>10} {len(timings):>9}")
    path = write_results("pages", {"repeat": REPEAT, "cases": cases, "scenarios": results})
    print(f"written to {path.relative_to(path.parents[2])}")


def checked(call: Callable[[], Any]) -> Callable[[], Any]:
    """``call``, failing loudly unless the page answered 200: a timed error page is no figure."""

    def run() -> Any:
        response = call()
        if response.status_code != 200:
            raise SystemExit(f"{response.status_code} from {response.wsgi_request.get_full_path()}")
        return response

    return run


def queue_scenarios() -> dict[str, Callable[[], Any]]:
    """The desk's queue over the case list's bench data (made here when missing)."""
    from bench.case_list import ensure_cases
    from portal.db.roles import as_owner
    from portal.models import User

    ensure_cases(int(os.environ.get("BENCH_CASES", "5000000")))
    lena = User.objects.get(username="lena")
    siv = User.objects.get(username="siv")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM cases_case WHERE assigned_to_id = %s AND status <> 'avsluttet'",
            [lena.pk],
        )
        (mine,) = cursor.fetchone()
        if mine < QUEUE_MINE:
            cursor.execute(
                "UPDATE cases_case SET assigned_to_id = %s, assignee_name = %s WHERE id IN ("
                " SELECT id FROM cases_case WHERE category = 'lonn' AND status <> 'avsluttet'"
                " AND assigned_to_id IS NULL ORDER BY random() LIMIT %s)",
                [lena.pk, str(lena), QUEUE_MINE - mine],
            )
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_case")
    staff = Client(HTTP_HOST="127.0.0.1")
    staff.force_login(lena)
    boss = Client(HTTP_HOST="127.0.0.1")
    boss.force_login(siv)
    return {
        "queue: Team lønn, all open": lambda: staff.get("/admin/"),
        "queue: Team lønn, mine": lambda: staff.get("/admin/?vis=mine"),
        "queue: Team lønn, unassigned, oldest first": lambda: staff.get(
            "/admin/?vis=ufordelt&sortering=eldste"
        ),
        "queue: Team lønn, waiting over 14 days": lambda: staff.get("/admin/?vis=venter-lenge"),
        "queue: Team lønn, Utsatt, page 20": lambda: staff.get("/admin/?status=utsatt&side=20"),
        "queue: both teams (superuser)": lambda: boss.get("/admin/"),
    }
