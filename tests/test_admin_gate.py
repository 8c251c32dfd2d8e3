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
