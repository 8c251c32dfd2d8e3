"""Old and new version (rule 8): which version a session uses, and until when the old one is open.

Through OLD_VERSION_LAST_DAY (Oslo, inclusive; 18.11.2022 in the release
note) a user who logs in with username and password first chooses between
the versions; the choice is kept in the session and can be changed from the
header. A direct login link always lands in the new version. From the day
after, the old version is closed and its addresses redirect to the new one.

A login that was asked to go somewhere (``?next=``, e.g. a case link in an e-mail)
lands there, if it is on this site; after a direct link only if it is in the new
version.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest
from django.urls import resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

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


def after_login_url(
    request: HttpRequest, *, via_direct_link: bool, next_url: str | None = None
) -> str:
    """Where a fresh login lands: ``next_url`` if safe, in the new version for direct links
    and after the cutoff; without one the start page there, otherwise the choice between
    the versions."""
    target = safe_next_url(request, next_url)
    if via_direct_link or not old_version_open():
        set_version(request, NEW)
        if target and not urlsplit(target).path.startswith(reverse("old:home")):
            return target
        return reverse("start")
    return target or reverse("portal:version_choice")


def safe_next_url(request: HttpRequest, next_url: str | None) -> str | None:
    """``next_url`` if it is an address on this site (Django's own test for ``?next=``),
    else None. Only a path from the root counts: "start" or "²" is not an address, and
    ``redirect()`` would take it for the name of a view."""
    if (
        next_url
        and next_url.startswith("/")
        and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return next_url
    return None


# The pages the two versions share, by URL name: new -> old. The old version has
# only the case list and the case page; every other new page's counterpart is
# the old version's home (its case list).
_OLD_COUNTERPARTS = {"cases:list": "old:list", "cases:detail": "old:detail"}


def is_old_page(path: str) -> bool:
    return path.startswith(reverse("old:home"))


def counterpart(path: str) -> str:
    """The matching page in the other version: an old page's new one, a new page's old one."""
    try:
        match = resolve(urlsplit(path).path)
    except Http404:
        return reverse("old:home") if not is_old_page(path) else reverse("start")
    if match.namespace == "old":
        new = {"old:list": "cases:list", "old:detail": "cases:detail"}.get(match.view_name)
        if new is not None:
            return reverse(new, kwargs=match.kwargs)
        return new_page_for_old_address(str(match.kwargs.get("rest", ""))) or reverse("start")
    old = _OLD_COUNTERPARTS.get(match.view_name)
    return reverse(old, kwargs=match.kwargs) if old else reverse("old:list")


def new_page_for_old_address(rest: str) -> str | None:
    """``/gammel/<rest>`` where the old version has no page: the new version's page at
    ``/<rest>``, if there is one (``/gammel/min-side/`` -> ``/min-side/``)."""
    path = "/" + rest
    try:
        match = resolve(path)
    except Http404:
        return None
    if match.namespace == "old" or match.view_name.startswith("admin:"):
        return None
    return path
