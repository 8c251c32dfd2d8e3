"""Kill -9 an app process in the middle of a case submission with an attachment (issue 16).

Either the case with its attachment exists or nothing does; no orphan file or row.

A real gunicorn serves the portal on the test database (committed data: the
test is transactional, as the browser tests are) and the test's MEDIA_ROOT.
The test holds a lock on ``cases_attachment`` in a connection of its own, so
the submission writes its file and then waits at its ``INSERT`` of the
attachment row; once PostgreSQL shows that wait, the worker is killed with
SIGKILL and the lock let go. Every wait polls for what it needs, with a time
limit: no sleep guesses how long anything takes.

Per, a plain member, submits; Nina, the outsider, is refused his attachment.
"""

from __future__ import annotations

import datetime as dt
import http.client
import signal
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from cases.files import sweep_orphan_files
from cases.models import Attachment, Case, StatusChange
from portal.files import walk
from portal.models import User
from tests.cases_helpers import PDF_BYTES, pdf, subject_area
from tests.conftest import Cast
from tests.processes import Processes, free_port, second_connection, wait_for, waiting_on_a_lock

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


@dataclass
class App:
    """gunicorn (one master, one sync worker) serving the portal on the test database."""

    master: subprocess.Popen[bytes]
    port: int
    log: Path

    def worker(self) -> psutil.Process:
        (worker,) = psutil.Process(self.master.pid).children()
        return worker

    def request(
        self, method: str, path: str, session: str, *, body: bytes = b"", **cookies: str
    ) -> Response:
        cookies = {settings.SESSION_COOKIE_NAME: session, **cookies}
        headers = {"Cookie": "; ".join(f"{key}={value}" for key, value in cookies.items())}
        if body:
            headers["Content-Type"] = MULTIPART_CONTENT
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            return Response(answer.status, answer.headers, answer.read())
        finally:
            conn.close()

    def answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", "/logg-inn/")
            conn.getresponse().read()
            conn.close()
        except OSError:
            assert self.master.poll() is None, self.log.read_text()
            return False
        return True

    def submit(self, session: str, title: str) -> Response:
        """The new-case form as a browser sends it: its CSRF token, one PDF attached."""
        form = self.request("GET", "/saker/ny/", session)
        assert form.status == 200, form.body[:500]
        cookies = SimpleCookie()
        for header in form.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        token = cookies[settings.CSRF_COOKIE_NAME].value
        body = encode_multipart(
            BOUNDARY,
            {
                "csrfmiddlewaretoken": token,
                "category": "lonn",
                "subject_area": str(subject_area("lonn").pk),
                "title": title,
                "description": "Lønnsslippen er vedlagt.",
                "submission_key": str(uuid.uuid4()),
                "attachments": pdf("lønnsslipp.pdf"),
            },
        )
        return self.request(
            "POST", "/saker/ny/", session, body=body, **{settings.CSRF_COOKIE_NAME: token}
        )


def logged_in(user: User) -> str:
    """A session of ``user`` in the shared database: what logging in leaves."""
    browser = Client()
    browser.force_login(user)
    return browser.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def app(processes: Processes) -> Iterator[App]:
    port = free_port()
    master = processes.start(
        "gunicorn",
        *("-m", "gunicorn", "portal.wsgi"),
        *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120"),
        "--no-control-socket",  # gunicorn's default is one path for every server
        DB_CONN_MAX_AGE="0",
        SECURE_COOKIES="0",  # plain http on 127.0.0.1
    )
    served = App(master, port, processes.logs[-1])
    try:
        wait_for(served.answers)
        yield served
    finally:
        # Only the workers of this master, by their process id; the master is
        # stopped with the test's other processes.
        for worker in psutil.Process(master.pid).children() if master.poll() is None else []:
            worker.kill()


def waiting_on_the_lock() -> int | None:
    """The backend of a submission stopped at its INSERT of an attachment row, if any."""
    return waiting_on_a_lock('INSERT INTO "cases_attachment"%')


def backend_gone(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        (count,) = cursor.fetchone()
    return int(count) == 0


def stored() -> list[str]:
    return list(walk(default_storage, "attachments"))


def test_a_submission_killed_after_writing_its_file_leaves_nothing(cast: Cast, app: App) -> None:
    per = logged_in(cast.per)
    with second_connection() as lock:
        # Blocks every INSERT into cases_attachment until rolled back; reading goes on.
        lock.execute("LOCK TABLE cases_attachment IN SHARE MODE")
        with ThreadPoolExecutor(1) as pool:
            submission = pool.submit(app.submit, per, "Avbrutt innsending")
            wait_for(lambda: waiting_on_the_lock() is not None or submission.done())
            backend = waiting_on_the_lock()
            assert backend is not None, submission.result()
            (orphan,) = stored()  # the file is written before its row
            worker = app.worker()
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
            with pytest.raises(ConnectionError):
                submission.result(60)  # the browser got no answer
        lock.rollback()
        # The dead client's backend takes the INSERT, finds its client gone and rolls back.
        wait_for(lambda: backend_gone(backend))

    assert not Case.objects.exists()
    assert not Attachment.objects.exists()
    assert not StatusChange.objects.exists()
    assert stored() == [orphan]
    with default_storage.open(orphan) as handle:
        assert handle.read() == PDF_BYTES
    assert sweep_orphan_files() == []  # within the grace: it might still be committing
    assert sweep_orphan_files(older_than=dt.timedelta(0)) == [orphan]
    assert stored() == []

    # gunicorn has started another worker; the same submission again goes through whole.
    response = app.submit(per, "Ny innsending")
    case = Case.objects.get()
    assert response.status == 302
    assert response.headers["Location"] == f"/saker/{case.number}/"
    assert case.title == "Ny innsending"
    attachment = Attachment.objects.get()
    assert attachment.case == case
    assert stored() == [attachment.file.name]
    download = f"/saker/{case.number}/vedlegg/{attachment.pk}/"
    got = app.request("GET", download, per)
    assert (got.status, got.body) == (200, PDF_BYTES)
    assert app.request("GET", download, logged_in(cast.nina)).status == 404
    assert sweep_orphan_files(older_than=dt.timedelta(0)) == []
