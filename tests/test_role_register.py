"""The role register: effective-dated, append-only, answering dated questions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, transaction

from portal.dates import OSLO
from portal.models import AuditEvent, RoleAssignment, RoleType
from portal.services import do_end_role, do_retract_role
from tests.conftest import Cast, client_for, grant


def _at(day: str, clock: str = "12:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=OSLO)


# The app role may not UPDATE or DELETE these tables ("permission denied"), and
# the trigger refuses anyone who may ("append-only"): tests/test_database_roles.py.
REFUSED = "permission denied|append-only"


def test_database_refuses_update_and_delete_of_assignments(cast: Cast) -> None:
    assignment = grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        RoleAssignment.objects.filter(pk=assignment.pk).update(valid_to=dt.date(2030, 1, 1))
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        RoleAssignment.objects.filter(pk=assignment.pk).delete()
    assert RoleAssignment.objects.get(pk=assignment.pk).valid_to is None


def test_database_refuses_update_and_delete_of_audit_events(cast: Cast) -> None:
    grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    event = AuditEvent.objects.get()
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="endret")
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_ending_records_a_new_version_and_keeps_the_old(cast: Cast) -> None:
    first = grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL, dt.date(2021, 1, 1))
    ended = do_end_role(
        actor=cast.siv,
        assignment=first,
        valid_to=dt.date(2022, 6, 30),
        basis=RoleAssignment.Basis.STAFF,
    )
    assert RoleAssignment.objects.filter(lineage=first.lineage).count() == 2
    assert ended.supersedes == first
    held = RoleAssignment.objects.newest_versions()
    assert list(held.held_on(dt.date(2022, 6, 30))) == [ended]
    assert list(held.held_on(dt.date(2022, 7, 1))) == []
    assert AuditEvent.objects.filter(action="role.ended").count() == 1


def test_held_on_as_recorded_at_for_backdated_and_corrected_assignments(cast: Cast) -> None:
    # Recorded 12.11.2022 but back-dated to start 01.10.2022.
    backdated = grant(
        cast.ola,
        cast.fjordetaten,
        RoleType.FULLMAKT,
        dt.date(2022, 10, 1),
        recorded_at=_at("2022-11-12", "09:00"),
    )
    register = RoleAssignment.objects.all()
    # On 15.10.2022 as the register knew it on 11.11.2022: not yet recorded.
    assert not register.as_recorded_at(_at("2022-11-11", "23:59")).held_on(dt.date(2022, 10, 15))
    # As known now, it held on 15.10.2022.
    assert list(register.newest_versions().held_on(dt.date(2022, 10, 15))) == [backdated]

    # Corrected on 20.11.2022: it was registered by mistake.
    with_time = RoleAssignment.objects.create(
        lineage=backdated.lineage,
        person=backdated.person,
        organisation=backdated.organisation,
        role=backdated.role,
        valid_from=backdated.valid_from,
        retracted=True,
        recorded_at=_at("2022-11-20"),
        basis=RoleAssignment.Basis.STAFF,
        supersedes=backdated,
    )
    as_of_15_nov = register.as_recorded_at(_at("2022-11-15")).held_on(dt.date(2022, 10, 15))
    assert list(as_of_15_nov) == [backdated]
    assert not register.as_recorded_at(_at("2022-11-21")).held_on(dt.date(2022, 10, 15))
    assert not register.newest_versions().held_on(dt.date(2022, 10, 15))
    assert with_time.retracted


def test_retraction_through_the_service_is_audited(cast: Cast) -> None:
    mistake = grant(cast.per, cast.fjordetaten, RoleType.FULLMAKT)
    do_retract_role(actor=cast.siv, assignment=mistake, evidence="Feil person")
    assert not RoleAssignment.objects.held_today().filter(person=cast.per).exists()
    event = AuditEvent.objects.get(action="role.retracted")
    assert event.before is not None
    assert event.after is not None
    assert event.before["retracted"] is False
    assert event.after["retracted"] is True
    assert event.actor == cast.siv


def test_staff_register_a_contact_person_in_the_admin(cast: Cast) -> None:
    role = RoleType.objects.get(code="kontaktperson-lonn")
    response = client_for(cast.siv).post(
        "/admin/portal/roleassignment/add/",
        {
            "person": cast.per.pk,
            "organisation": cast.fjordetaten.pk,
            "role": role.pk,
            "valid_from": "01.01.2022",
            "reason": "Meldt på telefon",
        },
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(person=cast.per)
    assert assignment.recorded_by == cast.siv
    assert assignment.basis == RoleAssignment.Basis.STAFF
    assert assignment.evidence == "Meldt på telefon"
    assert AuditEvent.objects.filter(action="role.assigned", actor=cast.siv).exists()


def test_admin_refuses_role_for_a_non_member(cast: Cast) -> None:
    role = RoleType.objects.get(code="kontaktperson-lonn")
    response = client_for(cast.siv).post(
        "/admin/portal/roleassignment/add/",
        {
            "person": cast.nina.pk,
            "organisation": cast.fjordetaten.pk,
            "role": role.pk,
            "valid_from": "01.01.2022",
            "reason": "Meldt på telefon",
        },
    )
    assert response.status_code == 200
    assert not RoleAssignment.objects.exists()


def test_customers_cannot_reach_the_role_admin(cast: Cast) -> None:
    for user in (cast.per, cast.kari, cast.nina):
        assert client_for(user).get("/admin/portal/roleassignment/").status_code == 302


def test_staff_export_the_audit_trail_to_excel(cast: Cast) -> None:
    import io

    from openpyxl import load_workbook

    from tests.cases_helpers import bytes_of

    cast.siv.is_superuser = True
    cast.siv.save()
    grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    event = AuditEvent.objects.get()
    response = client_for(cast.siv).post(
        "/admin/portal/auditevent/",
        {"action": "export_excel", "_selected_action": [event.pk]},
    )
    assert response.status_code == 200
    rows = list(
        load_workbook(io.BytesIO(bytes_of(response))).worksheets[0].iter_rows(values_only=True)
    )
    assert len(rows) == 2
    assert rows[1][1] in {"Rolle registrert", "Role registered"}  # the label, not the code
    assert rows[1][4] in {"Systemet", "The system"}


def test_admin_lists_organisations_without_an_orderer(cast: Cast) -> None:
    cast.siv.is_superuser = True
    cast.siv.save()
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    html = (
        client_for(cast.siv).get("/admin/portal/organisation/?uten_bestiller=lonn").content.decode()
    )
    assert "Kystdirektoratet" in html
    assert "Fjordetaten" not in html.split('id="result_list"')[1]
