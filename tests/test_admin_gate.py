"""The admin is a client of the services: staff record only what staff may, in their team.

Lena works in Team lønn, Rolf in Team regnskap, Siv in both; Ugo is staff in no
team. Customers (the plain member Per, the outsider Nina) never reach the admin.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client

from portal.admin import TeamScopedAdmin
from portal.models import Area, AuditEvent, Membership, RoleAssignment, RoleType, User
from portal.services import Refused, do_register_role_by_staff
from portal.teams import TEAM_GROUPS
from tests.conftest import Cast, client_for, grant, make_user

ADD = "/admin/portal/roleassignment/add/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(cast: Cast) -> dict[str, User]:
    lena = make_user("lena", is_staff=True)
    lena.groups.add(Group.objects.get(name=TEAM_GROUPS[Area.PAYROLL]))
    rolf = make_user("rolf", is_staff=True)
    rolf.groups.add(Group.objects.get(name=TEAM_GROUPS[Area.ACCOUNTING]))
    ugo = make_user("ugo", is_staff=True)
    return {"lena": lena, "rolf": rolf, "ugo": ugo, "siv": cast.siv}


def _role(code: str) -> RoleType:
    return RoleType.objects.get(code=code)


def _register(client: Client, person: User, cast: Cast, code: str, **extra: Any):
    data = {
        "person": person.pk,
        "organisation": cast.fjordetaten.pk,
        "role": _role(code).pk,
        "valid_from": "01.01.2024",
        "reason": "Meldt på telefon, sak SAK-2024-0000001",
        **extra,
    }
    return client.post(ADD, data, HTTP_ACCEPT_LANGUAGE="nb")


# --- finding 1: staff can record any authority on any basis ---------------------------


@pytest.mark.parametrize(
    "code",
    [
        RoleType.FULLMAKT,
        RoleType.PAYROLL_ORDERER,
        RoleType.ACCOUNTING_ORDERER,
        RoleType.BUDGET_HOLDER,
        RoleType.EXTENDED_PAYROLL,
    ],
)
def test_staff_cannot_register_an_authority_or_access_in_the_admin(
    cast: Cast, staff: dict[str, User], code: str
) -> None:
    response = _register(client_for(staff["siv"]), cast.per, cast, code)
    assert response.status_code == 200  # the form again, with what was typed
    assert not RoleAssignment.objects.exists()
    assert not AuditEvent.objects.exists()
    with pytest.raises(Refused):
        do_register_role_by_staff(
            actor=staff["siv"],
            person=cast.per,
            organisation=cast.fjordetaten,
            role=_role(code),
            valid_from=dt.date(2024, 1, 1),
            reason="Telefon",
        )


def test_the_basis_is_always_staff_whatever_is_posted(cast: Cast, staff: dict[str, User]) -> None:
    response = _register(
        client_for(staff["lena"]),
        cast.per,
        cast,
        "kontaktperson-lonn",
        basis="grandfathering",
        evidence="Forged",
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get()
    assert assignment.basis == RoleAssignment.Basis.STAFF
    assert assignment.recorded_by == staff["lena"]
    event = AuditEvent.objects.get(action="role.assigned")
    assert event.after is not None
    assert event.after["basis"] == "staff"
    assert event.after["evidence"] == "Meldt på telefon, sak SAK-2024-0000001"
    assert "Forged" not in event.basis


def test_a_team_registers_only_its_own_areas_contact_roles(
    cast: Cast, staff: dict[str, User]
) -> None:
    assert (
        _register(client_for(staff["lena"]), cast.per, cast, "kontaktperson-regnskap").status_code
        == 200
    )
    assert (
        _register(client_for(staff["rolf"]), cast.per, cast, "kontaktperson-lonn").status_code
        == 200
    )
    assert not RoleAssignment.objects.exists()
    # Shared groupings (no area) are either team's.
    assert (
        _register(client_for(staff["rolf"]), cast.per, cast, "kontraktsansvarlig").status_code
        == 302
    )
    assert (
        _register(client_for(staff["ugo"]), cast.ola, cast, "kontraktsansvarlig").status_code == 403
    )


def test_staff_cannot_register_their_own_roles(cast: Cast, staff: dict[str, User]) -> None:
    Membership.objects.create(user=staff["lena"], organisation=cast.fjordetaten)
    response = _register(client_for(staff["lena"]), staff["lena"], cast, "kontaktperson-lonn")
    assert response.status_code == 200
    assert "dine egne roller" in response.content.decode()
    assert not RoleAssignment.objects.exists()


def test_a_reason_is_required_and_kept(cast: Cast, staff: dict[str, User]) -> None:
    response = _register(client_for(staff["lena"]), cast.per, cast, "kontaktperson-lonn", reason="")
    assert response.status_code == 200
    assert not RoleAssignment.objects.exists()


def test_the_person_must_be_a_member_now(cast: Cast, staff: dict[str, User]) -> None:
    # The outsider, and a member whose organisation was deactivated.
    assert (
        _register(client_for(staff["lena"]), cast.nina, cast, "kontaktperson-lonn").status_code
        == 200
    )
    cast.fjordetaten.is_active = False
    cast.fjordetaten.save()
    assert (
        _register(client_for(staff["siv"]), cast.per, cast, "kontaktperson-lonn").status_code == 200
    )
    assert not RoleAssignment.objects.exists()


def test_ending_a_contact_role_needs_a_reason_and_records_a_new_version(
    cast: Cast, staff: dict[str, User]
) -> None:
    assignment = grant(cast.per, cast.fjordetaten, "kontaktperson-lonn")
    url = f"/admin/portal/roleassignment/{assignment.pk}/avslutt/"
    client = client_for(staff["lena"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"valid_to": "31.12.2024", "reason": ""}).status_code == 400
    assert client.post(url, {"valid_to": "31.12.2024", "reason": "Sluttet"}).status_code == 302
    newest = RoleAssignment.objects.latest_version_of(assignment)
    assert newest.valid_to == dt.date(2024, 12, 31)
    assert newest.evidence == "Sluttet"
    # The other team may not, nor anyone end an authority here.
    assert client_for(staff["rolf"]).get(url).status_code == 404
    fullmakt = grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    response = client.post(
        f"/admin/portal/roleassignment/{fullmakt.pk}/avslutt/",
        {"valid_to": "31.12.2024", "reason": "Sluttet"},
    )
    assert response.status_code == 400
    assert RoleAssignment.objects.latest_version_of(fullmakt).valid_to is None


def test_the_bulk_end_action_is_gone(cast: Cast, staff: dict[str, User]) -> None:
    fullmakt = grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    client_for(staff["siv"]).post(
        "/admin/portal/roleassignment/",
        {"action": "end_today", "_selected_action": [fullmakt.pk]},
    )
    assert RoleAssignment.objects.latest_version_of(fullmakt).valid_to is None


# --- memberships through their services ------------------------------------------------


def test_staff_add_and_end_memberships_with_an_audit_row(
    cast: Cast, staff: dict[str, User]
) -> None:
    newcomer = make_user("nils")
    client = client_for(staff["lena"])
    response = client.post(
        "/admin/portal/membership/add/",
        {"user": newcomer.pk, "organisation": cast.fjordetaten.pk, "reason": "Ny ansatt"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=newcomer)
    assert AuditEvent.objects.filter(action="membership.added", actor=staff["lena"]).exists()
    client.post(f"/admin/portal/membership/{membership.pk}/delete/", {"post": "yes"})
    assert not Membership.objects.filter(user=newcomer).exists()
    assert AuditEvent.objects.filter(action="membership.ended").exists()


def test_staff_cannot_make_themselves_members(cast: Cast, staff: dict[str, User]) -> None:
    response = client_for(staff["lena"]).post(
        "/admin/portal/membership/add/",
        {"user": staff["lena"].pk, "organisation": cast.fjordetaten.pk},
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(user=staff["lena"]).exists()


# --- every admin is team-scoped ---------------------------------------------------------


def test_every_registered_admin_is_team_scoped() -> None:
    unscoped = [
        type(model_admin).__name__
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in {"portal", "cases", "access"}
        and not isinstance(model_admin, TeamScopedAdmin)
    ]
    assert unscoped == []


def test_staff_in_no_team_see_nothing_in_any_admin(
    cast: Cast, staff: dict[str, User], admin_rows: None
) -> None:
    ugo = staff["ugo"]
    ugo.user_permissions.set(
        __import__("django.contrib.auth.models", fromlist=["Permission"]).Permission.objects.filter(
            codename__startswith="view_"
        )
    )
    client = client_for(ugo)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"portal", "cases", "access"}:
            continue
        request = _request(ugo)
        assert not model_admin.get_queryset(request).exists(), model.__name__
    assert client.get("/admin/").status_code == 200


def _request(user: User):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.fixture
def admin_rows(cast: Cast) -> None:
    """At least one row of each area in every admin's table."""
    from access.models import System
    from tests.cases_helpers import make_case

    grant(cast.per, cast.fjordetaten, "kontaktperson-lonn")
    grant(cast.per, cast.fjordetaten, "kontaktperson-regnskap")
    make_case(cast.fjordetaten, cast.per, "lonn")
    make_case(cast.fjordetaten, cast.per, "regnskap")
    assert System.objects.exists()


