"""Support staff in the admin: teams see their own category, answer, note, set status, register."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from cases.models import Case, Message
from tests.cases_helpers import make_case, subject_area
from tests.conftest import Cast, client_for, make_user


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def teams(cast: Cast) -> dict[str, object]:
    payroll_team, _ = Group.objects.get_or_create(name="Team lønn")
    accounting_team, _ = Group.objects.get_or_create(name="Team regnskap")
    cast.siv.groups.set([payroll_team])
    rolf = make_user("rolf", is_staff=True)
    rolf.groups.add(accounting_team)
    return {"siv": cast.siv, "rolf": rolf}


@pytest.fixture
def cases(cast: Cast) -> dict[str, Case]:
    return {
        "payroll": make_case(cast.fjordetaten, cast.per, "lonn", title="Lønnssak"),
        "accounting": make_case(cast.fjordetaten, cast.per, "regnskap", title="Regnskapssak"),
    }


def _answer(body: str, kind: str = "svar", handling: str = "svar") -> dict[str, str]:
    """The desk's answer box (cases/desk.py) as a browser sends it."""
    return {"handling": handling, "kind": kind, "body": body}


def _work(case: Case, **overrides: object) -> dict[str, object]:
    """The desk's "Work the case" form: status, assignee, subject area."""
    data: dict[str, object] = {
        "handling": "arbeid",
        "status": case.status,
        "assigned_to": case.assigned_to_id or "",
        "subject_area": case.subject_area_id,
    }
    data.update(overrides)
    return data


def test_payroll_team_sees_only_payroll_cases(cast: Cast, teams: dict, cases: dict) -> None:
    html = client_for(cast.siv).get("/admin/cases/case/").content.decode()
    assert "Lønnssak" in html
    assert "Regnskapssak" not in html
    other = client_for(teams["rolf"]).get("/admin/cases/case/").content.decode()
    assert "Regnskapssak" in other
    assert "Lønnssak" not in other


def test_team_cannot_open_the_other_teams_case(cast: Cast, teams: dict, cases: dict) -> None:
    response = client_for(cast.siv).get(f"/admin/cases/case/{cases['accounting'].pk}/change/")
    assert response.status_code == 302  # the admin's "does not exist" redirect


def test_superuser_sees_all(cast: Cast, cases: dict) -> None:
    boss = make_user("boss", is_staff=True, is_superuser=True)
    html = client_for(boss).get("/admin/cases/case/").content.decode()
    assert "Lønnssak" in html
    assert "Regnskapssak" in html


def test_staff_answer_in_admin_emails_the_customer_without_content(
    cast: Cast, teams: dict, cases: dict, run_jobs
) -> None:
    case = cases["payroll"]
    response = client_for(cast.siv).post(
        f"/admin/cases/case/{case.pk}/change/", _answer("Vi har rettet trekket.")
    )
    run_jobs()
    assert response.status_code == 302, response.content.decode()[:2000]
    message = Message.objects.get(case=case)
    assert message.from_staff
    assert message.author == cast.siv
    assert len(mail.outbox) == 1
    assert "Vi har rettet trekket." not in mail.outbox[0].body


def test_internal_note_in_admin_is_hidden_and_silent(
    cast: Cast, teams: dict, cases: dict, run_jobs
) -> None:
    case = cases["payroll"]
    client_for(cast.siv).post(
        f"/admin/cases/case/{case.pk}/change/", _answer("Intern vurdering", kind="notat")
    )
    run_jobs()
    assert Message.objects.get(case=case).is_internal
    assert mail.outbox == []
    assert (
        "Intern vurdering"
        not in client_for(cast.per).get(f"/saker/{case.number}/").content.decode()
    )


def test_status_change_in_admin_is_kept_in_history(cast: Cast, teams: dict, cases: dict) -> None:
    case = cases["payroll"]
    client_for(cast.siv).post(
        f"/admin/cases/case/{case.pk}/change/", _work(case, status="under_arbeid")
    )
    case.refresh_from_db()
    assert case.status == "under_arbeid"
    last = case.status_changes.last()
    assert last is not None
    assert (last.from_status, last.to_status, last.changed_by) == (
        "aktiv",
        "under_arbeid",
        cast.siv,
    )


