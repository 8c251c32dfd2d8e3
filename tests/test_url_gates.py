"""Every address is behind a gate, on purpose (issue 12).

The test lists every URL pattern of the project and reads the gate its view is
marked with (``portal.organisations``: public, login or member; the admin's
views are staff-only through ``AdminSite.admin_view``; the API's views ask for a
machine token and its registration, ``portal.api.gated_urls``). A view without a mark
fails the test, and so does a view that takes an identifier from the address
(a case number, an attachment, an export) without standing behind the member
gate or the admin's: a new view cannot forget it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern

from tests.conftest import Cast, client_for
from tests.urls_listing import patterns

# Views that take an identifier from the address and are public by design.
PUBLIC_WITH_IDENTIFIER = {
    "direct_link": "an organisation's login link: the slug is public, the login is not",
}
# The OpenID Connect views of mozilla-django-oidc that the portal does not subclass.
LIBRARY_PUBLIC_VIEWS = {"OIDCLogoutView"}


def _gate(callback: Callable[..., Any]) -> str | None:
    if getattr(callback, "admin_site", None) is not None:
        return "staff"  # AdminSite.admin_view: staff only, or the login page
    if getattr(callback, "model_admin", None) is not None:
        return "staff"
    view_class = getattr(callback, "view_class", None)
    gate = getattr(callback, "gate", None) or getattr(view_class, "gate", None)
    if gate is None and view_class is not None and view_class.__name__ in LIBRARY_PUBLIC_VIEWS:
        return "public"
    return gate


def _takes_identifier(route: str, pattern: URLPattern) -> bool:
    return bool(pattern.pattern.regex.groupindex) or "<" in route


ALL = list(patterns())
ADMIN_PUBLIC = {"admin:login", "admin:logout", "admin:jsi18n", "admin:view_on_site"}


def test_the_list_of_addresses_is_not_empty() -> None:
    names = {name for _route, name, _pattern in ALL}
    assert {"cases:detail", "cases:attachment", "cases:export_download", "direct_link"} <= names


SITE = [(r, n, p) for r, n, p in ALL if not r.startswith("admin/")]
ADMIN = [(r, n, p) for r, n, p in ALL if r.startswith("admin/") and n not in ADMIN_PUBLIC]


@pytest.mark.parametrize(("route", "name", "pattern"), SITE, ids=[r for r, _n, _p in SITE])
def test_every_view_is_behind_a_gate(route: str, name: str, pattern: URLPattern) -> None:
    gate = _gate(pattern.callback)
    assert gate in {"public", "login", "member", "machine"}, f"{route} ({name}) is behind no gate"
    if _takes_identifier(route, pattern) and gate not in {"member", "machine"}:
        assert name in PUBLIC_WITH_IDENTIFIER, (
            f"{route} ({name}) takes an identifier from the address but is {gate!r}: "
            "put it behind member_required (portal.organisations)"
        )


def _address(route: str) -> str:
    """The route with every parameter filled in (1 for numbers, a word for the rest)."""
    address = re.sub(r"<int:\w+>", "1", route)
    address = re.sub(r"<[^>]+>", "x", address)
    address = address.replace("^", "").replace("$", "")
    return "/" + re.sub(r"\(\?P<\w+>[^)]*\)", "x", address)


@pytest.mark.parametrize(("route", "name", "pattern"), ADMIN, ids=[r for r, _n, _p in ADMIN])
def test_every_admin_address_is_for_staff_only(
    cast: Cast, route: str, name: str, pattern: URLPattern
) -> None:
    """The admin's views are wrapped by AdminSite.admin_view (which leaves no mark to
    read), so here the gate is tried: the plain member and the outsider never get in."""
    for user in (cast.per, cast.nina):
        response = client_for(user).get(_address(route))
        assert response.status_code in {302, 403, 404}, (route, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith(("/admin/login/", "/logg-inn/")), route


def test_a_view_without_a_mark_fails_the_check() -> None:
    def naked_view(request: Any, number: str) -> None:
        return None

    assert _gate(naked_view) is None
