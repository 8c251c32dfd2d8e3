"""The gate's answers kept for one request (portal.request_memo), and the case
list's kept fragments (cases.list_views.fragment_key): fewer queries, never a
stale or another person's answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from cases.models import extended_categories
from portal.models import Membership, RoleType
from portal.organisations import is_active_member, member_organisations
from portal.request_memo import RequestMemoMiddleware
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for, grant


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _in_a_request(view) -> None:
    RequestMemoMiddleware(view)(RequestFactory().get("/"))


def test_outside_a_request_nothing_is_kept(cast: Cast) -> None:
    assert extended_categories(cast.kari, cast.fjordetaten) == []
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    assert extended_categories(cast.kari, cast.fjordetaten) == ["lonn"]


def test_in_a_request_an_answer_is_asked_once_and_a_new_role_is_seen(cast: Cast) -> None:
    answers: list[list[str]] = []

    def view(request: HttpRequest) -> HttpResponse:
        with CaptureQueriesContext(connection) as first:
            answers.append(extended_categories(cast.kari, cast.fjordetaten))
            answers.append(extended_categories(cast.kari, cast.fjordetaten))
        assert len(first) == 1
        grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)  # clears the memo
        answers.append(extended_categories(cast.kari, cast.fjordetaten))
        return HttpResponse()

    _in_a_request(view)
    assert answers == [[], [], ["lonn"]]


def test_outsider_plain_member_and_people_are_kept_apart(cast: Cast) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    seen: dict[str, object] = {}

    def view(request: HttpRequest) -> HttpResponse:
        for person in (cast.kari, cast.per, cast.nina):
            seen[person.username] = (
                is_active_member(person, cast.fjordetaten),
                extended_categories(person, cast.fjordetaten),
            )
        return HttpResponse()

    _in_a_request(view)
    assert seen == {
        cast.kari.username: (True, ["lonn"]),
        cast.per.username: (True, []),
        cast.nina.username: (False, []),
    }


def test_a_list_page_asks_the_register_once(cast: Cast) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    make_case(cast.fjordetaten, cast.per, "lonn", title="Sak")
    client = client_for(cast.kari)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/saker/").status_code == 200
    register = [q for q in captured.captured_queries if "portal_roleassignment" in q["sql"]]
    assert len(register) == 1


def test_the_member_organisations_answer_the_gate_for_the_request(cast: Cast) -> None:
    """The list of a person's organisations answers "active member here?" for
    each of them, so a list page asks the memberships once; an organisation not
    among them is still asked, and a membership ended in the request is seen."""
    answers: dict[str, object] = {}

    def view(request: HttpRequest) -> HttpResponse:
        organisations = member_organisations(cast.per)
        with CaptureQueriesContext(connection) as asked:
            answers["own"] = [is_active_member(cast.per, org) for org in organisations]
        answers["queries"] = len(asked)
        answers["other"] = is_active_member(cast.per, cast.kystdir)
        answers["outsider"] = is_active_member(cast.nina, cast.fjordetaten)
        # A membership ends by being deleted; its signal clears the memo.
        Membership.objects.get(user=cast.per, organisation=cast.fjordetaten).delete()
        answers["ended"] = is_active_member(cast.per, cast.fjordetaten)
        return HttpResponse()

    _in_a_request(view)
    assert answers == {
        "own": [True],
        "queries": 0,
        "other": False,
        "outsider": False,
        "ended": False,
    }


def test_a_list_page_asks_the_memberships_once(cast: Cast) -> None:
    make_case(cast.fjordetaten, cast.per, "lonn", title="Sak")
    with CaptureQueriesContext(connection) as captured:
        assert client_for(cast.per).get("/saker/").status_code == 200
    memberships = [q for q in captured.captured_queries if "portal_membership" in q["sql"]]
    assert len(memberships) == 1


def test_kept_list_fragments_are_nobodys_own(cast: Cast) -> None:
    """The same address gives each person their own columns, their own CSRF token,
    and only their own cases; the outsider sees none of the organisation's."""
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    make_case(cast.fjordetaten, cast.per, "lonn", title="Pers sak")
    make_case(cast.fjordetaten, cast.ola, "lonn", title="Olas sak")
    kari, per = client_for(cast.kari), client_for(cast.per)
    per.post("/saker/kolonner/", {"kolonner": ["status"]})
    address = "/saker/?tittel=sak"
    kari_html = kari.get(address).content.decode()
    per_html = per.get(address).content.decode()
    assert "Olas sak" in kari_html
    assert "Olas sak" not in per_html
    assert 'id="col-kategori" name="kolonner" value="kategori" checked' in kari_html
    assert 'id="col-kategori" name="kolonner" value="kategori"  ' in per_html
    tokens = [
        re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        for html in (kari_html, per_html)
    ]
    assert tokens[0] != tokens[1]
    outsider = client_for(cast.nina).get(address)
    assert outsider.context["page"].rows == []
    assert "Pers sak" not in outsider.content.decode()
