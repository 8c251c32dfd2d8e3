"""Rule 5: appointing and removing authorised orderers, and the staff decision."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client

from access import rules
from access.models import Appointment
from access.services import AppointmentRefused, do_decide_appointment
from cases.models import Case
from portal.dates import today as oslo_today
from portal.demo import org_number
from portal.models import AuditEvent, Organisation, RoleAssignment, RoleType
from tests.conftest import Cast, client_for, grant, make_user


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def roles(cast: Cast) -> dict[str, RoleAssignment]:
    cast.siv.is_superuser = True
    cast.siv.save()
    return {
        "kari": grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER),
        "ola": grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT),
    }


def _request(client: Client, person_pk: int, **overrides: object):
    data: dict[str, object] = {
        "area": "lonn",
        "action": "appoint",
        "person": person_pk,
        "valid_from": oslo_today().strftime("%d.%m.%Y"),
        "comment": "",
    }
    data.update(overrides)
    return client.post("/tilganger/bestillere/", data, HTTP_ACCEPT_LANGUAGE="nb")


def _holds(user, code: str = RoleType.PAYROLL_ORDERER) -> bool:
    return RoleAssignment.objects.held_today().filter(person=user, role__code=code).exists()


@pytest.mark.parametrize("requester", ["kari", "ola"])
def test_orderer_or_fullmakt_holder_can_request_an_appointment(
    cast: Cast, roles: dict, requester: str
) -> None:
    response = _request(client_for(getattr(cast, requester)), cast.per.pk)
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == appointment.case.get_absolute_url()
    assert appointment.state == Appointment.State.PENDING
    assert appointment.case.category == "lonn"
    assert appointment.requester_assignment == roles[requester]
    assert AuditEvent.objects.filter(action="appointment.requested.appoint").exists()
    assert not _holds(cast.per)  # nothing until staff approve


def test_plain_member_is_refused_and_nothing_is_stored(cast: Cast, roles: dict) -> None:
    response = _request(client_for(cast.per), cast.eva.pk)
    assert response.status_code == 302
    assert not Appointment.objects.exists()
    assert not Case.objects.exists()
    page = client_for(cast.per).get("/tilganger/bestillere/", HTTP_ACCEPT_LANGUAGE="nb")
    assert page.context["form"] is None
    assert "Kari" in page.content.decode()  # who the plain member can ask


def test_self_appointment_is_refused(cast: Cast, roles: dict) -> None:
    response = _request(client_for(cast.ola), cast.ola.pk)
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_member_of_another_organisation_cannot_be_appointed(cast: Cast, roles: dict) -> None:
    response = _request(client_for(cast.kari), cast.nina.pk)
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_outsider_cannot_see_or_use_another_organisations_page(cast: Cast, roles: dict) -> None:
    response = client_for(cast.nina).get("/tilganger/bestillere/")
    assert "Kari" not in response.content.decode()
    _request(client_for(cast.nina), cast.per.pk)
    assert not Appointment.objects.exists()


def test_accounting_needs_the_accounting_orderer_or_fullmakt(cast: Cast, roles: dict) -> None:
    response = _request(client_for(cast.kari), cast.per.pk, area="regnskap")
    assert response.status_code == 400  # Kari orders payroll only
    assert not Appointment.objects.exists()
    _request(client_for(cast.ola), cast.per.pk, area="regnskap")
    assert Appointment.objects.get().area == "regnskap"


def test_bad_input_keeps_what_was_typed(cast: Cast, roles: dict) -> None:
    response = _request(
        client_for(cast.kari), cast.per.pk, valid_from="31.02.2022", comment="Viktig kommentar"
    )
    assert response.status_code == 400
    assert "Viktig kommentar" in response.content.decode()
    assert not Appointment.objects.exists()


def test_staff_approval_starts_the_assignment_and_tells_the_requester(
    cast: Cast, roles: dict, run_jobs
) -> None:
    _request(client_for(cast.kari), cast.per.pk)
    appointment = Appointment.objects.get()
    do_decide_appointment(actor=cast.siv, appointment=appointment, approve=True, reason="OK")
    run_jobs()
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.APPROVED
    assert _holds(cast.per)
    assigned = appointment.resulting_assignment
    assert assigned is not None
    assert assigned.basis == RoleAssignment.Basis.APPOINTMENT
    assert assigned.evidence == f"Sak {appointment.case.number}"
    assert [m.to for m in mail.outbox] == [[cast.kari.email]]
    assert appointment.case.number in mail.outbox[0].body
    appointment.case.refresh_from_db()
    assert appointment.case.status == Case.Status.CLOSED


def test_requester_who_lost_authority_is_refused_at_approval(cast: Cast, roles: dict) -> None:
    _request(client_for(cast.kari), cast.per.pk)
    appointment = Appointment.objects.get()
    yesterday = oslo_today() - dt.timedelta(days=1)
    RoleAssignment.objects.create(
        lineage=roles["kari"].lineage,
        person=cast.kari,
        organisation=cast.fjordetaten,
        role=roles["kari"].role,
        valid_from=roles["kari"].valid_from,
        valid_to=max(yesterday, roles["kari"].valid_from),
        basis=RoleAssignment.Basis.STAFF,
        supersedes=roles["kari"],
    )
    with pytest.raises(AppointmentRefused, match=r"ikke lenger|no longer"):
        do_decide_appointment(actor=cast.siv, appointment=appointment, approve=True, reason="OK")
    assert not _holds(cast.per)
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.PENDING
    # Rejecting is still possible.
    do_decide_appointment(
        actor=cast.siv, appointment=appointment, approve=False, reason="Ikke lenger"
    )
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.REJECTED


def test_staff_cannot_approve_a_request_they_made(cast: Cast) -> None:
    # A staff member who is also a member with fullmakt (a test of the rule, not a real setup).
    boss = make_user("boss", cast.fjordetaten, is_staff=True, is_superuser=True)
    grant(boss, cast.fjordetaten, RoleType.FULLMAKT)
    _request(client_for(boss), cast.per.pk)
    appointment = Appointment.objects.get()
    with pytest.raises(AppointmentRefused):
        do_decide_appointment(actor=boss, appointment=appointment, approve=True, reason="meg")
    assert not _holds(cast.per)


def test_decision_needs_a_reason_and_happens_once(cast: Cast, roles: dict) -> None:
    _request(client_for(cast.kari), cast.per.pk)
    appointment = Appointment.objects.get()
    with pytest.raises(AppointmentRefused):
        do_decide_appointment(actor=cast.siv, appointment=appointment, approve=True, reason=" ")
    do_decide_appointment(actor=cast.siv, appointment=appointment, approve=True, reason="OK")
    with pytest.raises(AppointmentRefused):
        do_decide_appointment(actor=cast.siv, appointment=appointment, approve=False, reason="Nei")


def test_customer_cannot_decide(cast: Cast, roles: dict) -> None:
    _request(client_for(cast.kari), cast.per.pk)
    with pytest.raises(AppointmentRefused):
        do_decide_appointment(
            actor=cast.ola, appointment=Appointment.objects.get(), approve=True, reason="x"
        )


def test_removing_the_last_orderer_asks_for_confirmation(cast: Cast, roles: dict) -> None:
    client = client_for(cast.ola)
    response = _request(client, cast.kari.pk, action="remove")
    assert response.status_code == 400
    assert "eneste" in response.content.decode() or "only" in response.content.decode()
    assert not Appointment.objects.exists()
    confirmed = _request(client, cast.kari.pk, action="remove", confirm_last="on")
    assert confirmed.status_code == 302
    appointment = Appointment.objects.get()
    do_decide_appointment(actor=cast.siv, appointment=appointment, approve=True, reason="OK")
    ended = RoleAssignment.objects.newest_versions().get(lineage=roles["kari"].lineage)
    assert ended.valid_to == oslo_today()


def test_removing_someone_who_is_not_an_orderer_is_refused(cast: Cast, roles: dict) -> None:
    response = _request(client_for(cast.ola), cast.per.pk, action="remove")
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_staff_decide_in_the_admin(cast: Cast, roles: dict) -> None:
    _request(client_for(cast.kari), cast.per.pk)
    appointment = Appointment.objects.get()
    staff = client_for(cast.siv)
    page = staff.get(f"/admin/access/appointment/{appointment.pk}/change/")
    assert page.status_code == 200
    missing_reason = staff.post(
        f"/admin/access/appointment/{appointment.pk}/change/", {"decision": "approve", "reason": ""}
    )
    assert missing_reason.status_code == 400
    assert not _holds(cast.per)
    staff.post(
        f"/admin/access/appointment/{appointment.pk}/change/",
        {"decision": "approve", "reason": "Kontrollert"},
    )
    assert _holds(cast.per)
    assert client_for(cast.per).get("/admin/access/appointment/").status_code == 302


def test_approved_orderer_shows_on_min_side_with_the_chain(cast: Cast, roles: dict) -> None:
    _request(client_for(cast.kari), cast.per.pk)
    do_decide_appointment(
        actor=cast.siv, appointment=Appointment.objects.get(), approve=True, reason="OK"
    )
    html = client_for(cast.per).get("/min-side/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "reported by Kari Testesen in case" in html
    assert "approved by Siv Testesen" in html


def test_nobody_to_appoint_shows_the_fullmakt_form_path(cast: Cast) -> None:
    response = client_for(cast.per).get("/tilganger/bestillere/", HTTP_ACCEPT_LANGUAGE="nb")
    html = response.content.decode()
    assert "/skjema/fullmakt.xlsx" in html
    assert "/saker/ny/?kategori=lonn" in html


def test_a_holder_who_is_the_only_member_sees_the_fullmakt_form_path(cast: Cast) -> None:
    """Lise's case: she holds fullmakt, nobody appoints themselves, and there is nobody else."""
    archive = Organisation.objects.create(
        name="Statens arkivtjeneste", org_number=org_number("98100004"), slug="arkiv"
    )
    lise = make_user("lise", archive)
    grant(lise, archive, RoleType.FULLMAKT)
    response = client_for(lise).get("/tilganger/bestillere/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="person"' not in html  # no form with an empty person list
    assert "/skjema/fullmakt.xlsx" in html
    assert "/skjema/fullmakt/send/" in html
    assert "nobody appoints themselves" in html
    # A forged request is refused by the service as well (nobody appoints themselves).
    _request(client_for(lise), lise.pk)
    assert not Appointment.objects.exists()
    # Once there is someone else to appoint, the form is back and the path is gone.
    colleague = make_user("colleague", archive)
    html = client_for(lise).get("/tilganger/bestillere/").content.decode()
    assert 'name="person"' in html
    assert f'value="{colleague.pk}"' in html
    assert "/skjema/fullmakt.xlsx" not in html


def test_former_members_are_not_offered_as_appointers_and_the_path_shows(cast: Cast) -> None:
    grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    html = client_for(cast.per).get("/tilganger/bestillere/").content.decode()
    assert "ola@example.no" in html
    assert "/skjema/fullmakt.xlsx" not in html
    cast.ola.memberships.all().delete()  # left; the role stays in the register
    cast.kari.memberships.all().delete()
    html = client_for(cast.per).get("/tilganger/bestillere/").content.decode()
    assert "ola@example.no" not in html
    assert "kari@example.no" not in html
    assert "/skjema/fullmakt.xlsx" in html


def test_the_list_and_the_path_come_from_one_decision(cast: Cast) -> None:
    way = rules.appointing(cast.fjordetaten, "lonn")
    assert way.appointers == []
    assert way.fullmakt_form_needed
    assert way.reason == "nobody"
    grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    way = rules.appointing(cast.fjordetaten, "lonn")
    assert [a.person for a in way.appointers] == [cast.ola]
    assert not way.fullmakt_form_needed
    assert way.may_appoint(cast.ola)
    assert not way.may_appoint(cast.per)
    assert rules.nobody_can_appoint(cast.fjordetaten, "lonn") is way.fullmakt_form_needed


def test_the_fullmakt_form_downloads_prefilled(cast: Cast) -> None:
    import io

    from openpyxl import load_workbook

    response = client_for(cast.per).get("/skjema/fullmakt.xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="fullmaktsskjema.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet["B3"].value == "Fjordetaten"
    assert sheet["B4"].value == cast.fjordetaten.org_number
    assert Client().get("/skjema/fullmakt.xlsx").status_code == 200


def test_admin_shows_why_a_person_holds_a_role(cast: Cast, roles: dict) -> None:
    _request(client_for(cast.kari), cast.per.pk)
    appointment = do_decide_appointment(
        actor=cast.siv, appointment=Appointment.objects.get(), approve=True, reason="OK"
    )
    assigned = appointment.resulting_assignment
    assert assigned is not None
    html = (
        client_for(cast.siv)
        .get(f"/admin/portal/roleassignment/{assigned.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert f"in case {appointment.case.number}" in html


def test_outsider_gets_404_on_the_appointment_case(cast: Cast, roles: dict) -> None:
    _request(client_for(cast.kari), cast.per.pk)
    number = Appointment.objects.get().case.number
    assert client_for(cast.nina).get(f"/saker/{number}/").status_code == 404
    assert client_for(cast.kari).get(f"/saker/{number}/").status_code == 200


def test_only_the_areas_team_decides_and_sees_the_request(cast: Cast, roles: dict) -> None:
    from django.contrib.auth.models import Group

    from portal.models import Area
    from portal.teams import TEAM_GROUPS

    _request(client_for(cast.kari), cast.per.pk)
    appointment = Appointment.objects.get()
    rolf = make_user("rolf", is_staff=True)
    rolf.groups.add(Group.objects.get(name=TEAM_GROUPS[Area.ACCOUNTING]))
    url = f"/admin/access/appointment/{appointment.pk}/change/"
    assert client_for(rolf).get(url).status_code == 302  # "does not exist" for the other team
    with pytest.raises(AppointmentRefused):
        do_decide_appointment(actor=rolf, appointment=appointment, approve=True, reason="OK")
    assert not _holds(cast.per)
    lena = make_user("lena", is_staff=True)
    lena.groups.add(Group.objects.get(name=TEAM_GROUPS[Area.PAYROLL]))
    assert client_for(lena).get(url).status_code == 200
    client_for(lena).post(url, {"decision": "approve", "reason": "Kontrollert"})
    assert _holds(cast.per)
