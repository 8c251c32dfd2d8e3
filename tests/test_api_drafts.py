"""The API's access-order drafts (issue 17, point 4): a system drafts through the API, an
authorised orderer submits in the portal, and rule 3 is never a machine's to pass.

The service's own rules are tests/test_order_drafts.py; here, what a system sends and is
told. The outsider is Kystdirektoratet's system; the plain member is Per, who may not
submit a payroll draft after 18.11.2022.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.drafts import do_submit_draft
from access.integrations import do_change_client
from access.models import Order, OrderDraft
from access.ordering import LineInput
from portal.models import ApiClient, AuditEvent, RoleType
from portal.services import Refused
from tests.api_helpers import Caller, P, caller, problem, register
from tests.conftest import Cast, client_for, grant
from tests.issuer import Issuer

DRAFTS = "/api/v1/order-drafts/"


@pytest.fixture
def hr(cast: Cast, issuer: Issuer) -> Caller:
    return caller(
        issuer, register(cast.fjordetaten, "fjordetaten-hr", P.DRAFT_ORDERS, by=cast.kari)
    )


def new_draft(**fields: Any) -> dict[str, Any]:
    return {
        "area": "lonn",
        "comment": "Ny i lønnsseksjonen",
        "lines": [
            {
                "system_role": "lonnssystem/lonnsmedarbeider",
                "action": "grant",
                "valid_from": "2030-12-01",
                "person_email": "per@example.no",
            }
        ],
        **fields,
    }


def post(system: Caller, body: dict[str, Any], key: str = "") -> Any:
    from django.test import Client

    headers = system.headers(**{"Idempotency-Key": key or json.dumps(body)[:200]})
    return Client().post(DRAFTS, json.dumps(body), content_type="application/json", headers=headers)


def test_a_system_drafts_and_an_orderer_submits_it_in_the_portal(cast: Cast, hr: Caller) -> None:
    response = post(hr, new_draft())
    assert response.status_code == 201, response.content
    body = json.loads(response.content)
    assert (body["state"], body["area"], len(body["lines"])) == ("waiting", "lonn", 1)
    assert response["Location"] == body["url"]
    draft = OrderDraft.objects.get(pk=body["id"])
    assert AuditEvent.objects.get(action="order_draft.created").api_client == draft.api_client
    # Nothing is ordered by the machine.
    assert Order.objects.count() == 0
    # The orderer sees it on the order page; the plain member does not.
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    assert "HR-systemet" in client_for(cast.kari).get("/tilganger/bestill/").content.decode()
    assert "HR-systemet" not in client_for(cast.per).get("/tilganger/bestill/").content.decode()
    # Rule 3 is asked of the person: the plain member may not submit it, the orderer may.
    with pytest.raises(Refused):
        do_submit_draft(actor=cast.per, draft=draft, lines=_inputs(draft))
    order = do_submit_draft(actor=cast.kari, draft=draft, lines=_inputs(draft))
    assert order.ordered_by == cast.kari
    # The system reads its draft back: submitted, with no word of the orderer's case.
    read = json.loads(hr.get(body["url"]).content)
    assert read["state"] == "submitted"
    assert read["order_lines"] == {"pending": 1, "done": 0, "rejected": 0}
    assert order.case.number not in json.dumps(read)
    assert [d["id"] for d in json.loads(hr.get(DRAFTS).content)["items"]] == [draft.pk]


def _inputs(draft: OrderDraft) -> list[LineInput]:
    return [LineInput.of(line) for line in draft.lines.all()]


def test_bad_lines_are_told_line_by_line_and_nothing_is_drafted(hr: Caller) -> None:
    bad = new_draft(
        lines=[
            {"system_role": "finnes/ikke", "action": "grant", "valid_from": "2030-12-01"},
            {
                "system_role": "lonnssystem/lonnsmedarbeider",
                "action": "grant",
                "valid_from": "2001-01-01",
                "person_email": "per@example.no",
            },
        ]
    )
    response = post(hr, bad)
    assert response.status_code == 422
    errors = problem(response)["errors"]
    assert any(name.startswith("lines[1]") for name in errors)
    assert any(name.startswith("lines[2]") for name in errors)
    assert OrderDraft.objects.count() == 0


def test_without_the_permission_or_for_an_area_not_bought_it_is_refused(
    cast: Cast, issuer: Issuer
) -> None:
    filer = caller(issuer, register(cast.fjordetaten, "filer", P.FILE_PAYROLL, by=cast.kari))
    assert post(filer, new_draft()).status_code == 403
    cast.fjordetaten.buys_accounting = False
    cast.fjordetaten.save()
    drafter = caller(issuer, register(cast.fjordetaten, "drafter", P.DRAFT_ORDERS, by=cast.kari))
    response = post(drafter, new_draft(area="regnskap"))
    assert response.status_code in {403, 422}
    problem(response)
    assert OrderDraft.objects.count() == 0


def test_the_same_key_drafts_once(hr: Caller) -> None:
    first = post(hr, new_draft(), key="utkast-1")
    again = post(hr, new_draft(), key="utkast-1")
    assert again.content == first.content  # the same answer, byte for byte
    assert again["Idempotent-Replayed"] == "true"
    assert OrderDraft.objects.count() == 1


def test_another_systems_draft_is_not_found(cast: Cast, hr: Caller, issuer: Issuer) -> None:
    """The outsider's system (Kystdirektoratet) and another of Fjordetaten's own systems."""
    draft_id = json.loads(post(hr, new_draft()).content)["id"]
    other = caller(issuer, register(cast.fjordetaten, "other", P.DRAFT_ORDERS, by=cast.kari))
    outsider = caller(
        issuer, register(cast.kystdir, "fjordetaten-hr", P.DRAFT_ORDERS, by=cast.nina)
    )
    for system in (other, outsider):
        assert system.get(f"{DRAFTS}{draft_id}/").status_code == 404
        assert json.loads(system.get(DRAFTS).content) == {"items": [], "next": None}


def test_the_drafts_come_in_pages_newest_first(cast: Cast, hr: Caller) -> None:
    line = new_draft()["lines"][0]
    three_lines = [{**line, "valid_from": f"2030-12-0{day}"} for day in (1, 2, 3)]
    made = [json.loads(post(hr, new_draft(lines=three_lines)).content)["id"]]
    made += [json.loads(post(hr, new_draft(comment=f"Nr. {n}")).content)["id"] for n in range(4)]
    # Every page holds a submitted draft, whose order's lines are read with it; the last
    # page's has three lines, the others' one.
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    for pk in (made[0], made[1], made[3]):
        draft = OrderDraft.objects.get(pk=pk)
        do_submit_draft(actor=cast.kari, draft=draft, lines=_inputs(draft))
    seen: list[int] = []
    queries: list[int] = []
    address = f"{DRAFTS}?limit=2"
    while address:
        with CaptureQueriesContext(connection) as page_queries:
            page = json.loads(hr.get(address).content)
        queries.append(len(page_queries.captured_queries))
        assert len(page["items"]) <= 2
        seen.extend(draft["id"] for draft in page["items"])
        address = page["next"]
    assert seen == made[::-1]
    assert len(set(queries)) == 1  # a page of drafts costs the same, whatever is on it


def test_a_cursor_not_of_ours_is_told_and_a_system_without_drafting_sees_none(
    cast: Cast, hr: Caller
) -> None:
    draft_id = json.loads(post(hr, new_draft()).content)["id"]
    refused = hr.get(f"{DRAFTS}?cursor=not-ours")
    assert refused.status_code == 422
    assert problem(refused)["errors"]["cursor"]
    assert hr.get(f"{DRAFTS}?limit=0").status_code == 422
    assert hr.get(f"{DRAFTS}?sida=2").status_code == 400
    # Its drafting taken away, the system sees its drafts no more: the list and each one.
    client = ApiClient.objects.get(client_id="fjordetaten-hr")
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    do_change_client(actor=cast.kari, client=client, name=client.name, permissions=[P.READ_OWN])
    assert json.loads(hr.get(DRAFTS).content)["items"] == []
    assert hr.get(f"{DRAFTS}{draft_id}/").status_code == 404


def test_the_roles_a_line_may_name(hr: Caller) -> None:
    roles = json.loads(hr.get("/api/v1/order-roles/").content)
    codes = {role["code"] for role in roles}
    assert "lonnssystem/lonnsmedarbeider" in codes
    assert {role["area"] for role in roles} <= {"lonn", "regnskap", "kundesenter"}


def test_text_that_cannot_be_stored_is_told_not_a_500(hr: Caller) -> None:
    """What the fuzzer found: a NUL character in a line reached the database."""
    line = new_draft()["lines"][0]
    response = post(hr, new_draft(lines=[{**line, "person_email": "per\x00@example.no"}]))
    assert response.status_code == 422
    assert "lines[1].person_email" in problem(response)["errors"]
    response = post(hr, new_draft(comment="hei\x00"))
    assert response.status_code == 422
    assert "comment" in problem(response)["errors"]
    response = post(hr, new_draft(comment="x" * 2001))
    assert response.status_code == 422
    assert OrderDraft.objects.count() == 0


def test_a_line_names_one_person_and_a_new_one_has_nothing_to_remove(hr: Caller) -> None:
    both = {
        **new_draft()["lines"][0],
        "new_person_name": "Nils Ny",
        "new_person_email": "nils@example.no",
        "employee_number": "1",
    }
    response = post(hr, new_draft(lines=[both]))
    assert response.status_code == 422
    assert "lines[1].person_email" in problem(response)["errors"]
    removing = {**both, "person_email": "", "action": "remove"}
    response = post(hr, new_draft(lines=[removing]))
    assert "lines[1].action" in problem(response)["errors"]
    assert OrderDraft.objects.count() == 0


def test_what_the_api_cannot_read_is_told_per_field_never_dropped(hr: Caller) -> None:
    misspelt = {**new_draft()["lines"][0], "valid_fra": "2030-12-01"}
    response = post(hr, new_draft(lines=[misspelt]))
    assert response.status_code == 422
    assert set(problem(response)["errors"]) >= {"lines[1].valid_fra"}
    assert post(hr, new_draft(lines=[])).status_code == 422
    assert "lines" in problem(post(hr, new_draft(lines=[])))["errors"]
    as_form = hr.post(DRAFTS, {"area": "lonn"})
    assert as_form.status_code == 415
    problem(as_form)
    assert OrderDraft.objects.count() == 0


def test_the_orderers_start_page_says_drafts_wait(cast: Cast, hr: Caller) -> None:
    post(hr, new_draft())
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    start = client_for(cast.kari).get("/").content.decode()
    assert "1 tilgangsbestilling" in start
    assert "/tilganger/bestill/#drafts-heading" in start
    # The plain member and the outsider are told of none.
    for person in (cast.per, cast.nina):
        assert (
            "/tilganger/bestill/#drafts-heading" not in client_for(person).get("/").content.decode()
        )
