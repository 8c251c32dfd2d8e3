"""Old and new version (rule 8): which version a session uses, and until when the old one is open.

Through OLD_VERSION_LAST_DAY (Oslo, inclusive; 18.11.2022 in the release
note) a user who logs in with username and password first chooses between
the versions; the choice is kept in the session and can be changed from the
header. A direct login link always lands in the new version. From the day
after, the old version is closed and its addresses redirect to the new one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from portal.dates import is_through

SESSION_KEY = "portal_version"
NEW = "new"
OLD = "old"


def old_version_open(moment: dt.datetime | None = None) -> bool:
    """True through the last day of the old version, in Oslo time."""
    return is_through(settings.OLD_VERSION_LAST_DAY, moment)


def set_version(request: HttpRequest, version: str) -> None:
    request.session[SESSION_KEY] = NEW if version != OLD or not old_version_open() else OLD


def current_version(request: HttpRequest) -> str:
    if not old_version_open():
        return NEW
    return str(request.session.get(SESSION_KEY, NEW))


def after_login_url(request: HttpRequest, *, via_direct_link: bool) -> str:
    """Where a fresh login lands: the new version for direct links and after the cutoff,
    otherwise the choice between the versions."""
    if via_direct_link or not old_version_open():
        set_version(request, NEW)
        return reverse("start")
    return reverse("portal:version_choice")
