"""No input gives a 500: property-based requests to every address (issue 12).

For every URL pattern of the project, hypothesis sends requests as the
anonymous visitor, the plain member Per, the outsider Nina (another
organisation), the orderer Kari and the support staff member Siv: GET and
POST, with random path segments, query strings and form fields, drawn from
what broke the portal before (NUL bytes, non-ASCII digits, dates like
31.12.9999, numbers beyond a bigint, Infinity, endless brackets, very long
text) and from hypothesis's own text. Every answer must be below 500.

Stable in CI: the examples are derived from the test's name (``derandomize``),
there is no example database, and each address gets a fixed number of
examples, so the run takes the same time and finds the same things every time.
``FUZZ_EXAMPLES`` raises the number for a longer search by hand.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Case
from portal.models import RoleType
from tests.cases_helpers import make_case
from tests.conftest import Cast, grant
from tests.urls_listing import patterns

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
# The same examples in every run: derived from the test's name, no example database.
STABLE: dict[str, Any] = {
    "derandomize": True,
    "database": None,
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}

# What broke the portal before, and what tends to: the shape of trouble.
NASTY = [
    "\x00",
    "a\x00b",
    "²",
    "１２²",
    "١٢٣",
    "9" * 40,
    "-1",
    "0",
    "1e308",
    "Infinity",
    "NaN",
    "31.12.9999",
    "9999-12-31",
    "00.00.0000",
    "0001-01-01",
    "29.02.2023",
    "[" * 1000,
    "W1tbW1tbW1tb",
    "W0luZmluaXR5LCAxXQ",
    "'; DROP TABLE cases_case; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%",
    "%zz",
    "\u202e",
    "\ufeff",
    "😀",
    "x" * 5000,
    " ",
    "",
    "true",
    "SAK-2024-0000001",
    "lonn",
    "regnskap",
    "-endret",
    "nummer",
]

# Names of the fields and parameters the portal's forms and pages read.
FIELDS = [
    "nummer",
    "tittel",
    "kategori",
    "fagomrade",
    "status",
    "kanal",
    "innmeldt_av",
    "saksbehandler",
    "opprettet_fra",
    "opprettet_til",
    "endret_fra",
    "endret_til",
    "sort",
    "side",
    "per_side",
    "etter",
    "foer",
    "kolonner",
    "standard",
    "next",
    "omrade",
    "step",
    "person",
    "virksomhet",
    "organisation",
    "version",
    "language",
    "answer",
    "page",
    "comment",
    "token",
    "body",
    "submission_key",
    "category",
    "subject_area",
    "title",
    "description",
    "area",
    "action",
    "valid_from",
    "valid_to",
    "confirm_last",
    "system_role",
    "new_person_name",
    "new_person_email",
    "employee_number",
    "form-TOTAL_FORMS",
    "form-INITIAL_FORMS",
    "form-0-person",
    "form-0-system_role",
    "form-0-valid_from",
    "username",
    "password",
    "q",
    "first_name",
    "email",
    "phone",
    "decision",
    "reason",
    "system",
    "rolle",
]

# The worst of NASTY, tried against every field of every customer page in turn.
CORE_NASTY = [
    "\x00",
    "²",
    "１２²",
    "9" * 40,
    "-1",
    "1e308",
    "31.12.9999",
    "0001-01-01",
    "[" * 1000,
    "x" * 5000,
    "../../etc/passwd",
    "😀",
]
# The layout's own fields (feedback, language switch), sent to their own addresses.
LAYOUT_FIELDS = {"answer", "htmx-config", "language", "next", "page", "viewport"}

values = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
WHO = ["anonymous", "per", "nina", "kari", "siv"]


def _path(route: str, draw_value: Any) -> str:
    """The route with each parameter filled: a real value (a case number, an id that
    exists) or a drawn one, percent-encoded as a browser would send it."""

    def fill(match: re.Match[str]) -> str:
        converter = match.group(1) or "str"
        value = draw_value(converter)
        return quote(value, safe="") if value else "x"

    route = route.replace("^", "").replace("$", "")
    route = re.sub(r"\(\?P<\w+>[^)]*\)", lambda m: quote(draw_value("str"), safe="") or "x", route)
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", fill, route)


# The API's addresses answer a system with a token: they are fuzzed from their own
# schema, with one, in tests/test_api_fuzz.py (here they would only answer 401). Its
# documentation page is a page, and stays.
ALL = [
    (route, name)
    for route, name, _pattern in patterns()
    if "<drf_format_suffix" not in route
    and not (route.startswith("api/v1/") and name != "portal:api_docs")
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(cast: Cast) -> dict[str, Any]:
    """The cast with roles and a few cases, and one logged-in client per person."""
    cast.siv.is_superuser = True
    cast.siv.save()
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    case = make_case(cast.fjordetaten, cast.per, with_attachment=True)
    make_case(cast.kystdir, cast.nina)
    clients = {"anonymous": Client()}
    for name in ("per", "nina", "kari", "siv"):
        client = Client()
        client.force_login(getattr(cast, name))
        clients[name] = client
    numbers = list(Case.objects.values_list("number", flat=True))
    ids = [str(case.pk), str(case.attachments.get().pk), "1"]
    return {
        "cast": cast,
        "clients": clients,
        "numbers": [case.number, *numbers],
        "ids": ids,
        "vocabulary": {},
    }


def _vocabulary(world: dict[str, Any], route: str, who: str) -> list[str]:
    """The names of the inputs the page at ``route`` shows ``who``: the fields its forms
    send, which are the ones worth filling with trouble."""
    key = (route, who)
    if key not in world["vocabulary"]:
        address = _path(route, lambda c: world["ids"][0] if c == "int" else world["numbers"][0])
        response = world["clients"][who].get(address)
        html = "" if response.streaming else response.content.decode(errors="replace")
        names = set(re.findall(r'name="([^"]+)"', html)) - LAYOUT_FIELDS
        names.discard("csrfmiddlewaretoken")
        world["vocabulary"][key] = sorted(names)
    vocabulary: list[str] = world["vocabulary"][key]
    return vocabulary


@pytest.mark.parametrize(("route", "name"), ALL, ids=[route for route, _name in ALL])
@settings(max_examples=EXAMPLES, **STABLE)
@given(data=st.data())
def test_no_request_to_any_address_gets_a_server_error(
    world: dict[str, Any], route: str, name: str, data: st.DataObject
) -> None:
    who = data.draw(st.sampled_from(WHO), label="who")
    method = data.draw(st.sampled_from(["get", "post"]), label="method")

    def draw_value(converter: str) -> str:
        known = world["ids"] if converter == "int" else world["numbers"]
        return data.draw(st.one_of(st.sampled_from(known), values), label=converter)

    address = _path(route, draw_value)
    names = _vocabulary(world, route, "siv" if who == "anonymous" else who) or FIELDS
    keys = st.one_of(
        st.sampled_from(names), st.sampled_from(FIELDS), st.text(min_size=1, max_size=12)
    )
    params = data.draw(
        st.dictionaries(
            keys, st.one_of(values, st.lists(values, min_size=2, max_size=3)), max_size=6
        ),
        label="fields",
    )
    client: Client = world["clients"][who]
    if who != "anonymous":
        client.force_login(getattr(world["cast"], who))  # a drawn logout ends it
    response = getattr(client, method)(address, params)
    assert response.status_code < 500, (who, method, address, params)


CUSTOMER = [(route, name) for route, name in ALL if not route.startswith("admin/")]


@pytest.mark.parametrize(("route", "name"), CUSTOMER, ids=[route for route, _n in CUSTOMER])
def test_every_field_of_every_customer_page_takes_the_worst_values(
    world: dict[str, Any], route: str, name: str
) -> None:
    """A sweep, not a search: each input the page shows, alone, with each of the worst
    values, sent both ways, by the orderer Kari (who may do the most there)."""
    client: Client = world["clients"]["kari"]
    address = _path(route, lambda c: world["ids"][0] if c == "int" else world["numbers"][0])
    for field in _vocabulary(world, route, "kari"):
        for value in CORE_NASTY:
            for method in ("get", "post"):
                client.force_login(world["cast"].kari)
                response = getattr(client, method)(address, {field: value})
                assert response.status_code < 500, (method, address, field, value)


# The OpenID Connect views exist only where OIDC is configured (tests/oidc/urls.py).
OIDC_ROUTES = [
    (route, name)
    for route, name, _pattern in patterns(urlconf="tests.oidc.urls")
    if route.startswith("oidc/")
]
OIDC_FIELDS = ["code", "state", "error", "error_description", "iss", "virksomhet", "next"]


@pytest.mark.parametrize(("route", "name"), OIDC_ROUTES, ids=[r for r, _n in OIDC_ROUTES])
@settings(max_examples=EXAMPLES * 2, **STABLE)
@given(data=st.data())
def test_no_answer_to_the_login_provider_views_gets_a_server_error(
    accounts: Cast, oidc: Any, route: str, name: str, data: st.DataObject
) -> None:
    """The provider's callback and friends, with the suite's real provider running, as
    someone in the middle of a login, someone logged in and someone else."""
    client = Client()
    if data.draw(st.booleans(), label="logged in"):
        client.force_login(accounts.kari)
    if data.draw(st.booleans(), label="login started"):
        client.get("/oidc/authenticate/", {"virksomhet": accounts.fjordetaten.slug})
    keys = st.one_of(st.sampled_from(OIDC_FIELDS), st.text(min_size=1, max_size=8))
    params = data.draw(st.dictionaries(keys, values, max_size=5), label="fields")
    method = data.draw(st.sampled_from(["get", "post"]), label="method")
    response = getattr(client, method)("/" + route, params)
    assert response.status_code < 500, (method, route, params)
