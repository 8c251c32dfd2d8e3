"""The support desk's deciding pages (issue 14, point 4): orders, appointments and fullmakt
forms decided from their own pages, with the rules beside the decision, through the services."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from access.models import (
    Appointment,
    FullmaktStep,
    FullmaktSubmission,
    Order,
    OrderLine,
    System,
    SystemRole,
)
from access.ordering import LineInput, do_fulfil_line, do_submit_order
from access.services import do_request_appointment
from cases.models import Case
from portal.dates import today as oslo_today
from portal.models import Area, Membership, RoleAssignment, RoleType, User
from portal.teams import TEAM_GROUPS
from tests.conftest import Cast, client_for, grant, make_user
from tests.test_fullmakt_form import REVIEW, UPLOAD, send

EN = {"accept-language": "en"}


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def team_member(username: str, area: Area | None) -> User:
    member = make_user(username, is_staff=True)
    if area is not None:
        member.groups.set(Group.objects.filter(name=TEAM_GROUPS[area]))
    return member


@pytest.fixture
def desk(cast: Cast) -> dict[str, User]:
    """Lena and Lars in Team lønn, Rolf in Team regnskap, Nils in no team."""
    return {
        "lena": team_member("lena", Area.PAYROLL),
        "lars": team_member("lars", Area.PAYROLL),
        "rolf": team_member("rolf", Area.ACCOUNTING),
        "nils": team_member("nils", None),
    }


@pytest.fixture
def kari_orders(cast: Cast) -> RoleAssignment:
    return grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)


def text(response: Any) -> str:
    """The page as a reader sees it: tags gone, entities read, spaces collapsed."""
    page = re.sub(
        r"<script.*?</script>|<style.*?</style>", "", response.content.decode(), flags=re.S
    )
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def assert_no_codes_or_json(response: Any) -> None:
    page = text(response)
    assert "UTC" not in page
    assert '"row"' not in page
    assert "[{" not in page
    assert "{'" not in page
    for code in (
        "autorisert-bestiller",
        "keyed_in",
        "submitted",
        "pending",
        "lonn",
        "fullmakt_form",
    ):
        assert code not in page, code


def assert_not_found_for(client: Client, url: str) -> None:
    """The admin's "does not exist" for rows outside the team: back to the start page."""
    response = client.get(url, headers=EN)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


# --- appointments ----------------------------------------------------------------------


@pytest.fixture
def appointment(cast: Cast, kari_orders: RoleAssignment) -> Appointment:
    return do_request_appointment(
        actor=cast.kari,
        organisation=cast.fjordetaten,
        area=Area.PAYROLL,
        action=Appointment.Action.APPOINT,
        person=cast.per,
        valid_from=oslo_today(),
    )


def appointment_url(appointment: Appointment) -> str:
    return f"/admin/access/appointment/{appointment.pk}/change/"


def test_the_appointment_page_shows_who_asked_with_which_role_and_why(
    cast: Cast, desk: dict[str, User], appointment: Appointment
) -> None:
    response = client_for(desk["lena"]).get(appointment_url(appointment), headers=EN)
    assert response.status_code == 200
    page = text(response)
    assert "Kari Testesen held Authorised payroll orderer when asking (Registered by staff)" in page
    assert "Authorised payroll orderer: Registered by staff" in page  # the chain's link
    assert "Today the requester still holds an authority that allows the request" in page
    assert "1 authorised orderer today" in page
    assert f'href="/admin/cases/case/{appointment.case_id}/change/"' in response.content.decode()
    assert f"{timezone.localtime(appointment.requested_at):%d.%m.%Y %H:%M}" in page  # Oslo
    assert_no_codes_or_json(response)