@pytest.mark.parametrize(
    ("path", "payroll_text", "accounting_text"),
    [
        ("/admin/cases/case/", "Lønnssak", "Regnskapssak"),
        ("/admin/cases/subjectarea/", "Lønnskjøring", "Årsoppgjør"),
        ("/admin/portal/roleassignment/", "Kontaktperson lønn", "Kontaktperson regnskap"),
        ("/admin/portal/contactcentre/", "Kundesenter for lønn", "Kundesenter for regnskap"),
        ("/admin/access/system/", "Lønnssystemet", "Regnskapssystemet"),
    ],
)
def test_a_team_sees_its_own_areas_rows_only(
    cast: Cast, staff: dict[str, User], path: str, payroll_text: str, accounting_text: str
) -> None:
    from django.contrib.auth.models import Permission

    from tests.cases_helpers import make_case

    grant(cast.per, cast.fjordetaten, "kontaktperson-lonn")
    grant(cast.per, cast.fjordetaten, "kontaktperson-regnskap")
    make_case(cast.fjordetaten, cast.per, "lonn", title="Lønnssak")
    make_case(cast.fjordetaten, cast.per, "regnskap", title="Regnskapssak")
    views = Permission.objects.filter(codename__startswith="view_")
    for name in ("lena", "rolf"):
        staff[name].user_permissions.set(views)
    lena = _results(client_for(staff["lena"]).get(path).content.decode())
    rolf = _results(client_for(staff["rolf"]).get(path).content.decode())
    assert payroll_text in lena
    assert accounting_text not in lena
    assert accounting_text in rolf
    assert payroll_text not in rolf


