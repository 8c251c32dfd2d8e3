"""E-mail about cases. It says *that* there is news and where, never what (rule 2).

The content of a case may be sensitive (salaries, sick leave), and e-mail is
not a safe channel for it: the reader logs in to read it.

The service that makes the news calls ``announce_news`` in its transaction; that
defers ``tell_news`` on the queue, which finds who may be told and puts one
e-mail per person in the outbox (``portal.mail``), keyed by the event: the news
is told once whatever the tries.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from procrastinate.contrib.django import app

from cases.models import Case
from portal.mail import queue_email
from portal.models import User
from portal.queue import defer_in_transaction

logger = logging.getLogger(__name__)


def recipients(case: Case) -> list[User]:
    """The reporter and the followers who may still see the case now, each once, with an
    address. A former member, or one whose utvidet tilgang ended, is told nothing: the
    same rule 1 and the same gate as the case page (``Case.objects.visible_to``)."""
    people: dict[int, User] = {}
    candidates = [case.reported_by] + [f.user for f in case.followers.select_related("user")]
    for user in candidates:
        if user is None or user.pk in people or not user.email:
            continue
        if Case.objects.visible_to(user, case.organisation).filter(pk=case.pk).exists():
            people[user.pk] = user
    return list(people.values())


def announce_news(case: Case, event: str) -> None:
    """Tell those concerned, once the caller's transaction commits, that ``case`` has news.
    ``event`` names the news (``message:42``, ``status:7``)."""
    defer_in_transaction(tell_news, case_pk=case.pk, event=event)


@app.task(name="cases.tell_news", queue="email", retry=5)
def tell_news(case_pk: int, event: str) -> int:
    """Put one e-mail per person concerned in the outbox. Returns the number added."""
    case = Case.objects.select_related("reported_by", "organisation").filter(pk=case_pk).first()
    if case is None:
        return 0  # gone since (a restore by an operator): nobody to tell
    link = settings.SITE_URL + reverse("cases:detail", args=[case.number])
    added = 0
    with transaction.atomic():
        for user in recipients(case):
            with translation.override(user.language or settings.LANGUAGE_CODE):
                subject = _("News on case %(number)s") % {"number": case.number}
                body = _(
                    "There is news on case %(number)s in Kundesenter.\n\n"
                    "Log in to read it:\n%(link)s\n\n"
                    "For your privacy, this e-mail never contains the content of the case.\n"
                    "This message cannot be answered."
                ) % {"number": case.number, "link": link}
            added += queue_email(event=event, to=user.email, subject=subject, body=body)
    logger.info("%d e-mail(s) about news on %s (%s)", added, case.number, event)
    return added
