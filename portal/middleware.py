"""Request middleware: the Content-Security-Policy, the active organisation, the idle timeout,
unreadable input, and no caching of anything personal."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from portal.organisations import ACTIVE_ORG_SESSION_KEY, resolve_active_organisation

if TYPE_CHECKING:
    Handler = Callable[[HttpRequest], HttpResponse]


class ServerTimingMiddleware:
    """Says how long the server took, in the standard Server-Timing header, when the
    SERVER_TIMING setting turns it on (the benchmarks do; it tells anyone how long
    a request took, so production leaves it off).
    """

    def __init__(self, get_response: Handler) -> None:
        if not settings.SERVER_TIMING:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.2f}"
        return response


class ContentSecurityPolicyMiddleware:
    """Adds the policy from settings to every response that has none of its own.

    Read at each response, so that a test's settings (e.g. the OIDC provider's
    origin in form-action) apply to a server that is already running.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy: str = settings.CONTENT_SECURITY_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class ActiveOrganisationMiddleware:
    """Sets ``request.organisation`` and ``request.organisations`` for a logged-in user.

    The active organisation is kept in the session but checked against the
    memberships on every request, so a membership that ends takes effect at
    once and a forged session value is never trusted.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        organisations, active = resolve_active_organisation(
            request.user, request.session.get(ACTIVE_ORG_SESSION_KEY)
        )
        request.organisations = organisations  # type: ignore[attr-defined]
        request.organisation = active  # type: ignore[attr-defined]
        if active is not None and request.session.get(ACTIVE_ORG_SESSION_KEY) != active.pk:
            request.session[ACTIVE_ORG_SESSION_KEY] = active.pk
        return self.get_response(request)


LAST_SEEN_SESSION_KEY = "portal_last_seen"


class IdleTimeoutMiddleware:
    """Ends a login after SESSION_IDLE_TIMEOUT seconds without a request (0 turns it off).

    The time of the last request is kept in the session, written at most once a
    minute to spare the session store a write per request; a login can therefore
    end up to a minute early. The request that finds the login idle goes on as an
    anonymous one, so pages that need a login send the person to log in again.
    Runs after the message middleware, so it can say why.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timeout: int = settings.SESSION_IDLE_TIMEOUT
        if timeout > 0 and request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
            if isinstance(last_seen, int) and now - last_seen > timeout:
                logout(request)
                request.organisations = []  # type: ignore[attr-defined]
                request.organisation = None  # type: ignore[attr-defined]
                messages.info(
                    request,
                    _("You were logged out because you had not been active for a while."),
                )
            elif not isinstance(last_seen, int) or now - last_seen >= min(60, timeout // 4):
                request.session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)


class UnreadableInputMiddleware:
    """A NUL character anywhere in the address or a form is a clear 400, in one place.

    PostgreSQL cannot store or compare text holding NUL, so such a value would
    otherwise fail deep in a query. Form fields refuse it themselves (Django's
    CharField does); this covers the path, the query string and posted forms that
    views read directly. Runs after the user and the language are known, so the
    page is the portal's own, in the reader's language.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request):
            return render(request, "400.html", status=400)
        return self.get_response(request)


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _holds_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    values = [*request.GET.keys(), *(v for vs in request.GET.lists() for v in vs[1])]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        values += [*request.POST.keys(), *(v for vs in request.POST.lists() for v in vs[1])]
    return any("\x00" in value for value in values)


class PrivateResponsesMiddleware:
    """Nothing personal is kept by a browser or a proxy: every answer to a logged-in
    person, and every file download, is ``Cache-Control: private, no-store``, so a
    shared computer's back button or a proxy does not show it to the next person."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_download = "attachment" in response.get("Content-Disposition", "")
        if request.user.is_authenticated or is_download:
            add_never_cache_headers(response)
        return response


class MethodNotAllowedPageMiddleware:
    """A 405 (a form's address typed or bookmarked, which only takes what the form
    sends) is the portal's own page in the reader's language, not the browser's
    blank error: Django's ``require_POST`` answers with an empty body. The
    ``Allow`` header stays."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content:
            return response
        page = render(request, "405.html", status=405)
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        return page