def test_staff_register_a_phone_case_on_behalf_of_a_customer(cast: Cast, teams: dict) -> None:
    response = client_for(cast.siv).post(
        "/admin/cases/case/add/",
        {
            "organisation": cast.fjordetaten.pk,
            "reported_by": cast.per.pk,
            "channel": "telefon",
            "subject_area": subject_area("lonn").pk,
            "title": "Ringte om feriepenger",
            "description": "Kunden ringte.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get(title="Ringte om feriepenger")
    assert case.channel == "telefon"
    assert case.reported_by == cast.per
    assert case.registered_by == cast.siv
    assert client_for(cast.per).get(f"/saker/{case.number}/").status_code == 200


def test_reporter_must_be_a_member_of_the_organisation(cast: Cast, teams: dict) -> None:
    response = client_for(cast.siv).post(
        "/admin/cases/case/add/",
        {
            "organisation": cast.fjordetaten.pk,
            "reported_by": cast.nina.pk,
            "channel": "epost",
            "subject_area": subject_area("lonn").pk,
            "title": "Feil person",
            "description": "x",
        },
    )
    assert response.status_code == 200
    assert not Case.objects.filter(title="Feil person").exists()


def test_staff_of_one_team_cannot_register_in_the_other(cast: Cast, teams: dict) -> None:
    client_for(teams["rolf"]).post(
        "/admin/cases/case/add/",
        {
            "organisation": cast.fjordetaten.pk,
            "reported_by": cast.per.pk,
            "channel": "epost",
            "subject_area": subject_area("lonn").pk,
            "title": "Lønn fra regnskapsteamet",
            "description": "x",
        },
    )
    assert not Case.objects.filter(title="Lønn fra regnskapsteamet").exists()


def test_customers_and_outsiders_cannot_reach_the_case_admin(cast: Cast, cases: dict) -> None:
    for user in (cast.per, cast.nina):
        assert client_for(user).get("/admin/cases/case/").status_code == 302


def test_staff_download_attachment_through_admin_checks_team(cast: Cast, teams: dict) -> None:
    case = make_case(cast.fjordetaten, cast.per, "regnskap", with_attachment=True)
    attachment = case.attachments.get()
    url = f"/admin/cases/case/{case.pk}/vedlegg/{attachment.pk}/"
    assert client_for(teams["rolf"]).get(url).status_code == 200
    assert client_for(cast.siv).get(url).status_code == 404


def test_case_list_filters_by_team_status_and_organisation(
    cast: Cast, teams: dict, cases: dict
) -> None:
    make_case(cast.kystdir, cast.nina, "lonn", title="Kystsak")
    client = client_for(cast.siv)
    by_org = client.get(f"/admin/cases/case/?organisation__id__exact={cast.kystdir.pk}")
    assert "Kystsak" in by_org.content.decode()
    assert "Lønnssak" not in by_org.content.decode()
    by_status = client.get("/admin/cases/case/?status__exact=avsluttet").content.decode()
    assert "Lønnssak" not in by_status
    by_team = client.get("/admin/cases/case/?category__exact=lonn").content.decode()
    assert "Lønnssak" in by_team


# --- the admin is a client of the services (issue 12) ----------------------------------


def test_the_customers_title_and_description_are_never_edited_in_the_admin(
    cast: Cast, teams: dict, cases: dict
) -> None:
    case = cases["payroll"]
    client_for(cast.siv).post(
        f"/admin/cases/case/{case.pk}/change/",
        {**_work(case), "title": "Staff rewrote it", "description": "Staff rewrote it"},
    )
    case.refresh_from_db()
    assert case.title == "Lønnssak"
    assert case.description != "Staff rewrote it"


def test_a_case_is_not_assigned_to_someone_of_the_other_team(
    cast: Cast, teams: dict, cases: dict
) -> None:
    case = cases["payroll"]
    response = client_for(cast.siv).post(
        f"/admin/cases/case/{case.pk}/change/", _work(case, assigned_to=teams["rolf"].pk)
    )
    assert response.status_code == 400  # the form again, saying why
    case.refresh_from_db()
    assert case.assigned_to is None


def test_assigning_and_correcting_the_subject_area_leave_an_audit_row(
    cast: Cast, teams: dict, cases: dict
) -> None:
    from portal.models import AuditEvent

    case = cases["payroll"]
    from cases.models import SubjectArea

    other_area = SubjectArea.objects.filter(category="lonn").exclude(pk=case.subject_area_id)[0]
    response = client_for(cast.siv).post(
        f"/admin/cases/case/{case.pk}/change/",
        _work(case, assigned_to=cast.siv.pk, subject_area=other_area.pk),
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.assigned_to, case.subject_area) == (cast.siv, other_area)
    event = AuditEvent.objects.get(action="case.changed")
    assert event.after == {"subject_area": other_area.pk, "assigned_to": cast.siv.pk}


def test_the_other_teams_case_cannot_be_answered_through_the_service(
    cast: Cast, teams: dict, cases: dict
) -> None:
    from cases.services import do_add_message, do_change_status
    from portal.services import Refused

    with pytest.raises(Refused):
        do_add_message(actor=teams["rolf"], case=cases["payroll"], body="Feil team")
    with pytest.raises(Refused):
        do_change_status(actor=teams["rolf"], case=cases["payroll"], status=Case.Status.CLOSED)
    assert not Message.objects.exists()


def test_cases_are_never_deleted_in_the_admin(cast: Cast, teams: dict, cases: dict) -> None:
    boss = make_user("boss", is_staff=True, is_superuser=True)
    case = cases["payroll"]
    response = client_for(boss).post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Case.objects.filter(pk=case.pk).exists()


def test_the_admin_offers_no_delete_of_a_case(cast: Cast, cases: dict[str, Case]) -> None:
    # A case's messages and status history are append-only: the admin offers no delete.
    boss = make_user("boss2", is_staff=True, is_superuser=True)
    case = cases["payroll"]
    client = client_for(boss)
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    assert f"/admin/cases/case/{case.pk}/delete/" not in page.content.decode()
    listing = client.get("/admin/cases/case/")
    assert "delete_selected" not in listing.content.decode()
