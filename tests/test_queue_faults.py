"""Faults, with real workers (``manage.py procrastinate worker``) and a real SMTP server.

- A worker killed with SIGKILL in the middle of an export: another worker takes
  the job up and finishes it; the person gets one file.
- The SMTP server stops while answers are sent: no e-mail is lost, and when it
  is back each is sent once.

Each test waits for what it expects by polling, with a timeout; none measures time.
"""

from __future__ import annotations

import email
import email.message
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.files.storage import default_storage

from cases import exporting
from cases.models import Case, ExportJob, Follower
from cases.services import do_add_message
from portal.models import OutgoingEmail, RoleType
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for, grant
from tests.processes import Processes, free_port, second_connection, wait_for, waiting_on_a_lock
from tests.queue import jobs_of


def test_a_worker_killed_in_the_middle_of_an_export_is_replaced_and_one_file_is_made(
    cast: Cast, processes: Processes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    for number in range(3):
        make_case(cast.fjordetaten, cast.per, title=f"Sak {number}")
    make_case(cast.kystdir, cast.nina, title="Ikke Fjordetatens")
    kari = client_for(cast.kari)
    kari.get("/saker/eksport.xlsx")
    job = ExportJob.objects.get()

    # The first worker takes the job and is held while it reads the cases.
    with second_connection() as holder:
        holder.execute("LOCK TABLE cases_case IN ACCESS EXCLUSIVE MODE")
        first = processes.worker()
        wait_for(
            lambda: (
                ExportJob.objects.get(pk=job.pk).state == ExportJob.State.RUNNING
                and waiting_on_a_lock() is not None
            ),
            what="the first worker in the middle of the export",
        )
        processes.kill(first)
        holder.rollback()

    processes.worker()
    wait_for(
        lambda: (
            ExportJob.objects.get(pk=job.pk).state in {ExportJob.State.DONE, ExportJob.State.FAILED}
        ),
        timeout=90,
        what=lambda: "the second worker finishing the export\n" + processes.output(),
    )
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, processes.output()
    assert job.attempts == 2  # the killed try, and the one that finished
    assert default_storage.listdir("exports") == ([], [f"{job.pk}.xlsx"])
    response = kari.get(f"/saker/eksport/{job.pk}/fil/")
    assert response.status_code == 200
    assert job.rows_total == 3  # Fjordetaten's cases only
    # Not for the plain member who did not make it, nor for the outsider.
    for other in (cast.per, cast.nina):
        assert client_for(other).get(f"/saker/eksport/{job.pk}/fil/").status_code == 404


@dataclass
class Sink:
    """A real SMTP server that keeps what it receives."""

    received: list[email.message.Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(email.message_from_bytes(envelope.original_content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, Controller]]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller
    finally:
        if controller._thread is not None:  # still running
            controller.stop()


def test_while_the_mail_server_is_down_no_e_mail_is_lost_and_each_goes_once(
    cast: Cast, processes: Processes, smtp: tuple[Sink, Controller]
) -> None:
    sink, controller = smtp
    port = controller.port
    processes.worker(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_USE_TLS="",
        EMAIL_RETRY_SECONDS="1",
    )
    cases = [make_case(cast.fjordetaten, cast.per, title=f"Sak {n}") for n in range(3)]
    # An answer before the stop goes at once.
    do_add_message(actor=cast.siv, case=cases[0], body="Første svar")
    wait_for(
        lambda: len(sink.received) == 1, what=lambda: "the first e-mail\n" + processes.output()
    )

    controller.stop()
    for case in cases:
        do_add_message(actor=cast.siv, case=case, body="Svar mens e-posttjeneren er nede")
    wait_for(
        lambda: OutgoingEmail.objects.filter(sent_at=None, attempts__gte=2).count() == 3,
        what=lambda: "each waiting e-mail tried and failed twice\n" + processes.output(),
    )
    assert len(sink.received) == 1

    again = Controller(sink, hostname="127.0.0.1", port=port)
    again.start()
    try:
        wait_for(
            lambda: not OutgoingEmail.objects.filter(sent_at=None).exists(),
            what=lambda: "every e-mail sent once the server is back\n" + processes.output(),
        )
        # Let the worker run on a little: nothing more may come.
        time.sleep(2)
    finally:
        again.stop()
    assert OutgoingEmail.objects.count() == 4
    ids = [message["Message-ID"].strip() for message in sink.received]
    assert sorted(ids) == sorted(OutgoingEmail.objects.values_list("message_id", flat=True))
    assert all(message["To"] == cast.per.email for message in sink.received)
    numbers = sorted(str(message["Subject"]).rsplit(" ", 1)[-1] for message in sink.received)
    assert numbers == sorted([cases[0].number, *(case.number for case in cases)])
    # The content of the case never goes by e-mail (rule 2).
    assert all("nede" not in message.get_payload() for message in sink.received)
    assert Case.objects.count() == 3


def test_an_e_mail_queued_by_a_job_in_a_worker_waits_for_that_jobs_commit(
    cast: Cast, processes: Processes, smtp: tuple[Sink, Controller]
) -> None:
    """Found by the queue's load run (bench/queue_load.py): in a worker, Procrastinate's
    own connection pool committed the e-mail's job before tell_news committed the
    e-mail, and the worker's other slot found nothing to send."""
    sink, controller = smtp
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    case = make_case(cast.fjordetaten, cast.per)
    Follower.objects.create(case=case, user=cast.kari)
    message = do_add_message(actor=cast.siv, case=case, body="Svar")
    # tell_news puts Per's e-mail in the outbox first, then waits at Kari's: this
    # connection holds an uncommitted row for the same event and address. Meanwhile
    # the worker's second slot is free to take any job it can see.
    with second_connection() as holder:
        holder.execute(
            'INSERT INTO portal_outgoingemail (event, "to", subject, body, message_id,'
            " created_at, attempts, last_error) VALUES (%s, %s, '', '', 'held', now(), 0, '')",
            [f"message:{message.pk}", cast.kari.email],
        )
        processes.worker(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(controller.port), EMAIL_USE_TLS="")
        wait_for(
            waiting_on_a_lock,
            timeout=30,
            what=lambda: "tell_news waiting at Kari's e-mail\n" + processes.output(),
        )
        # The window in which the other slot could take a job committed too early.
        time.sleep(3)
        holder.rollback()
    wait_for(
        lambda: (
            OutgoingEmail.objects.count() == 2
            and jobs_of("cases.tell_news", "portal.send_email", statuses=("todo", "doing")) == 0
        ),
        what=lambda: "tell_news and the e-mails' jobs done\n" + processes.output(),
    )
    assert list(OutgoingEmail.objects.filter(sent_at=None).values_list("to", flat=True)) == []
    wait_for(lambda: len(sink.received) == 2, timeout=10, what="both e-mails received")
    assert sorted(m["To"] for m in sink.received) == sorted([cast.per.email, cast.kari.email])
