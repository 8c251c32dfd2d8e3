"""Rule 3: ordering roles and access, the 18.11.2022 payroll control, fulfilment."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.test import Client

from access.models import AccessGrant, Order, OrderLine, SystemRole
from access.ordering import OrderRefused, do_fulfil_line
from cases.models import Case
from portal.dates import OSLO
from portal.dates import today as oslo_today
from portal.models import AuditEvent, RoleAssignment, RoleType
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for, grant

# 17.11.2022 23:59 Oslo is 22:59 UTC; 18.11.2022 00:00 Oslo is 17.11.2022 23:00 UTC.
LAST_MINUTE_BEFORE = dt.datetime(2022, 11, 17, 23, 59, tzinfo=OSLO)
FIRST_MINUTE_OF_CONTROL = dt.datetime(2022, 11, 17, 23, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def orderers(cast: Cast) -> None:
    cast.siv.is_superuser = True
    cast.siv.save()
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    grant(cast.mona, cast.fjordetaten, RoleType.ACCOUNTING_ORDERER, dt.date(2022, 1, 1))


def role(code: str) -> SystemRole:
    return SystemRole.objects.get(code=code)


def _order(client: Client, area: str, lines: list[dict], step: str = "submit", **extra):
    data: dict[str, object] = {
        "omrade": area,
        "step": step,
        "submission_key": str(extra.pop("key", uuid.uuid4())),
        "comment": extra.pop("comment", ""),
        "form-TOTAL_FORMS": str(len(lines)),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "30",
    }
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"form-{index}-{key}"] = value
    return client.post("/tilganger/bestill/", data, HTTP_ACCEPT_LANGUAGE="nb")


def _line(person, code: str, day: str = "01.12.2022", action: str = "grant") -> dict:
    return {
        "person": person.pk if person else "",
        "system_role": role(code).pk,
        "action": action,
        "valid_from": day,
    }


@pytest.mark.parametrize(
    ("moment", "plain_member_accepted"),
    [(LAST_MINUTE_BEFORE, True), (FIRST_MINUTE_OF_CONTROL, False)],
    ids=["17.11.2022-23:59-Oslo", "18.11.2022-00:00-Oslo"],
)
def test_payroll_control_around_the_date(
    cast: Cast, orderers: None, moment: dt.datetime, plain_member_accepted: bool
) -> None:
    with time_machine.travel(moment, tick=False):
        plain = _order(client_for(cast.per), "lonn", [_line(cast.eva, "lonnsmedarbeider")])
        orderer = _order(client_for(cast.kari), "lonn", [_line(cast.eva, "lonnsmedarbeider")])
    orders = list(Order.objects.values_list("ordered_by__username", flat=True))
    assert ("per" in orders) is plain_member_accepted
    assert "kari" in orders
    assert orderer.status_code == 302
    if not plain_member_accepted:
        assert plain.status_code == 403


def test_accounting_is_refused_for_a_plain_member_on_any_date(cast: Cast, orderers: None) -> None:
    for moment in (
        dt.datetime(2020, 1, 1, 12, tzinfo=OSLO),
        LAST_MINUTE_BEFORE,
        FIRST_MINUTE_OF_CONTROL,
    ):
        with time_machine.travel(moment, tick=False):
            response = _order(
                client_for(cast.per), "regnskap", [_line(cast.eva, "attestant", "01.12.2022")]
            )
        assert response.status_code == 403
    assert not Order.objects.exists()
    with time_machine.travel(LAST_MINUTE_BEFORE, tick=False):
        accepted = _order(client_for(cast.mona), "regnskap", [_line(cast.eva, "attestant")])
    assert accepted.status_code == 302


def test_forged_post_by_a_plain_member_is_refused_with_reason_and_who(
    cast: Cast, orderers: None
) -> None:
    response = _order(
        client_for(cast.per), "lonn", [_line(cast.eva, "lonnsmedarbeider", "01.12.2030")]
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Kari Testesen" in html  # who can order instead
    assert not Order.objects.exists()
    assert not Case.objects.exists()


def test_the_form_only_offers_what_the_user_may_order(cast: Cast, orderers: None) -> None:
    kari = client_for(cast.kari).get("/tilganger/bestill/?omrade=kundesenter")
    roles = set(
        kari.context["formset"]
        .forms[0]
        .fields["system_role"]
        .queryset.values_list("code", flat=True)
    )
    assert roles == {"utvidet-tilgang-lonn"}  # not accounting's extended access
    refused = client_for(cast.kari).get("/tilganger/bestill/?omrade=regnskap")
    assert "formset" not in refused.context


def test_plain_member_sees_the_refusal_page_not_a_bare_403(cast: Cast, orderers: None) -> None:
    response = client_for(cast.per).get("/tilganger/bestill/", HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 403
    html = response.content.decode()
    assert "autorisert bestiller lønn" in html
    assert "Kari Testesen" in html


def test_review_flags_lines_that_change_nothing(cast: Cast, orderers: None) -> None:
    grant(cast.per, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    response = _order(
        client_for(cast.kari),
        "kundesenter",
        [
            _line(cast.per, "utvidet-tilgang-lonn", "01.12.2030"),
            _line(cast.eva, "utvidet-tilgang-lonn", "01.12.2030", action="remove"),
        ],
        step="review",
    )
    assert response.status_code == 200
    flags = [row["flag"] for row in response.context["review"]]
    assert flags[0]
    assert flags[1]
    assert not Order.objects.exists()


def test_double_submission_creates_one_order(cast: Cast, orderers: None) -> None:
    key = uuid.uuid4()
    client = client_for(cast.kari)
    first = _order(client, "lonn", [_line(cast.per, "lonnsmedarbeider", "01.12.2030")], key=key)
    second = _order(client, "lonn", [_line(cast.per, "lonnsmedarbeider", "01.12.2030")], key=key)
    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_lost_authority_between_opening_and_submitting_keeps_the_lines(
    cast: Cast, orderers: None
) -> None:
    client = client_for(cast.kari)
    assert client.get("/tilganger/bestill/?omrade=lonn").status_code == 200
    held = RoleAssignment.objects.get(person=cast.kari)
    RoleAssignment.objects.create(
        lineage=held.lineage,
        person=cast.kari,
        organisation=cast.fjordetaten,
        role=held.role,
        valid_from=held.valid_from,
        retracted=True,
        basis=RoleAssignment.Basis.STAFF,
        supersedes=held,
    )
    response = _order(
        client, "lonn", [_line(cast.per, "lonnsmedarbeider", "01.12.2030")], comment="Husk meg"
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Husk meg" in html
    assert f'value="{cast.per.pk}" selected' in html
    assert not Order.objects.exists()


def test_bad_lines_are_explained_and_kept(cast: Cast, orderers: None) -> None:
    response = _order(
        client_for(cast.kari),
        "lonn",
        [
            {
                "person": "",
                "new_person_name": "Ny Ansatt",
                "system_role": role("lonnsmedarbeider").pk,
                "action": "grant",
                "valid_from": "32.13.2030",
            }
        ],
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Ny Ansatt"' in html
    assert 'value="32.13.2030"' in html
    assert not Order.objects.exists()


def test_new_person_with_name_email_and_employee_number(cast: Cast, orderers: None) -> None:
    response = _order(
        client_for(cast.kari),
        "lonn",
        [
            {
                "person": "",
                "new_person_name": "Nils Ny",
                "new_person_email": "nils@example.no",
                "employee_number": "10042",
                "system_role": role("lonnsmedarbeider").pk,
                "action": "grant",
                "valid_from": "01.12.2030",
            }
        ],
    )
    assert response.status_code == 302
    line = OrderLine.objects.get()
    assert (line.person, line.new_person_name, line.employee_number) == (None, "Nils Ny", "10042")


def test_fulfilment_creates_grants_and_extended_access_changes_the_case_list(
    cast: Cast, orderers: None, run_jobs
) -> None:
    colleague_case = make_case(cast.fjordetaten, cast.ola, "lonn", title="Olas lønnssak")
    assert colleague_case.number not in [
        c["number"] for c in client_for(cast.per).get("/saker/").context["page"].rows
    ]
    _order(
        client_for(cast.kari),
        "kundesenter",
        [_line(cast.per, "utvidet-tilgang-lonn", oslo_today().strftime("%d.%m.%Y"))],
    )
    _order(client_for(cast.kari), "lonn", [_line(cast.per, "lonnsmedarbeider", "01.12.2030")])
    for line in OrderLine.objects.all():
        do_fulfil_line(actor=cast.siv, line=line, done=True)
    run_jobs()
    assert (
        RoleAssignment.objects.held_today()
        .filter(
            person=cast.per, role__code=RoleType.EXTENDED_PAYROLL, basis=RoleAssignment.Basis.ORDER
        )
        .exists()
    )
    assert AccessGrant.objects.get().system_role.code == "lonnsmedarbeider"
    listed = [c["number"] for c in client_for(cast.per).get("/saker/").context["page"].rows]
    assert colleague_case.number in listed
    assert all(o.state == Order.State.DONE for o in Order.objects.all())
    assert {m.to[0] for m in mail.outbox} == {cast.kari.email}
    assert AuditEvent.objects.filter(action="order.line.done").count() == 2
    assert AuditEvent.objects.filter(action="order.submitted").count() == 2


def test_rejecting_needs_a_reason_and_grants_nothing(cast: Cast, orderers: None) -> None:
    _order(client_for(cast.kari), "lonn", [_line(cast.per, "lonnsmedarbeider", "01.12.2030")])
    line = OrderLine.objects.get()
    with pytest.raises(OrderRefused):
        do_fulfil_line(actor=cast.siv, line=line, done=False, reason="")
    do_fulfil_line(actor=cast.siv, line=line, done=False, reason="Finnes ikke")
    assert not AccessGrant.objects.exists()
    with pytest.raises(OrderRefused):
        do_fulfil_line(actor=cast.siv, line=line, done=True)


def test_removing_ends_the_grant_as_a_new_version(cast: Cast, orderers: None) -> None:
    _order(client_for(cast.kari), "lonn", [_line(cast.per, "lonnsmedarbeider", "01.12.2030")])
    do_fulfil_line(actor=cast.siv, line=OrderLine.objects.get(), done=True)
    first = AccessGrant.objects.get()
    _order(
        client_for(cast.kari), "lonn", [_line(cast.per, "lonnsmedarbeider", "01.01.2031", "remove")]
    )
    do_fulfil_line(actor=cast.siv, line=OrderLine.objects.get(decision__isnull=True), done=True)
    newest = AccessGrant.objects.newest_versions().get(lineage=first.lineage)
    assert newest.valid_to == dt.date(2030, 12, 31)
    assert AccessGrant.objects.count() == 2


def test_staff_fulfil_in_the_admin(cast: Cast, orderers: None) -> None:
    _order(client_for(cast.kari), "lonn", [_line(cast.per, "lonnsmedarbeider", "01.12.2030")])
    order = Order.objects.get()
    line = order.lines.get()
    staff = client_for(cast.siv)
    assert staff.get(f"/admin/access/order/{order.pk}/change/").status_code == 200
    response = staff.post(
        f"/admin/access/order/{order.pk}/change/",
        {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-id": line.pk,
            "lines-0-order": order.pk,
            "lines-0-decision": "done",
            "lines-0-reason": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    line.refresh_from_db()
    assert line.state == OrderLine.State.DONE
    assert AccessGrant.objects.exists()


def test_outsiders_get_404_on_another_organisations_order(cast: Cast, orderers: None) -> None:
    _order(client_for(cast.kari), "lonn", [_line(cast.per, "lonnsmedarbeider", "01.12.2030")])
    number = Order.objects.get().case.number
    assert client_for(cast.nina).get(f"/saker/{number}/").status_code == 404
    assert client_for(cast.per).get(f"/saker/{number}/").status_code == 404  # not his case
    kari_page = client_for(cast.kari).get(f"/saker/{number}/", HTTP_ACCEPT_LANGUAGE="nb")
    assert "Lønnsmedarbeider" in kari_page.content.decode()


def test_customer_cannot_fulfil(cast: Cast, orderers: None) -> None:
    _order(client_for(cast.kari), "lonn", [_line(cast.per, "lonnsmedarbeider", "01.12.2030")])
    with pytest.raises(OrderRefused):
        do_fulfil_line(actor=cast.kari, line=OrderLine.objects.get(), done=True)
    assert client_for(cast.kari).get("/admin/access/order/").status_code == 302


def test_anonymous_goes_to_login(db: None) -> None:
    assert Client().get("/tilganger/bestill/").status_code == 302


def test_access_overview_on_min_side_filters_and_exports(cast: Cast, orderers: None) -> None:
    import io

    from openpyxl import load_workbook

    from tests.cases_helpers import bytes_of

    today = oslo_today().strftime("%d.%m.%Y")
    _order(
        client_for(cast.kari),
        "lonn",
        [_line(cast.per, "lonnsmedarbeider", today), _line(cast.ola, "attestant-reise", today)],
    )
    for line in OrderLine.objects.all():
        do_fulfil_line(actor=cast.siv, line=line, done=True)
    client = client_for(cast.eva)
    everyone = client.get("/min-side/")
    assert everyone.context["grant_count"] == 2
    only_per = client.get("/min-side/?person=per")
    assert [g.person for g in only_per.context["grants"]] == [cast.per]
    travel = client.get("/min-side/?system=reise-og-utlegg")
    assert [g.person for g in travel.context["grants"]] == [cast.ola]
    ignored = client.get("/min-side/?system=finnes-ikke")
    assert ignored.context["grant_count"] == 2
    export = client.get("/min-side/tilganger.xlsx?person=per")
    rows = list(
        load_workbook(io.BytesIO(bytes_of(export))).worksheets[0].iter_rows(values_only=True)
    )
    assert len(rows) == 2
    assert rows[1][0] == "Per Testesen"
    own = client_for(cast.per).get("/min-side/")
    assert [g.system_role.code for g in own.context["my_grants"]] == ["lonnsmedarbeider"]
    assert client_for(cast.nina).get("/min-side/").context["grant_count"] == 0
    assert client_for(cast.siv).get("/min-side/tilganger.xlsx").status_code == 403


def test_the_customer_centre_block_gives_the_reason_of_the_areas_the_organisation_buys(
    cast: Cast,
) -> None:
    """An accounting-only organisation's member is not told about payroll orderers."""
    cast.kystdir.buys_payroll = False
    cast.kystdir.buys_accounting = True
    cast.kystdir.save()
    page = client_for(cast.nina).get("/tilganger/bestill/", HTTP_ACCEPT_LANGUAGE="nb")
    blocks = {block["area"]: block["why_not"] for block in page.context["areas"]}
    assert "lonn" not in blocks
    assert "regnskap" in blocks["kundesenter"]
    assert "lønn" not in blocks["kundesenter"]
    assert "tilganger innen" not in blocks["kundesenter"]  # not the accounting block's words
    # An organisation that buys both: the block names both orderers.
    both = client_for(cast.per).get("/tilganger/bestill/", HTTP_ACCEPT_LANGUAGE="nb")
    reason = {block["area"]: block["why_not"] for block in both.context["areas"]}["kundesenter"]
    assert "lønn" in reason
    assert "regnskap" in reason


def test_a_line_without_anyone_says_so_once_on_the_person_list(cast: Cast, orderers: None) -> None:
    """Nobody chosen and nobody new: one error on the list, not one under each field."""
    response = _order(
        client_for(cast.kari), "lonn", [_line(None, "lonnsmedarbeider", "01.12.2030")]
    )
    assert response.status_code == 400  # the form again, with what was typed
    errors = response.context["formset"].forms[0].errors
    assert list(errors) == ["person"]
    # The group's hint, the summary and the error under the list; before: seven times.
    assert response.content.decode().count("Velg en person i listen") == 3
    begun = _line(None, "lonnsmedarbeider", "01.12.2030") | {"new_person_name": "Ny Person"}
    partly = _order(client_for(cast.kari), "lonn", [begun])
    assert set(partly.context["formset"].forms[0].errors) == {"new_person_email", "employee_number"}
    assert not Order.objects.exists()
    assert _order(client_for(cast.per), "lonn", [begun]).status_code == 403
