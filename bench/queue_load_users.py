"""What each user of the queue load run does: the locustfile that bench/queue_load.py runs.

Not imported by the portal or by bench/run.py (importing locust patches the
process for gevent). bench/queue_load.py runs ``locust -f
bench/queue_load_users.py`` as a child process and hands it, in the file named
by LOAD_PLAN, a logged-in session for each customer and each staff member, the
app process each one uses (its "home", as a load balancer would send it) and the
other one, and the marker of the run.

Everything goes through the portal's own forms, as a browser sends them: the
page with the form is asked first, and its CSRF token, its one-time
``submission_key`` and its choices are read from it.

A **customer** (bench/queue_load.py, plan's ``customers``):

- files a case (the new-case form, with a small PDF): the title carries a
  marker of its own, recorded when the answer is the redirect to the new case;
  now and then (DOUBLE_SUBMIT) the same form is sent twice at once, to both
  app processes, as a double click behind a load balancer would: both answers
  must lead to the same case;
- writes a message on one of their own cases, its body carrying a marker;
- exports the list: up to the inline limit the file comes at once; above it
  (customers with utvidet tilgang see their whole organisation) the answer is
  the export's status page, which is asked every EXPORT_POLL_S seconds **of the
  other app process** until it offers the file, which is then downloaded;
- looks at the case list.

A **staff member** opens the desk's queue (``/admin/``), picks one of the
newest cases there, and answers it (now and then with "Send and set Waiting for
customer"): the answer carries a marker, and the reporter is told by e-mail.

What was seen is written at the end to QUEUE_LOAD_RECORD (JSON): the markers
recorded, the export jobs and how long each took to be offered, and, by kind of
request, every 5xx answer, every failed connection and every other answer that
was not the expected one. locust's own figures go to LOAD_TIMES
(bench/locust_common.py).
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]
from locust import events, task
from locust.contrib.fasthttp import FastHttpSession
from requests.cookies import create_cookie
from urllib3 import encode_multipart_formdata

from bench.locust_common import PacedUser, note_server_time

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
PACE = float(os.environ.get("LOAD_PACE", "0.25"))
STAFF_PACE = float(os.environ.get("QUEUE_LOAD_STAFF_PACE", "0.4"))
DOUBLE_SUBMIT = 0.1
EXPORT_POLL_S = 1.0
EXPORT_WAIT_S = 600.0
PDF = PLAN["pdf"].encode("ascii")
CASE_PAGE = re.compile(r"^/saker/(SAK-\d{4}-\d+)/$")
EXPORT_STATUS = re.compile(r"^/saker/eksport/([0-9a-f-]{36})/$")
DESK_CASE = re.compile(r'href="(/admin/cases/case/\d+/change/\?next=[^"]*)"')
TITLES = (
    "Feil i lønnskjøringen",
    "Spørsmål om feriepenger",
    "Faktura mangler bilag",
    "Avvik i avstemmingen",
    "Reiseregning ikke utbetalt",
)
TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S)
_customers = itertools.count()
_staff = itertools.count()

record: dict[str, Any] = {
    "cases": {},  # marker -> case number
    "messages": [],  # markers of customers' messages
    "answers": [],  # markers of staff answers
    "double_submissions": 0,
    "double_submissions_apart": [],  # markers whose two answers led to different cases
    "exports_inline": 0,
    "exports_background": {},  # job id -> seconds until the status page offered the file
    "exports_unfinished": [],  # job ids whose file was not offered within EXPORT_WAIT_S
    "status_5xx": Counter(),
    "connection_failures": Counter(),
    "unexpected": Counter(),
    "unexpected_pages": [],
}


# --- Forms --------------------------------------------------------------------------


@dataclass
class Form:
    hidden: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[str]] = field(default_factory=dict)
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # (group, value)


class FormReader(HTMLParser):
    """The forms of a page: each one's hidden fields, radio values and select options."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.open = False
        self.select: str | None = None
        self.group = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form())
            self.open = True
        if not self.open:
            return
        form = self.forms[-1]
        name = found.get("name", "")
        if tag == "input" and name:
            kind = found.get("type", "text")
            if kind == "hidden":
                form.hidden[name] = found.get("value", "")
            elif kind == "radio":
                form.radios.setdefault(name, []).append(found.get("value", ""))
        elif tag == "select":
            self.select = name
        elif tag == "optgroup":
            self.group = found.get("label", "")
        elif tag == "option" and self.select and found.get("value"):
            form.options.setdefault(self.select, []).append((self.group, found["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.open = False
        elif tag == "select":
            self.select, self.group = None, ""
        elif tag == "optgroup":
            self.group = ""


def form_with(text: str, name: str) -> Form | None:
    """The first form of the page with the hidden field ``name`` (``submission_key``)."""
    reader = FormReader()
    reader.feed(text)
    return next((form for form in reader.forms if name in form.hidden), None)


def multipart(fields: list[tuple[str, Any]]) -> tuple[bytes, str]:
    return encode_multipart_formdata(fields)


# --- Answers -----------------------------------------------------------------------


def judge(answer: Any, kind: str, expected: int) -> bool:
    """Whether ``answer`` is the ``expected`` status; if not, it is a failure of its kind,
    counted as a 5xx, a failed connection (no status) or another unexpected answer."""
    note_server_time(kind, answer)
    status = answer.status_code or 0
    if status == expected:
        return True
    if status >= 500:
        record["status_5xx"][kind] += 1
    elif status == 0:
        record["connection_failures"][kind] += 1
    else:
        record["unexpected"][f"{kind}: {status}"] += 1
    if len(record["unexpected_pages"]) < 10:
        # What the page said: its title and main text, to tell what went wrong.
        text = TAGS.sub(" ", str(answer.text or ""))
        record["unexpected_pages"].append(f"{kind} {status}: {' '.join(text.split())[:600]}")
    answer.failure(f"HTTP {status}" if status else f"no answer: {answer.error}")
    return False


def location(answer: Any) -> str:
    """The path a redirect leads to (Django answers with the path alone)."""
    return str(answer.headers.get("Location") or "")


class PortalUser(PacedUser):
    abstract = True
    home = ""
    other = ""

    def begin(self, me: dict[str, Any], pace: float) -> None:
        self.me = me
        self.pace = pace
        self.home, self.other = me["home"], me["other"]
        self.random = random.Random(me["seed"])
        self.due = time.monotonic()
        self.markers = itertools.count(1)
        # The session cookie is the same for both app processes (one host, two ports).
        self.client.cookiejar.set_cookie(create_cookie(PLAN["session_cookie"], me["session"]))

    def marker(self, kind: str) -> str:
        return f"{PLAN['marker']}-{kind}{self.me['seed']:02d}-{next(self.markers):05d}"

    def page(self, url: str, kind: str) -> str | None:
        """A page that must answer 200; its text, or None (a failure, counted)."""
        with self.client.get(url, name=kind, allow_redirects=False, catch_response=True) as answer:
            if not judge(answer, kind, 200):
                return None
            return str(answer.text or "")

    def post(
        self, url: str, fields: list[tuple[str, Any]], kind: str, client: Any = None
    ) -> str | None:
        """A form sent as the browser sends it (multipart); the redirect's path, or None."""
        body, content_type = multipart(fields)
        with (client or self.client).post(
            url,
            data=body,  # type: ignore[arg-type] # bytes are sent as they are
            headers={"Content-Type": content_type},
            name=kind,
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if not judge(answer, kind, 302):
                return None
            return location(answer)


# --- Customers ----------------------------------------------------------------------


class Customer(PortalUser):
    fixed_count = len(PLAN["customers"])

    def on_start(self) -> None:
        self.begin(PLAN["customers"][next(_customers) % len(PLAN["customers"])], PACE)
        self.cases: list[str] = list(self.me["cases"])
        self.twin = FastHttpSession(self.host, self.environment.events.request, self)

    @task(3)
    def new_case(self) -> None:
        text = self.page(f"{self.home}/saker/ny/", "new case form")
        form = form_with(text or "", "submission_key")
        if form is None:
            return
        # The subject areas are grouped by category, in the order of the category choice.
        groups = list(dict.fromkeys(group for group, _ in form.options["subject_area"]))
        category = self.random.choice(form.radios["category"])
        group = groups[form.radios["category"].index(category)]
        subject = self.random.choice([v for g, v in form.options["subject_area"] if g == group])
        marker = self.marker("c")
        fields = [
            *form.hidden.items(),
            ("category", category),
            ("subject_area", subject),
            ("title", f"{self.random.choice(TITLES)} ({marker})"),
            ("description", "Se vedlagt dokumentasjon. Gjelder flere ansatte i avdelingen."),
            ("attachments", ("dokumentasjon.pdf", PDF, "application/pdf")),
        ]
        if self.random.random() < DOUBLE_SUBMIT:
            # A double click that a load balancer spreads over both app processes. The
            # second goes through a client of its own with the same cookies: locust's
            # client is not made for two requests at once (it follows the redirect of one).
            record["double_submissions"] += 1
            for cookie in self.client.cookiejar:
                self.twin.cookiejar.set_cookie(cookie)
            kind = "new case (POST, twice)"
            twice = [
                gevent.spawn(self.post, f"{self.home}/saker/ny/", fields, kind),
                gevent.spawn(self.post, f"{self.other}/saker/ny/", fields, kind, self.twin),
            ]
            gevent.joinall(twice)
            targets = {job.value for job in twice}
            if len(targets) != 1:
                record["double_submissions_apart"].append(marker)
            target = twice[0].value
        else:
            target = self.post(f"{self.home}/saker/ny/", fields, "new case (POST)")
        found = CASE_PAGE.match(target or "")
        if found is None:
            if target is not None:
                record["unexpected"][f"new case (POST): to {target}"] += 1
            return
        record["cases"][marker] = found.group(1)
        self.cases.append(found.group(1))
        self.page(f"{self.home}{target}", "case")

    @task(4)
    def message(self) -> None:
        if not self.cases:
            return
        number = self.random.choice(self.cases)
        text = self.page(f"{self.home}/saker/{number}/", "case")
        form = form_with(text or "", "submission_key")
        if form is None:
            return
        marker = self.marker("m")
        body = f"Takk for svar. Vi sender mer dokumentasjon i morgen. ({marker})"
        target = self.post(
            f"{self.home}/saker/{number}/", [*form.hidden.items(), ("body", body)], "message (POST)"
        )
        if target is None:
            return
        if target != f"/saker/{number}/#messages":
            record["unexpected"][f"message (POST): to {target}"] += 1
            return
        record["messages"].append(marker)
        self.page(f"{self.home}/saker/{number}/", "case")

    @task(1)
    def export(self) -> None:
        # Those with utvidet tilgang export their whole organisation: in the background.
        kind = "export (utvidet tilgang)" if self.me["extended"] else "export (own cases)"
        started = time.monotonic()
        with self.client.get(
            f"{self.home}/saker/eksport.xlsx", name=kind, allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code == 200:
                judge(answer, kind, 200)
                record["exports_inline"] += 1
                return
            if not judge(answer, kind, 302):
                return
            target = location(answer)
        found = EXPORT_STATUS.match(target)
        if found is None:
            record["unexpected"][f"{kind}: to {target}"] += 1
            return
        self.wait_for_export(found.group(1), target, started)

    def wait_for_export(self, job: str, status_page: str, started: float) -> None:
        """Ask the status page (of the other app process) until it offers the file."""
        download = f"/saker/eksport/{job}/fil/"
        while time.monotonic() - started < EXPORT_WAIT_S:
            text = self.page(f"{self.other}{status_page}", "export status")
            if text is not None and download in text:
                record["exports_background"][job] = round(time.monotonic() - started, 2)
                self.page(f"{self.other}{download}", "export file")
                return
            gevent.sleep(EXPORT_POLL_S)
        record["exports_unfinished"].append(job)

    @task(2)
    def case_list(self) -> None:
        self.page(f"{self.home}/saker/", "list")


# --- Staff --------------------------------------------------------------------------


class Staff(PortalUser):
    fixed_count = len(PLAN["staff"])

    def on_start(self) -> None:
        self.begin(PLAN["staff"][next(_staff) % len(PLAN["staff"])], STAFF_PACE)

    @task
    def answer(self) -> None:
        queue = self.page(f"{self.home}/admin/", "desk queue")
        links = DESK_CASE.findall(queue or "")
        if not links:
            return
        # One of the newest: the queue shows the latest customer activity first.
        link = html.unescape(self.random.choice(links[:10]))
        text = self.page(f"{self.home}{link}", "desk case")
        form = form_with(text or "", "submission_key")
        if form is None:
            return
        marker = self.marker("s")
        fields = [
            *form.hidden.items(),
            ("kind", "svar"),
            ("template", ""),
            ("body", f"Takk for henvendelsen. Vi har sett på saken. ({marker})"),
            ("handling", "svar_venter" if self.random.random() < 0.2 else "svar"),
        ]
        if self.post(f"{self.home}{link}", fields, "answer (POST)") is not None:
            record["answers"].append(marker)


def write_record(**_kwargs: Any) -> None:
    if "QUEUE_LOAD_RECORD" in os.environ:
        Path(os.environ["QUEUE_LOAD_RECORD"]).write_text(json.dumps(record), encoding="utf-8")


events.test_stop.add_listener(write_record)  # type: ignore[no-untyped-call]
