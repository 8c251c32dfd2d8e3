"""E-mail about cases. It says *that* there is news and where, never what (rule 2).

The content of a case may be sensitive (salaries, sick leave), and e-mail is
not a safe channel for it: the reader logs in to read it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cases.models import Case
from portal.models import User

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


def news_on_case(case_pk: int) -> int:
    """Tell everyone concerned that case ``case_pk`` has news. Returns the number of e-mails."""
    case = Case.objects.select_related("reported_by", "organisation").get(pk=case_pk)
    link = settings.SITE_URL + reverse("cases:detail", args=[case.number])
    sent = 0
    for user in recipients(case):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("News on case %(number)s") % {"number": case.number}
            body = _(
                "There is news on case %(number)s in Kundesenter.\n\n"
                "Log in to read it:\n%(link)s\n\n"
                "For your privacy, this e-mail never contains the content of the case.\n"
                "This message cannot be answered."
            ) % {"number": case.number, "link": link}
        sent += send_mail(subject, body, None, [user.email], fail_silently=False)
    logger.info("Notified %d people of news on %s", sent, case.number)
    return sent
