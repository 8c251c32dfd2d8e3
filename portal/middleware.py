"""Request middleware: the Content-Security-Policy and the active organisation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
    """Adds the policy from settings to every response that has none of its own."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.policy: str = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
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