def _results(html: str) -> str:
    """The change list's table of rows (not its filters)."""
    return html.split('id="result_list"')[1].split("</table>")[0]


def test_customers_never_reach_the_admin(cast: Cast) -> None:
    for user in (cast.per, cast.nina):  # the plain member and the outsider
        response = client_for(user).get("/admin/portal/roleassignment/add/")
        assert response.status_code == 302
        assert client_for(user).post(ADD, {}).status_code == 302
    assert not RoleAssignment.objects.exists()


# --- every admin shows a team its own rows, and only those ------------------------------


@pytest.fixture
def two_sides(cast: Cast, staff: dict[str, User]) -> dict[type, tuple[Any, ...]]:
    """For every admin's model, a row of the payroll side and one of the accounting side."""
    import datetime as dt

    from access.models import (
        AccessGrant,
        Appointment,
        FullmaktSubmission,
        Order,
        System,
        SystemRole,
    )
    from access.ordering import LineInput, do_fulfil_line, do_submit_order
    from access.services import do_request_appointment
    from cases.models import AnswerTemplate, Attachment, Case, Message, SubjectArea
    from cases.services import do_add_message
    from portal.models import AuditEvent, ContactCentre, Organisation
    from tests.cases_helpers import make_case

    payroll_only = Organisation.objects.create(
        name="Lønnsetaten", org_number="981000037", slug="lonnsetaten", buys_accounting=False
    )
    accounting_only = Organisation.objects.create(
        name="Regnskapsetaten", org_number="981000045", slug="regnskapsetaten", buys_payroll=False
    )
    lars = make_user("lars", payroll_only)
    rita = make_user("rita", accounting_only)
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    grant(cast.mona, cast.fjordetaten, RoleType.ACCOUNTING_ORDERER)
    payroll_case = make_case(cast.fjordetaten, cast.per, "lonn", title="Lønnssak")
    accounting_case = make_case(cast.fjordetaten, cast.per, "regnskap", title="Regnskapssak")
    appointments = [
        do_request_appointment(
            actor=actor,
            organisation=cast.fjordetaten,
            area=area,
            action=Appointment.Action.APPOINT,
            person=cast.per,
            valid_from=dt.date(2030, 1, 1),
        )
        for actor, area in ((cast.kari, "lonn"), (cast.mona, "regnskap"))
    ]
    orders = [
        do_submit_order(
            actor=actor,
            organisation=cast.fjordetaten,
            area=area,
            lines=[
                LineInput(
                    system_role=SystemRole.objects.get(code=code),
                    action="grant",
                    valid_from=dt.date(2030, 1, 1),
                    person=cast.eva,
                )
            ],
        )
        for actor, area, code in (
            (cast.kari, "lonn", "lonnsmedarbeider"),
            (cast.mona, "regnskap", "attestant"),
        )
    ]
    for order in orders:
        do_fulfil_line(actor=staff["siv"], line=order.lines.get(), done=True)
    submissions = [
        FullmaktSubmission.objects.create(
            case=case,
            organisation=cast.fjordetaten,
            signed_attachment=make_case(
                cast.fjordetaten, cast.per, case.category, with_attachment=True
            ).attachments.get(),
            signed_sha256="0" * 64,
            submitted_by=cast.per,
        )
        for case in (payroll_case, accounting_case)
    ]
    return {
        User: (lars, rita),
        Organisation: (payroll_only, accounting_only),
        Membership: (lars.memberships.get(), rita.memberships.get()),
        ContactCentre: tuple(ContactCentre.objects.get(area=a) for a in ("lonn", "regnskap")),
        RoleType: tuple(
            RoleType.objects.get(code=c) for c in ("kontaktperson-lonn", "kontaktperson-regnskap")
        ),
        RoleAssignment: (
            grant(cast.per, cast.fjordetaten, "kontaktperson-lonn"),
            grant(cast.per, cast.fjordetaten, "kontaktperson-regnskap"),
        ),
        AuditEvent: (
            AuditEvent.objects.create(organisation=payroll_only, action="x", summary="lønn"),
            AuditEvent.objects.create(organisation=accounting_only, action="x", summary="regn"),
        ),
        SubjectArea: (
            SubjectArea.objects.filter(category="lonn").first(),
            SubjectArea.objects.filter(category="regnskap").first(),
        ),
        Case: (payroll_case, accounting_case),
        Message: tuple(
            do_add_message(actor=cast.per, case=case, body=f"Melding om {case.title}")
            for case in (payroll_case, accounting_case)
        ),
        Attachment: tuple(submission.signed_attachment for submission in submissions),
        Appointment: tuple(appointments),
        Order: tuple(orders),
        System: tuple(System.objects.get(code=c) for c in ("lonnssystem", "regnskapssystem")),
        SystemRole: tuple(SystemRole.objects.get(code=c) for c in ("lonnsleder", "attestant")),
        AccessGrant: tuple(AccessGrant.objects.get(order_line__order=o) for o in orders),
        FullmaktSubmission: tuple(submissions),
        # The seeded templates, or new ones where a transactional test flushed them.
        AnswerTemplate: tuple(
            AnswerTemplate.objects.get_or_create(area=a, name_nb=f"Svar {a}", body="Hei")[0]
            for a in AREAS
        ),
    }


