"""Server time of the everyday pages (start, contact, login, health) in-process.

Measures Django's full request cycle through the test client (middleware,
session, active-organisation check, template rendering, database), without
network. The case list has its own benchmark with real HTTP.
"""

from __future__ import annotations

from django.core.management import call_command
from django.test import Client

from bench.common import summary, time_calls, write_results

REPEAT = 200


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
    results = {}
    print(f"{'scenario':45} {'median ms':>10} {'p95 ms':>10}")
    for name, call in scenarios.items():
        figures = summary(time_calls(call, REPEAT))
        results[name] = figures
        print(f"{name:45} {figures['median_ms']:>10} {figures['p95_ms']:>10}")
    path = write_results("pages", {"repeat": REPEAT, "scenarios": results})
    print(f"written to {path.relative_to(path.parents[2])}")
