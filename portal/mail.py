"""E-mail through an outbox and the task queue: written with its event, sent after it commits.

``queue_email`` adds one row per event and address (``OutgoingEmail``) in the
caller's transaction, and defers the job that sends it in the same transaction
(Procrastinate writes its job through Django's connection). If the transaction
rolls back there is neither e-mail nor job; once it commits, a worker is woken
and sends it. Telling of the same event again finds the row and adds nothing.

``send_email`` (the job) locks the row, hands the e-mail to SMTP and records it
as sent, in one transaction: a second job for the same row finds it sent, or
locked by the first, and does nothing. An SMTP server that is down or refuses
for now makes the job fail; the row stays waiting and the job runs again after a
growing wait, and after its last try ``resend_waiting_email`` defers it again.
So no e-mail is lost. One is sent twice only if a worker dies between SMTP's
"accepted" and the commit, which no queue can rule out; it then carries the same
Message-ID, by which mail systems recognise a repeat. A receiving server that
refuses the address for good is recorded (``refused_at``) and not asked again.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued

from portal.models import OutgoingEmail
from portal.queue import defer_in_transaction

logger = logging.getLogger(__name__)

# 0, 30, 60 … 210 s between tries (EMAIL_RETRY_SECONDS): about a quarter of an hour
# in all, then the periodic resend takes the e-mail up again every ten minutes.
SEND_RETRY = RetryStrategy(
    max_attempts=8,
    linear_wait=settings.EMAIL_RETRY_SECONDS,
    retry_exceptions=[smtplib.SMTPException, OSError],
)
RESEND_AFTER = dt.timedelta(minutes=15)
KEEP_SENT_DAYS = 30


def queue_email(*, event: str, to: str, subject: str, body: str) -> bool:
    """Send ``subject`` and ``body`` to ``to`` once the caller's transaction commits.

    ``event`` names what the e-mail tells of (``message:42``): the same event and
    address make one e-mail however often they are queued. Returns whether this
    call added it.
    """
    with transaction.atomic():
        email, created = OutgoingEmail.objects.get_or_create(
            event=event,
            to=to,
            defaults={"subject": subject, "body": body, "message_id": _message_id()},
        )
        if created:
            defer_in_transaction(send_email, queueing_lock=_lock(email.pk), email_id=email.pk)
    return created


def _message_id() -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "kundesenter"
    return make_msgid("kundesenter", domain=domain)


def _lock(email_id: int) -> str:
    """At most one job waits to send an e-mail (Procrastinate's queueing lock)."""
    return f"email-{email_id}"


@app.task(name="portal.send_email", queue="email", retry=SEND_RETRY)
def send_email(email_id: int) -> None:
    """Send one waiting e-mail and record it, or leave it waiting and fail (to be retried)."""
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, sent_at=None, refused_at=None)
            .first()
        )
        if email is None:
            return  # sent already, refused, or being sent by another worker now
        message = EmailMessage(
            email.subject, email.body, None, [email.to], headers={"Message-ID": email.message_id}
        )
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as refusal:
            email.refused_at = timezone.now()
            email.attempts += 1
            email.last_error = str(refusal)[:1000]
            email.save(update_fields=["refused_at", "attempts", "last_error"])
            logger.warning("E-mail %s refused for good: %s", email_id, refusal)
            return
        except (smtplib.SMTPException, OSError) as error:
            failure: Exception = error
        else:
            email.sent_at = timezone.now()
            email.attempts += 1
            email.save(update_fields=["sent_at", "attempts"])
            return
    # Outside the rolled-back transaction, so the count and the reason stay.
    OutgoingEmail.objects.filter(pk=email_id).update(
        attempts=F("attempts") + 1, last_error=str(failure)[:1000]
    )
    raise failure


@app.periodic(cron="*/10 * * * *", periodic_id="resend-waiting-email")
@app.task(name="portal.resend_waiting_email", queueing_lock="resend-waiting-email")
def resend_waiting_email(timestamp: int) -> int:
    """Defer again the e-mails still waiting after their job's last try. Returns how many."""
    waiting = OutgoingEmail.objects.filter(
        sent_at=None, refused_at=None, created_at__lt=timezone.now() - RESEND_AFTER
    ).values_list("pk", flat=True)
    deferred = 0
    for email_id in waiting:
        try:
            with transaction.atomic():  # a refused insert undoes only itself
                defer_in_transaction(send_email, queueing_lock=_lock(email_id), email_id=email_id)
        except AlreadyEnqueued:
            continue  # its job is still waiting for its next try
        deferred += 1
    if deferred:
        logger.warning("%d waiting e-mail(s) deferred again", deferred)
    return deferred


@app.periodic(cron="40 2 * * *", periodic_id="forget-sent-email")
@app.task(name="portal.forget_sent_email", queueing_lock="forget-sent-email")
def forget_sent_email(timestamp: int) -> int:
    """Delete the record of e-mails sent or refused more than KEEP_SENT_DAYS ago."""
    cutoff = timezone.now() - dt.timedelta(days=KEEP_SENT_DAYS)
    sent, _ = OutgoingEmail.objects.filter(sent_at__lt=cutoff).delete()
    refused, _ = OutgoingEmail.objects.filter(refused_at__lt=cutoff).delete()
    return sent + refused