AREAS = ("lonn", "regnskap")
SHARED = {"Feedback"}  # anonymous answers about pages both teams serve


def test_every_admin_shows_a_team_only_its_own_rows(
    cast: Cast, staff: dict[str, User], two_sides: dict[type, tuple[Any, ...]]
) -> None:
    checked = set()
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"portal", "cases", "access"}:
            continue
        if model.__name__ in SHARED:
            continue
        payroll_row, accounting_row = two_sides[model]
        for who, own, other in (
            ("lena", payroll_row, accounting_row),
            ("rolf", accounting_row, payroll_row),
        ):
            rows = model_admin.get_queryset(_request(staff[who]))
            assert rows.filter(pk=own.pk).exists(), (model.__name__, who)
            assert not rows.filter(pk=other.pk).exists(), (model.__name__, who)
        everything = model_admin.get_queryset(_request(make_superuser(model.__name__)))
        assert everything.filter(pk__in=[payroll_row.pk, accounting_row.pk]).count() == 2
        checked.add(model.__name__)
    assert len(checked) >= 15


def make_superuser(suffix: str) -> User:
    return make_user(f"boss-{suffix.lower()}", is_staff=True, is_superuser=True)


# --- refusals the services make, through the admin ---------------------------------------


def test_staff_cannot_change_their_own_access_in_the_admin(cast: Cast) -> None:
    from django.contrib.auth.models import Permission

    boss = make_user("boss", is_staff=True, is_superuser=True)
    data = {
        "username": "boss",
        "first_name": "Boss",
        "last_name": "Testesen",
        "email": "boss@example.no",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "10:00:00",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    client_for(boss).post(f"/admin/portal/user/{boss.pk}/change/", data)  # drops superuser
    boss.refresh_from_db()
    assert boss.is_superuser
    assert Permission.objects.exists()
    assert not AuditEvent.objects.filter(action="user.changed").exists()


def test_changing_an_organisation_in_the_admin_is_audited(cast: Cast) -> None:
    boss = make_user("boss", is_staff=True, is_superuser=True)
    data = {
        "name": "Fjordetaten",
        "org_number": cast.fjordetaten.org_number,
        "slug": "fjordetaten",
        "buys_payroll": "on",
        "buys_accounting": "on",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = client_for(boss).post(
        f"/admin/portal/organisation/{cast.fjordetaten.pk}/change/", data
    )
    assert response.status_code == 302
    cast.fjordetaten.refresh_from_db()
    assert not cast.fjordetaten.is_active  # deactivated: its members are shut out
    event = AuditEvent.objects.get(action="organisation.changed")
    assert event.before == {"is_active": True}
    assert event.after == {"is_active": False}


def test_the_role_types_the_rules_name_keep_their_kind(cast: Cast) -> None:
    boss = make_user("boss", is_staff=True, is_superuser=True)
    fullmakt = RoleType.objects.get(code=RoleType.FULLMAKT)
    client = client_for(boss)
    client.post(
        f"/admin/portal/roletype/{fullmakt.pk}/change/",
        {
            "code": "fullmakt",
            "name_nb": "Fullmakt",
            "name_en": "Power of attorney (fullmakt)",
            "kind": "contact",  # would let staff register it
            "area": "",
            "position": "50",
            "is_active": "on",
        },
    )
    fullmakt.refresh_from_db()
    assert fullmakt.kind == RoleType.Kind.AUTHORITY
    assert (
        client.post(f"/admin/portal/roletype/{fullmakt.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


def test_saving_an_organisation_unchanged_is_recorded_as_a_change_not_an_addition(
    cast: Cast,
) -> None:
    from portal.services import do_update_organisation

    boss = make_user("boss", is_staff=True, is_superuser=True)
    do_update_organisation(actor=boss, organisation=cast.fjordetaten, changed=[])
    assert AuditEvent.objects.get().action == "organisation.changed"
