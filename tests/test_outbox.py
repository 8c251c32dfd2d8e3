"""The e-mail outbox (portal.mail): written with its event, sent by the queue, never lost,
never sent twice for one event. The real SMTP server and real workers are in
tests/test_queue_faults.py; here the queue's jobs run on the test's connection."""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from cases.models import Follower
from cases.services import do_add_message
from portal.mail import RESEND_AFTER, forget_sent_email, queue_email, resend_waiting_email
from portal.models import OutgoingEmail
from tests.cases_helpers import make_case
from tests.conftest import Cast
from tests.queue import jobs_of, make_due


class ServerAway(BaseEmailBackend):
    """An SMTP server that does not answer."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class AddressRefused(BaseEmailBackend):
    """A receiving server that says the address does not exist."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPRecipientsRefused({"ukjent@example.no": (550, b"No such user")})


def _queue(event: str = "test:1", to: str = "per@example.no") -> bool:
    return queue_email(event=event, to=to, subject="Emne", body="Tekst")


def test_the_e_mail_waits_for_the_queue_and_goes_once(db: None, run_jobs) -> None:
    assert _queue()
    assert mail.outbox == []
    assert [(r.task, r.outcome) for r in run_jobs()] == [("portal.send_email", "succeeded")]
    [sent] = mail.outbox
    email = OutgoingEmail.objects.get()
    assert sent.to == ["per@example.no"]
    assert sent.extra_headers["Message-ID"] == email.message_id
    assert email.sent_at is not None
    assert email.attempts == 1
    assert run_jobs() == []


def test_the_same_event_to_the_same_address_is_one_e_mail(db: None, run_jobs) -> None:
    assert _queue()
    assert not _queue()
    assert _queue(to="kari@example.no")  # another address: its own e-mail
    assert jobs_of("portal.send_email") == 2
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == ["kari@example.no", "per@example.no"]


def test_a_rolled_back_event_leaves_neither_e_mail_nor_job(db: None, run_jobs) -> None:
    def event_that_fails() -> None:
        with transaction.atomic():
            _queue()
            raise RuntimeError("the event failed")

    with pytest.raises(RuntimeError):
        event_that_fails()
    assert not OutgoingEmail.objects.exists()
    assert run_jobs() == []


def test_while_the_server_is_away_the_e_mail_waits_and_then_goes_once(
    db: None, run_jobs, settings
) -> None:
    _queue()
    settings.EMAIL_BACKEND = "tests.test_outbox.ServerAway"
    assert [r.outcome for r in run_jobs()] == ["retry"]
    email = OutgoingEmail.objects.get()
    assert (email.sent_at, email.attempts) == (None, 1)
    assert "unexpectedly closed" in email.last_error
    assert run_jobs() == []  # the next try waits its turn
    make_due()
    assert [r.outcome for r in run_jobs()] == ["retry"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_due()
    assert [r.outcome for r in run_jobs()] == ["succeeded"]
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.sent_at is not None
    assert email.attempts == 3


def test_an_e_mail_whose_tries_ran_out_is_deferred_again_by_the_resend(
    db: None, run_jobs, settings
) -> None:
    _queue()
    settings.EMAIL_BACKEND = "tests.test_outbox.ServerAway"
    outcomes = []
    for _ in range(10):
        outcomes += [r.outcome for r in run_jobs()]
        make_due()
    assert outcomes[-1] == "failed"  # the job gave up; the e-mail did not
    assert jobs_of() == 0
    email = OutgoingEmail.objects.get()
    assert email.sent_at is None
    assert resend_waiting_email(timestamp=0) == 0  # too new to be taken up
    with time_machine.travel(email.created_at + RESEND_AFTER + dt.timedelta(minutes=1)):
        assert resend_waiting_email(timestamp=0) == 1
        assert resend_waiting_email(timestamp=0) == 0  # its job already waits
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_jobs()
    assert len(mail.outbox) == 1


def test_a_second_job_for_a_sent_e_mail_sends_nothing(db: None, run_jobs) -> None:
    from portal.mail import send_email

    _queue()
    run_jobs()
    send_email.defer(email_id=OutgoingEmail.objects.get().pk)
    assert [r.outcome for r in run_jobs()] == ["succeeded"]
    assert len(mail.outbox) == 1


def test_an_address_refused_for_good_is_recorded_and_not_tried_again(
    db: None, run_jobs, settings
) -> None:
    settings.EMAIL_BACKEND = "tests.test_outbox.AddressRefused"
    _queue(to="ukjent@example.no")
    assert [r.outcome for r in run_jobs()] == ["succeeded"]
    email = OutgoingEmail.objects.get()
    assert email.refused_at is not None
    assert "No such user" in email.last_error
    with time_machine.travel(email.created_at + RESEND_AFTER + dt.timedelta(minutes=1)):
        assert resend_waiting_email(timestamp=0) == 0


def test_the_record_of_sent_e_mail_is_kept_a_month(db: None, run_jobs) -> None:
    _queue()
    run_jobs()
    sent_at = OutgoingEmail.objects.get().sent_at
    assert sent_at is not None
    with time_machine.travel(sent_at + dt.timedelta(days=29)):
        assert forget_sent_email(timestamp=0) == 0
    with time_machine.travel(sent_at + dt.timedelta(days=31)):
        assert forget_sent_email(timestamp=0) == 1
    assert not OutgoingEmail.objects.exists()


def test_news_goes_to_the_reporter_not_to_an_outsider_or_a_colleague_who_follows(
    cast: Cast, run_jobs
) -> None:
    case = make_case(cast.fjordetaten, cast.per)
    # Follow records that rule 1 does not back: a colleague without utvidet tilgang,
    # and someone of another organisation.
    Follower.objects.create(case=case, user=cast.ola)
    Follower.objects.create(case=case, user=cast.nina)
    do_add_message(actor=cast.siv, case=case, body="Svar")
    run_jobs()
    assert [m.to for m in mail.outbox] == [[cast.per.email]]
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == [cast.per.email]


def test_the_same_news_told_twice_is_one_e_mail_each(cast: Cast, run_jobs) -> None:
    from cases.notify import tell_news

    case = make_case(cast.fjordetaten, cast.per)
    message = do_add_message(actor=cast.siv, case=case, body="Svar")
    run_jobs()
    assert tell_news(case.pk, f"message:{message.pk}") == 0  # a retried job adds nothing
    run_jobs()
    assert len(mail.outbox) == 1


def test_news_of_a_case_that_is_gone_tells_nobody_and_does_not_fail(db: None) -> None:
    from cases.notify import tell_news

    # The app's role may not delete cases; an operator restoring a backup may.
    assert tell_news(case_pk=987654321, event="message:1") == 0
    assert not OutgoingEmail.objects.exists()
