"""What each user of the load test does: the locustfile that bench/load.py runs.

Not imported by the portal or by bench/run.py (importing locust patches the
process for gevent). bench/load.py runs ``locust -f bench/load_users.py`` as a
child process and hands it, in the file named by LOAD_PLAN, one logged-in
session per user and the list addresses to mix.

Each user works in its own organisation with its own session, like a person
at the desk: opens the list, filters and sorts it, pages on with "Next" (the
keyset link the page gives), jumps to a deep page by number, opens a case it
saw in the list, goes back to the start page, now and then changes its
columns. The pace is LOAD_PACE requests a second per user on average, kept
whatever the answers take, so the load offered stays the same until the
server cannot keep up. The gaps between a user's requests are random
(exponential: people do not click in step, bench/locust_common.py), so the
32 users together arrive as a Poisson stream. An even pace (locust's ``constant_throughput``) kept
the users in step with how they were started, eight at a time: at 2 requests
a second all 32 asked at once every half second, and p95 was 390 ms where
2.25 a second gave 130 ms.

Every answer but the expected one is an error: 200 for a page (a redirect
would be the login page: a lost session), 302 for the column choice.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from locust import task
from requests.cookies import create_cookie

from bench.locust_common import PacedUser, note_server_time

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
PACE = float(os.environ.get("LOAD_PACE", "2.5"))
CASE_LINK = re.compile(r'href="/saker/(SAK-\d{4}-\d+)/"')
NEXT_LINK = re.compile(r'rel="next" href="(/saker/\?[^"]*)"')
_users = itertools.count()


class DeskUser(PacedUser):
    pace = PACE  # requests a second

    def on_start(self) -> None:
        me = PLAN["users"][next(_users) % len(PLAN["users"])]
        self.pages = max(1, int(me["cases"]) // 50)  # pages of 50 the organisation has
        self.random = random.Random(me["seed"])
        self.due = time.monotonic()
        self.cases: list[str] = []  # numbers seen on the last list page
        self.next_page: str | None = None  # its "Next" link
        # Django's CSRF check takes the unmasked secret in the cookie and the header.
        self.csrf = secrets.token_hex(16)
        for name, value in ((PLAN["session_cookie"], me["session"]), ("csrftoken", self.csrf)):
            self.client.cookiejar.set_cookie(create_cookie(name, value))

    # --- the list -------------------------------------------------------------------

    def list_page(self, query: str, kind: str) -> None:
        path = "/saker/" + (f"?{query}" if query else "")
        with self.client.get(path, name=kind, allow_redirects=False, catch_response=True) as answer:
            note_server_time(kind, answer)
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
                return
            text = answer.text or ""
            self.cases = CASE_LINK.findall(text) or self.cases
            found = NEXT_LINK.search(text)
            self.next_page = html.unescape(found.group(1)) if found else None

    @task(8)
    def first_page(self) -> None:
        size = self.random.choice(["", "", "", "per_side=25", "per_side=100"])
        self.list_page(size, "list")

    @task(10)
    def filtered(self) -> None:
        self.list_page(self.random.choice(PLAN["filters"]), "list filtered")

    @task(6)
    def sorted(self) -> None:
        key = self.random.choice(PLAN["sort_keys"])
        self.list_page(f"sort={self.random.choice(['', '-'])}{key}", "list sorted")

    @task(10)
    def next_by_keyset(self) -> None:
        if self.next_page is None:
            self.list_page("", "list")
            return
        self.list_page(self.next_page.removeprefix("/saker/?"), "list next (keyset)")

    @task(3)
    def deep_page(self) -> None:
        page = self.random.randint(2, min(self.pages, PLAN["deepest_page"]))
        self.list_page(f"side={page}", "list deep (side)")

    # --- other pages ------------------------------------------------------------------

    def page(self, path: str, kind: str) -> None:
        with self.client.get(path, name=kind, allow_redirects=False, catch_response=True) as answer:
            note_server_time(kind, answer)
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")

    @task(8)
    def case_detail(self) -> None:
        if not self.cases:
            self.list_page("", "list")
            return
        self.page(f"/saker/{self.random.choice(self.cases)}/", "case")

    @task(3)
    def start_page(self) -> None:
        self.page("/", "start")

    @task(1)
    def choose_columns(self) -> None:
        chosen = self.random.choice(PLAN["column_choices"])
        with self.client.post(
            "/saker/kolonner/",
            data=urlencode([("kolonner", name) for name in chosen]),
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.csrf},
            name="columns (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            note_server_time("columns (POST)", answer)
            if answer.status_code != 302:
                answer.failure(f"HTTP {answer.status_code}")