def test_an_appointment_is_decided_through_the_service_and_goes_back(
    cast: Cast, desk: dict[str, User], appointment: Appointment
) -> None:
    url = appointment_url(appointment) + "?_changelist_filters=avgjort%3Dnei"
    response = client_for(desk["lena"]).post(
        url, {"decision": "approve", "reason": "Kontrollert mot registeret"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/access/appointment/?avgjort=nei"
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.APPROVED
    assert appointment.decided_by == desk["lena"]
    assert RoleAssignment.objects.held_today().filter(person=cast.per).exists()


def test_a_safe_next_is_honoured_and_a_foreign_one_is_not(
    cast: Cast, desk: dict[str, User], appointment: Appointment
) -> None:
    client = client_for(desk["lena"])
    response = client.post(
        appointment_url(appointment) + "?next=https://evil.example/",
        {"decision": "reject", "reason": "Nei"},
    )
    assert response["Location"] == "/admin/access/appointment/"
    other = do_request_appointment(
        actor=cast.kari,
        organisation=cast.fjordetaten,
        area=Area.PAYROLL,
        action=Appointment.Action.APPOINT,
        person=cast.ola,
        valid_from=oslo_today(),
    )
    response = client.post(
        appointment_url(other), {"decision": "reject", "reason": "Nei", "next": "/admin/?ko=1"}
    )
    assert response["Location"] == "/admin/?ko=1"


def test_bad_appointment_input_keeps_what_was_typed_and_stores_nothing(
    cast: Cast, desk: dict[str, User], appointment: Appointment, kari_orders: RoleAssignment
) -> None:
    client = client_for(desk["lena"])
    missing = client.post(
        appointment_url(appointment), {"decision": "approve", "reason": " "}, headers=EN
    )
    assert missing.status_code == 400
    assert "Give a reason for the decision." in text(missing)
    assert re.search(r'value="approve"[^>]*checked', missing.content.decode())
    nothing = client.post(appointment_url(appointment), {"reason": "Skrevet inn"}, headers=EN)
    assert nothing.status_code == 400
    assert "Choose approve or reject." in text(nothing)
    assert "Skrevet inn" in nothing.content.decode()
    # The requester lost the authority since asking: the service refuses; shown by the form.
    RoleAssignment.objects.create(
        lineage=kari_orders.lineage,
        person=cast.kari,
        organisation=cast.fjordetaten,
        role=kari_orders.role,
        valid_from=kari_orders.valid_from,
        valid_to=oslo_today() - dt.timedelta(days=1),
        basis=RoleAssignment.Basis.STAFF,
        supersedes=kari_orders,
    )
    refused = client.post(
        appointment_url(appointment), {"decision": "approve", "reason": "Mitt grunnlag"}, headers=EN
    )
    assert refused.status_code == 400
    assert "no longer holds an authority that allows this request" in text(refused)
    assert "Mitt grunnlag" in refused.content.decode()
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.PENDING


def test_outsiders_cannot_see_or_decide_an_appointment(
    cast: Cast, desk: dict[str, User], appointment: Appointment
) -> None:
    url = appointment_url(appointment)
    for outsider in (desk["rolf"], desk["nils"]):
        assert_not_found_for(client_for(outsider), url)
        response = client_for(outsider).post(url, {"decision": "approve", "reason": "OK"})
        assert response.status_code == 302
    customer = client_for(cast.kari).post(url, {"decision": "approve", "reason": "OK"})
    assert customer.status_code == 302
    assert customer["Location"].startswith("/admin/login/")
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.PENDING


def test_the_person_concerned_is_told_they_may_not_decide(
    cast: Cast, desk: dict[str, User]
) -> None:
    lena = desk["lena"]
    Membership.objects.create(user=lena, organisation=cast.fjordetaten)
    grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    about_lena = do_request_appointment(
        actor=cast.ola,
        organisation=cast.fjordetaten,
        area=Area.PAYROLL,
        action=Appointment.Action.APPOINT,
        person=lena,
        valid_from=oslo_today(),
    )
    page = text(client_for(lena).get(appointment_url(about_lena), headers=EN))
    assert "You cannot decide a request you made or that concerns you." in page
    # Ola's authority and its chain:
    assert "Power of attorney (fullmakt): Registered by staff" in page


# --- orders ----------------------------------------------------------------------------


@pytest.fixture
def order(cast: Cast, kari_orders: RoleAssignment) -> Order:
    role = SystemRole.objects.get(code="lonnsmedarbeider")
    return do_submit_order(
        actor=cast.kari,
        organisation=cast.fjordetaten,
        area=Area.PAYROLL,
        lines=[
            LineInput(
                system_role=role,
                action=OrderLine.Action.GRANT,
                valid_from=oslo_today(),
                person=cast.per,
            ),
            LineInput(
                system_role=role,
                action=OrderLine.Action.GRANT,
                valid_from=oslo_today(),
                person=cast.ola,
            ),
        ],
    )


def order_url(order: Order) -> str:
    return f"/admin/access/order/{order.pk}/change/"


def order_post(order: Order, choices: list[tuple[str, str]]) -> dict[str, str]:
    lines = list(order.lines.order_by("id"))
    data = {
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, (line, (decision, reason)) in enumerate(zip(lines, choices, strict=True)):
        data[f"lines-{index}-id"] = str(line.pk)
        data[f"lines-{index}-decision"] = decision
        data[f"lines-{index}-reason"] = reason
    return data


def test_the_order_page_shows_the_orderers_authority_and_its_chain(
    cast: Cast, desk: dict[str, User], order: Order
) -> None:
    response = client_for(desk["lena"]).get(order_url(order), headers=EN)
    assert response.status_code == 200
    page = text(response)
    assert (
        "Kari Testesen held Authorised payroll orderer when ordering (Registered by staff)" in page
    )
    assert "Authorised payroll orderer: Registered by staff" in page
    assert "Today the orderer may still order in this area" in page
    assert "Per Testesen" in page
    assert "Ola Testesen" in page
    assert_no_codes_or_json(response)


def test_order_lines_are_decided_one_by_one_through_the_service(
    cast: Cast, desk: dict[str, User], order: Order
) -> None:
    client = client_for(desk["lena"])
    url = order_url(order) + "?_changelist_filters=avgjort%3Dnei"
    response = client.post(url, order_post(order, [("done", ""), ("", "")]))
    assert response.status_code == 302
    assert response["Location"] == "/admin/access/order/?avgjort=nei"
    first, second = order.lines.order_by("id")
    assert first.state == OrderLine.State.DONE
    assert second.state == OrderLine.State.PENDING
    # Only the waiting line is offered now; it is rejected with a reason.
    page = client.get(order_url(order), headers=EN)
    assert page.context["formset"].total_form_count() == 1
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-id": str(second.pk),
        "lines-0-decision": "reject",
        "lines-0-reason": "Ola slutter",
    }
    assert client.post(order_url(order), data).status_code == 302
    second.refresh_from_db()
    assert second.state == OrderLine.State.REJECTED
    assert second.reason == "Ola slutter"


def test_bad_order_input_keeps_what_was_typed_and_stores_nothing(
    cast: Cast, desk: dict[str, User], order: Order
) -> None:
    client = client_for(desk["lena"])
    no_reason = client.post(
        order_url(order), order_post(order, [("done", ""), ("reject", "")]), headers=EN
    )
    assert no_reason.status_code == 400
    assert "Give a reason for rejecting the line." in text(no_reason)
    assert not order.lines.filter(decision__isnull=False).exists()
    nothing = client.post(
        order_url(order), order_post(order, [("", "Et notat"), ("", "")]), headers=EN
    )
    assert nothing.status_code == 400
    assert "Choose done or reject for at least one line." in text(nothing)
    assert "Et notat" in nothing.content.decode()
    # Someone else decided the second line in between: the whole choice is refused, and
    # the first line (chosen in the same form) is not stored either.
    second = order.lines.order_by("id")[1]
    do_fulfil_line(actor=desk["lars"], line=second, done=False, reason="Lars tok den")
    refused = client.post(
        order_url(order), order_post(order, [("done", ""), ("reject", "Mitt svar")]), headers=EN
    )
    assert refused.status_code == 400
    assert "This line has already been handled." in text(refused)
    assert "Mitt svar" in refused.content.decode()
    assert order.lines.order_by("id")[0].state == OrderLine.State.PENDING


def lines_offered(page: Any) -> list[str]:
    """The lines the order page offers a decision on, by their fieldsets' legends."""
    return re.findall(
        r'<fieldset class="module desk-line">\s*<legend>(.*?)</legend>',
        page.content.decode(),
        flags=re.S,
    )


def test_an_order_with_lines_of_both_teams_offers_each_team_only_its_own(
    cast: Cast, desk: dict[str, User]
) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    grant(cast.kari, cast.fjordetaten, RoleType.ACCOUNTING_ORDERER)
    order = do_submit_order(
        actor=cast.kari,
        organisation=cast.fjordetaten,
        area=System.Area.CUSTOMER_CENTRE,
        lines=[
            LineInput(
                system_role=SystemRole.objects.get(code=code),
                action=OrderLine.Action.GRANT,
                valid_from=oslo_today(),
                person=cast.per,
            )
            for code in (RoleType.EXTENDED_PAYROLL, RoleType.EXTENDED_ACCOUNTING)
        ],
    )
    payroll_line, accounting_line = order.lines.order_by("id")
    url = order_url(order)
    lena, rolf = client_for(desk["lena"]), client_for(desk["rolf"])
    page = lena.get(url, headers=EN)
    offered = lines_offered(page)
    assert len(offered) == 1
    assert "Extended access, payroll" in offered[0]
    assert "1 line waits for the other team" in text(page)
    # A forged decision of the other team's line changes nothing, her own included.
    forged = lena.post(url, order_post(order, [("done", ""), ("done", "")]), headers=EN)
    assert forged.status_code == 400
    assert not order.lines.filter(decision__isnull=False).exists()
    mine = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-id": str(payroll_line.pk),
        "lines-0-decision": "done",
        "lines-0-reason": "",
    }
    assert lena.post(url, mine).status_code == 302
    # Rolf of Team regnskap is offered the accounting line only, and nothing waits for others.
    his_page = rolf.get(url, headers=EN)
    offered = lines_offered(his_page)
    assert len(offered) == 1
    assert "Extended access, accounting" in offered[0]
    assert "waits for the other team" not in text(his_page)
    theirs = {**mine, "lines-0-id": str(accounting_line.pk)}
    answer = rolf.post(url, theirs, headers=EN, follow=True)
    assert "The case is the other team's: they close it." in text(answer)
    assert set(order.lines.values_list("decision__done", flat=True)) == {True}
    # The case is Team lønn's (the first area's): it waits in their queue to be closed.
    order.case.refresh_from_db()
    assert order.case.category == Area.PAYROLL
    assert order.case.status != Case.Status.CLOSED
    # Nils, in no team, and Per, the customer, see nothing of it.
    assert_not_found_for(client_for(desk["nils"]), url)
    assert client_for(cast.per).get(url)["Location"].startswith("/admin/login/")


def test_outsiders_cannot_see_or_decide_an_order(
    cast: Cast, desk: dict[str, User], order: Order
) -> None:
    url = order_url(order)
    for outsider in (desk["rolf"], desk["nils"]):
        assert_not_found_for(client_for(outsider), url)
        assert (
            client_for(outsider)
            .post(url, order_post(order, [("done", ""), ("done", "")]))
            .status_code
            == 302
        )
    customer = client_for(cast.kari).get(url)
    assert customer["Location"].startswith("/admin/login/")
    assert not order.lines.filter(decision__isnull=False).exists()


# --- fullmakt forms --------------------------------------------------------------------


@pytest.fixture
def scanned(cast: Cast) -> FullmaktSubmission:
    """Per sends in a signed copy only (no Excel file): staff key the rows in."""
    client = client_for(cast.per)
    assert send(client, None).status_code == 302
    client.post(REVIEW)
    return FullmaktSubmission.objects.get()


def fullmakt_url(submission: FullmaktSubmission) -> str:
    return f"/admin/access/fullmaktsubmission/{submission.pk}/change/"


def rows_post(rows: list[dict[str, str]], button: str = "_save_rows") -> dict[str, str]:
    data = {
        "rows-TOTAL_FORMS": str(len(rows)),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "200",
        button: "1",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"rows-{index}-{key}"] = value
    return data


def person_row(**overrides: str) -> dict[str, str]:
    row = {
        "name": "Per Testesen",
        "email": "per@example.no",
        "employee_number": "1001",
        "role": RoleType.PAYROLL_ORDERER,
        "action": "add",
        "date": "01.12.2030",
    }
    row.update(overrides)
    return row


def test_a_scanned_form_is_keyed_in_verified_and_confirmed_by_two_staff_members(
    cast: Cast, desk: dict[str, User], scanned: FullmaktSubmission
) -> None:
    lena, lars = client_for(desk["lena"]), client_for(desk["lars"])
    url = fullmakt_url(scanned)
    page = lena.get(url, headers=EN)
    assert page.status_code == 200
    body = page.content.decode()
    assert "No Excel file: key in the rows from the signed copy." in text(page)
    assert f"/admin/access/fullmaktsubmission/{scanned.pk}/signert-kopi/" in body
    assert "<iframe" in body
    assert 'name="rows"' not in body
    assert "JSON" not in body
    saved = lena.post(
        url,
        rows_post(
            [
                person_row(),
                person_row(
                    name="Ola Testesen",
                    email="ola@example.no",
                    employee_number="1002",
                    role=RoleType.FULLMAKT,
                    date="02.12.2030",
                ),
            ]
        ),
    )
    assert saved.status_code == 302
    scanned = FullmaktSubmission.objects.get(pk=scanned.pk)
    assert scanned.current_rows == [
        {
            "row": 1,
            "name": "Per Testesen",
            "email": "per@example.no",
            "employee_number": "1001",
            "role": RoleType.PAYROLL_ORDERER,
            "action": "add",
            "date": "2030-12-01",
        },
        {
            "row": 2,
            "name": "Ola Testesen",
            "email": "ola@example.no",
            "employee_number": "1002",
            "role": RoleType.FULLMAKT,
            "date": "2030-12-02",
            "action": "add",
        },
    ]
    shown = lena.get(url, headers=EN)
    assert "Authorised payroll orderer" in text(shown)
    assert "01.12.2030" in text(shown)
    assert_no_codes_or_json(shown)
    verified = lena.post(url, {"step": "verify", "authority_confirmed": "on"})
    assert verified.status_code == 302
    # Four eyes: Lena verified, so she may not confirm; the page says so before she tries.
    her_page = lena.get(url, headers=EN)
    four_eyes = text(her_page)
    assert "No: A second staff member must confirm: you verified this form yourself." in four_eyes
    assert "someone other than Lena Testesen, who verified it" in four_eyes
    # She is offered only what she may do: reject, not confirm.
    assert 'value="reject"' in her_page.content.decode()
    assert 'value="confirm"' not in her_page.content.decode()
    refused = lena.post(url, {"step": "confirm"}, headers=EN)
    assert refused.status_code == 400
    assert "you verified this form yourself" in text(refused)
    assert 'value="confirm"' not in refused.content.decode()
    assert not RoleAssignment.objects.filter(basis=RoleAssignment.Basis.FULLMAKT_FORM).exists()
    assert "May you take it? Yes." in text(lars.get(url, headers=EN))
    confirmed = lars.post(url, {"step": "confirm"})
    assert confirmed.status_code == 302
    held = RoleAssignment.objects.filter(basis=RoleAssignment.Basis.FULLMAKT_FORM)
    assert {(a.person, a.role.code) for a in held} == {
        (cast.per, RoleType.PAYROLL_ORDERER),
        (cast.ola, RoleType.FULLMAKT),
    }
    done = FullmaktSubmission.objects.get(pk=scanned.pk)
    assert done.state == FullmaktSubmission.State.REGISTERED
    assert done.verified_by == desk["lena"]
    assert done.confirmed_by == desk["lars"]


def test_bad_rows_get_a_message_each_keep_what_was_typed_and_store_nothing(
    cast: Cast, desk: dict[str, User], scanned: FullmaktSubmission
) -> None:
    client = client_for(desk["lena"])
    response = client.post(
        fullmakt_url(scanned),
        rows_post(
            [
                person_row(email="ikke-en-adresse"),
                person_row(name="", email="ola@example.no"),
                person_row(date="31.02.2030", email="eva@example.no"),
                person_row(role="administrator", email="mona@example.no"),
            ]
        ),
        headers=EN,
    )
    assert response.status_code == 400
    page = text(response)
    assert "Enter a valid email address." in page
    assert "Write the person's name." in page
    assert "Write the date as dd.mm.yyyy." in page
    assert "Select a valid choice." in page
    body = response.content.decode()
    for typed in ("ikke-en-adresse", "31.02.2030", "eva@example.no", "mona@example.no"):
        assert f'value="{typed}"' in body
    assert not scanned.steps.exists()


def test_the_bad_rows_are_told_in_norwegian(
    cast: Cast, desk: dict[str, User], scanned: FullmaktSubmission
) -> None:
    response = client_for(desk["lena"]).post(
        fullmakt_url(scanned),
        rows_post([person_row(name="", date="1.13.2030")]),
        headers={"accept-language": "nb"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "Skriv navnet til personen." in page
    assert "Skriv datoen som dd.mm.åååå." in page


def test_add_a_row_keeps_what_was_typed_without_javascript(
    cast: Cast, desk: dict[str, User], scanned: FullmaktSubmission
) -> None:
    response = client_for(desk["lena"]).post(
        fullmakt_url(scanned), rows_post([person_row(email="halv@")], button="_add_row"), headers=EN
    )
    assert response.status_code == 200
    formset = response.context["row_formset"]
    assert formset.total_form_count() == 2
    assert 'value="halv@"' in response.content.decode()
    assert "Enter a valid email address." not in text(response)  # not checked yet
    assert not scanned.steps.exists()


def test_no_rows_is_refused_with_a_message(
    cast: Cast, desk: dict[str, User], scanned: FullmaktSubmission
) -> None:
    response = client_for(desk["lena"]).post(fullmakt_url(scanned), rows_post([]), headers=EN)
    assert response.status_code == 400
    assert "Key in at least one row." in text(response)


def test_verifying_needs_the_authority_checked_and_rows(
    cast: Cast, desk: dict[str, User], scanned: FullmaktSubmission
) -> None:
    client = client_for(desk["lena"])
    unchecked = client.post(fullmakt_url(scanned), {"step": "verify"}, headers=EN)
    assert unchecked.status_code == 400
    assert "Confirm that the signer holds budget disposal authority before verifying." in text(
        unchecked
    )
    no_rows = client.post(
        fullmakt_url(scanned), {"step": "verify", "authority_confirmed": "on"}, headers=EN
    )
    assert no_rows.status_code == 400
    assert "The submission has no rows to register." in text(no_rows)
    reject = client.post(fullmakt_url(scanned), {"step": "reject", "reason": ""}, headers=EN)
    assert reject.status_code == 400
    assert scanned.steps.count() == 0


def test_the_reporter_cannot_handle_their_own_form(cast: Cast, desk: dict[str, User]) -> None:
    lars = desk["lars"]
    Membership.objects.create(user=lars, organisation=cast.fjordetaten)
    client = client_for(lars)
    assert send(client, None).status_code == 302
    client.post(REVIEW)
    submission = FullmaktSubmission.objects.get()
    url = fullmakt_url(submission)
    shown = client.get(url, headers=EN)
    page = text(shown)
    assert "No: You cannot handle a fullmakt form you sent in yourself." in page
    assert 'name="step"' not in shown.content.decode()  # no step is offered him
    forged = client.post(url, {"step": "reject", "reason": "Mitt eget"}, headers=EN)
    assert forged.status_code == 400
    assert "You cannot handle a fullmakt form you sent in yourself." in text(forged)
    refused = client.post(url, rows_post([person_row()]), headers=EN)
    assert refused.status_code == 400
    assert "You cannot handle a fullmakt form you sent in yourself." in text(refused)
    assert 'value="per@example.no"' in refused.content.decode()
    assert not submission.steps.exists()


def test_outsiders_cannot_see_the_form_or_its_scan(
    cast: Cast, desk: dict[str, User], scanned: FullmaktSubmission
) -> None:
    url = fullmakt_url(scanned)
    scan = f"/admin/access/fullmaktsubmission/{scanned.pk}/signert-kopi/"
    for outsider in (desk["rolf"], desk["nils"]):
        assert_not_found_for(client_for(outsider), url)
        assert client_for(outsider).post(url, rows_post([person_row()])).status_code == 302
        assert client_for(outsider).get(scan).status_code == 404
    for path in (url, scan):
        assert client_for(cast.per).get(path)["Location"].startswith("/admin/login/")
    assert not scanned.steps.exists()


def test_the_scan_is_shown_inline_in_a_frame_of_our_own_only(
    cast: Cast, desk: dict[str, User], scanned: FullmaktSubmission
) -> None:
    response = client_for(desk["lena"]).get(
        f"/admin/access/fullmaktsubmission/{scanned.pk}/signert-kopi/"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    # Every other page still refuses to be framed.
    page = client_for(desk["lena"]).get(fullmakt_url(scanned))
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_the_changelists_show_labels_and_keep_the_queue_filters(
    cast: Cast,
    desk: dict[str, User],
    scanned: FullmaktSubmission,
    appointment: Appointment,
    order: Order,
) -> None:
    client = client_for(desk["lena"])
    for url, label in (
        ("/admin/access/appointment/?avgjort=nei", "Waiting for the customer centre"),
        ("/admin/access/order/?avgjort=nei", "Being processed"),
        ("/admin/access/fullmaktsubmission/?tilstand=submitted", "Submitted"),
        ("/admin/access/fullmaktsubmission/?tilstand=verified", ""),
    ):
        response = client.get(url, headers=EN)
        assert response.status_code == 200, url
        assert label in text(response)
        assert_no_codes_or_json(response)
    listed = client.get("/admin/access/fullmaktsubmission/?tilstand=submitted", headers=EN)
    assert listed.context["cl"].result_count == 1
    verified = client.get("/admin/access/fullmaktsubmission/?tilstand=verified", headers=EN)
    assert verified.context["cl"].result_count == 0
    assert FullmaktStep.objects.count() == 0


def test_a_scanned_image_is_shown_as_an_image_with_alt_text(
    cast: Cast, desk: dict[str, User]
) -> None:
    client = client_for(cast.per)
    scan = io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(64))
    scan.name = "skann.png"
    assert client.post(UPLOAD, {"signed_copy": scan}).status_code == 302
    client.post(REVIEW)
    submission = FullmaktSubmission.objects.get()
    page = client_for(desk["lena"]).get(fullmakt_url(submission), headers=EN)
    preview = f"/admin/access/fullmaktsubmission/{submission.pk}/signert-kopi/"
    assert re.search(
        rf'<img src="{preview}" alt="The signed fullmakt form as sent in \(skann.png\)">',
        page.content.decode(),
    )
    response = client_for(desk["lena"]).get(preview)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"lines-TOTAL_FORMS": "x", "lines-0-id": "abc", "lines-0-decision": "done"},
        {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-0-id": "abc"},
        {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-0-id": "999999999999"},
        {"decision": "maybe", "reason": "\x00"},
        {"step": "confirm", "reason": ["a", "b"]},
        {"_save_rows": "1", "rows-TOTAL_FORMS": "-1"},
        {"_add_row": "1", "rows-TOTAL_FORMS": "100000", "rows-0-date": "99.99.9999"},
        {"_save_rows": "1", "rows-TOTAL_FORMS": "1", "rows-INITIAL_FORMS": "0", "rows-0-role": "x"},
    ],
)
def test_tampered_posts_are_bad_requests_never_server_errors(
    cast: Cast,
    desk: dict[str, User],
    appointment: Appointment,
    order: Order,
    scanned: FullmaktSubmission,
    data: dict[str, Any],
) -> None:
    client = client_for(desk["lena"])
    for url in (appointment_url(appointment), order_url(order), fullmakt_url(scanned)):
        response = client.post(url, data, headers=EN)
        assert response.status_code in (200, 400), (url, response.status_code)
    assert not scanned.steps.exists()
    assert not order.lines.filter(decision__isnull=False).exists()
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.PENDING


def test_a_form_whose_rows_match_nobody_is_not_confirmed_as_registered(
    cast: Cast, desk: dict[str, User], scanned: FullmaktSubmission
) -> None:
    """Confirming would register nothing: it is refused with the reasons, the form stays
    verified for a rejection, and no row goes without an employee number being asked."""
    lena, lars = client_for(desk["lena"]), client_for(desk["lars"])
    url = fullmakt_url(scanned)
    saved = lena.post(url, rows_post([person_row(email="ukjent@example.no", employee_number="")]))
    assert saved.status_code == 302  # the employee number may be missing from a scan
    assert FullmaktSubmission.objects.get(pk=scanned.pk).current_rows[0]["employee_number"] == ""
    assert lena.post(url, {"step": "verify", "authority_confirmed": "on"}).status_code == 302
    refused = lars.post(url, {"step": "confirm"}, headers=EN)
    assert refused.status_code == 400
    assert "No row can be registered" in text(refused)
    assert "ukjent@example.no" in text(refused)
    state = FullmaktSubmission.objects.get(pk=scanned.pk).state
    assert state == FullmaktSubmission.State.VERIFIED
    assert not RoleAssignment.objects.filter(basis=RoleAssignment.Basis.FULLMAKT_FORM).exists()
    assert lars.post(url, {"step": "reject", "reason": "Ingen kjente personer"}).status_code == 302
