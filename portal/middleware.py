"""Request middleware: the Content-Security-Policy, the active organisation, the idle timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from portal.organisations import ACTIVE_ORG_SESSION_KEY, resolve_active_organisation

if TYPE_CHECKING:
    Handler = Callable[[HttpRequest], HttpResponse]


class ServerTimingMiddleware:
    """Says how long the server took, in the standard Server-Timing header.

    Browsers show it in their developer tools; the benchmarks read it to
    measure server time apart from the network.
    """

    def __init__(self, get_response: Handler) -> None:
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
