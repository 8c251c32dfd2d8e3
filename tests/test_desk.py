"""The support desk: the team's queue as the admin's start page, and the case page.

Lena and Lars work in Team lønn, Rolf in Team regnskap, Ugo is staff in no team;
Per is a plain member of Fjordetaten and Nina of another organisation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.models import AnswerTemplate, Case, CaseChange, Message, QueueCount, SubjectArea
from cases.services import do_add_message, do_change_status, do_update_case_by_staff
from portal.models import Area, User
from portal.teams import TEAM_GROUPS
from tests.cases_helpers import make_case, pdf
from tests.conftest import Cast, client_for, make_user


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(cast: Cast) -> dict[str, User]:
    def member(username: str, area: Area | None) -> User:
        user = make_user(username, is_staff=True)
        if area is not None:
            user.groups.add(Group.objects.get(name=TEAM_GROUPS[area]))
        return user

    return {
        "lena": member("lena", Area.PAYROLL),
        "lars": member("lars", Area.PAYROLL),
        "rolf": member("rolf", Area.ACCOUNTING),
        "ugo": member("ugo", None),
    }


@pytest.fixture
def template() -> AnswerTemplate:
    return AnswerTemplate.objects.create(
        area="lonn",
        name_nb="Lønnsmal i test",
        name_nn="Treng meir",
        body="Hei {kunde}, vi trenger mer i sak {saksnummer}.",
    )


def text(response) -> str:
    return response.content.decode()


def answer(case: Case, **fields: object) -> dict[str, object]:
    return {"handling": "svar", "kind": "svar", "body": "", **fields}


# ---------------------------------------------------------------- the queue


def test_the_queue_is_the_start_page_of_a_team_with_its_open_cases_only(
    cast: Cast, staff: dict[str, User]
) -> None:
    make_case(cast.fjordetaten, cast.per, "lonn", title="Åpen lønnssak")
    make_case(cast.fjordetaten, cast.per, "regnskap", title="Åpen regnskapssak")
    closed = make_case(cast.fjordetaten, cast.per, "lonn", title="Lukket lønnssak")
    do_change_status(actor=staff["lena"], case=closed, status=Case.Status.CLOSED)

    page = text(client_for(staff["lena"]).get("/admin/"))
    assert "Åpen lønnssak" in page
    assert "Åpen regnskapssak" not in page
    assert "Lukket lønnssak" not in page
    other = text(client_for(staff["rolf"]).get("/admin/"))
    assert "Åpen regnskapssak" in other
    assert "Åpen lønnssak" not in other


def test_staff_in_no_team_customers_and_outsiders_get_no_queue(
    cast: Cast, staff: dict[str, User]
) -> None:
    make_case(cast.fjordetaten, cast.per, "lonn", title="Åpen lønnssak")
    no_team = client_for(staff["ugo"]).get("/admin/")
    assert no_team.status_code == 200
    assert "Åpen lønnssak" not in text(no_team)
    for customer in (cast.per, cast.nina):
        response = client_for(customer).get("/admin/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_counts_per_view_and_status_in_one_place(cast: Cast, staff: dict[str, User]) -> None:
    lena = staff["lena"]
    mine = make_case(cast.fjordetaten, cast.per, "lonn", title="Min sak")
    do_update_case_by_staff(actor=lena, case=mine, subject_area=mine.subject_area, assigned_to=lena)
    theirs = make_case(cast.fjordetaten, cast.per, "lonn", title="Lars sin sak")
    do_update_case_by_staff(
        actor=lena, case=theirs, subject_area=theirs.subject_area, assigned_to=staff["lars"]
    )
    waiting = make_case(cast.fjordetaten, cast.per, "lonn", title="Venter lenge")
    do_change_status(actor=lena, case=waiting, status=Case.Status.WAITING_FOR_CUSTOMER)
    Case.objects.filter(pk=waiting.pk).update(status_since=timezone.now() - dt.timedelta(days=20))
    make_case(cast.fjordetaten, cast.per, "lonn", title="Ny sak")

    client = client_for(lena)
    page = text(client.get("/admin/"))

    def count(label: str, html: str = page) -> int:
        found = re.search(re.escape(label) + r'\s*<span class="desk-count">(\d+)</span>', html)
        assert found, label
        return int(found.group(1))

    assert count("Alle åpne") == 4
    assert count("Mine") == 1
    assert count("Ufordelte") == 2
    assert count("Venter på kunden i over 14 dager") == 1
    assert count("Venter på kunde") == 1
    assert count("Aktiv") == 3

    only_mine = text(client.get("/admin/?vis=mine"))
    assert "Min sak" in only_mine
    assert "Lars sin sak" not in only_mine
    long_wait = text(client.get("/admin/?vis=venter-lenge"))
    assert "Venter lenge" in long_wait
    assert "Ny sak" not in long_wait


def test_newest_customer_activity_first_and_oldest_first_on_request(
    cast: Cast, staff: dict[str, User]
) -> None:
    old = make_case(cast.fjordetaten, cast.per, "lonn", title="Gammel sak")
    new = make_case(cast.fjordetaten, cast.per, "lonn", title="Ny sak")
    Case.objects.filter(pk=old.pk).update(
        customer_activity_at=timezone.now() - dt.timedelta(days=9)
    )
    # A customer's message brings the old case to the top; a staff answer does not.
    do_add_message(actor=cast.per, case=old, body="Purring")
    do_add_message(actor=staff["lena"], case=new, body="Svar")

    client = client_for(staff["lena"])
    newest = text(client.get("/admin/"))
    assert newest.index("Gammel sak") < newest.index("Ny sak")
    oldest = text(client.get("/admin/?sortering=eldste"))
    assert oldest.index("Ny sak") < oldest.index("Gammel sak")


def test_bad_queue_parameters_are_ignored_never_a_500(cast: Cast, staff: dict[str, User]) -> None:
    make_case(cast.fjordetaten, cast.per, "lonn", title="Åpen lønnssak")
    client = client_for(staff["lena"])
    for query in ("vis=alt", "status=avsluttet", "kategori=regnskap", "side=x", "side=999"):
        response = client.get(f"/admin/?{query}")
        assert response.status_code == 200, query
        assert "Åpen lønnssak" in text(response), query


def test_pending_decisions_are_counted_on_the_queue(cast: Cast, staff: dict[str, User]) -> None:
    page = text(client_for(staff["lena"]).get("/admin/"))
    assert "Venter på avgjørelse" in page
    assert "/admin/access/order/?avgjort=nei" in page
    assert "/admin/access/fullmaktsubmission/?tilstand=submitted" in page


# ---------------------------------------------------------------- the case page


def test_queue_to_answered_case_and_back_to_the_same_place(
    cast: Cast, staff: dict[str, User], run_jobs
) -> None:
    case = make_case(cast.fjordetaten, cast.per, "lonn", title="Trekk mangler")
    client = client_for(staff["lena"])
    queue = text(client.get("/admin/?status=aktiv&sortering=eldste"))
    link = re.search(r'href="(/admin/cases/case/\d+/change/\?next=[^"]+)"', queue)
    assert link, "the queue links to the case with its own place"
    case_page = client.get(link.group(1).replace("&amp;", "&"))
    assert case_page.status_code == 200
    assert "Trekk mangler" in text(case_page)

    response = client.post(
        link.group(1).replace("&amp;", "&"),
        answer(
            case,
            body="Kan du sende lønnsslippen?",
            handling="svar_venter",
            attachments=[pdf("brev.pdf")],
            next="/admin/?status=aktiv&sortering=eldste",
        ),
    )
    run_jobs()
    assert response.status_code == 302
    assert response["Location"] == "/admin/?status=aktiv&sortering=eldste"
    case.refresh_from_db()
    assert case.status == Case.Status.WAITING_FOR_CUSTOMER
    message = Message.objects.get(case=case)
    assert (message.from_staff, message.is_internal, message.author) == (True, False, staff["lena"])
    assert [a.name for a in message.attachments.all()] == ["brev.pdf"]
    assert len(mail.outbox) == 1  # one event, one e-mail
    assert "lønnsslippen" not in mail.outbox[0].body
    customer_view = text(client_for(cast.per).get(f"/saker/{case.number}/"))
    assert "Kan du sende lønnsslippen?" in customer_view
    assert "brev.pdf" in customer_view


def test_an_answer_refused_keeps_what_was_typed_and_stores_nothing(
    cast: Cast, staff: dict[str, User]
) -> None:
    case = make_case(cast.fjordetaten, cast.per, "lonn")
    client = client_for(staff["lena"])
    program = SimpleUploadedFile("faktura.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    response = client.post(
        f"/admin/cases/case/{case.pk}/change/",
        answer(case, body="Svar med «feil» vedlegg", attachments=[program]),
    )
    assert response.status_code == 400
    page = text(response)
    assert "Svar med «feil» vedlegg" in page
    assert "Ingenting ble lagret" in page
    assert not Message.objects.filter(case=case).exists()
    assert not case.attachments.exists()

    empty = client.post(f"/admin/cases/case/{case.pk}/change/", answer(case, body="   "))
    assert empty.status_code == 400
    assert "Skriv svaret eller notatet." in text(empty)


def test_an_internal_note_cannot_set_waiting_for_customer(
    cast: Cast, staff: dict[str, User]
) -> None:
    case = make_case(cast.fjordetaten, cast.per, "lonn")
    response = client_for(staff["lena"]).post(
        f"/admin/cases/case/{case.pk}/change/",
        answer(case, kind="notat", body="Intern tanke", handling="svar_venter"),
    )
    assert response.status_code == 400
    assert "Intern tanke" in text(response)
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    assert not Message.objects.filter(case=case).exists()


def test_an_internal_note_and_close_in_one_step(cast: Cast, staff: dict[str, User]) -> None:
    case = make_case(cast.fjordetaten, cast.per, "lonn")
    response = client_for(staff["lena"]).post(
        f"/admin/cases/case/{case.pk}/change/",
        answer(case, kind="notat", body="Dobbeltsak", handling="svar_avslutt"),
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert Message.objects.get(case=case).is_internal
    assert mail.outbox == []


def test_a_template_is_inserted_after_the_typed_text_without_javascript(
    cast: Cast, staff: dict[str, User], template: AnswerTemplate
) -> None:
    case = make_case(cast.fjordetaten, cast.per, "lonn")
    response = client_for(staff["lena"]).post(
        f"/admin/cases/case/{case.pk}/change/",
        {"handling": "mal", "kind": "svar", "template": template.pk, "body": "Først dette."},
    )
    assert response.status_code == 200
    page = text(response)
    assert f"Først dette.\n\nHei Per Testesen, vi trenger mer i sak {case.number}." in page
    assert not Message.objects.filter(case=case).exists()


def test_templates_belong_to_their_team(
    cast: Cast, staff: dict[str, User], template: AnswerTemplate
) -> None:
    case = make_case(cast.fjordetaten, cast.per, "regnskap")
    client = client_for(staff["rolf"])
    assert "Lønnsmal i test" not in text(client.get(f"/admin/cases/case/{case.pk}/change/"))
    response = client.post(
        f"/admin/cases/case/{case.pk}/change/",
        {"handling": "mal", "kind": "svar", "template": template.pk, "body": "Hei"},
    )
    assert response.status_code == 400
    assert "Hei</textarea>" in text(response)
    listing = text(client.get("/admin/cases/answertemplate/"))
    assert "Lønnsmal i test" not in listing
    assert "Lønnsmal i test" in text(client_for(staff["lena"]).get("/admin/cases/answertemplate/"))


def test_a_template_with_an_unknown_placeholder_is_refused(
    cast: Cast, staff: dict[str, User]
) -> None:
    response = client_for(staff["lena"]).post(
        "/admin/cases/answertemplate/add/",
        {
            "area": "lonn",
            "name_nb": "Feil",
            "body": "Hei {navn}",
            "position": 10,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "{navn}" in text(response)
    assert not AnswerTemplate.objects.filter(name_nb="Feil").exists()
    other_team = client_for(staff["rolf"]).post(
        "/admin/cases/answertemplate/add/",
        {"area": "lonn", "name_nb": "Snik", "body": "Hei", "position": 10},
    )
    assert other_team.status_code == 200
    assert not AnswerTemplate.objects.filter(name_nb="Snik").exists()


def test_assign_to_me_and_correct_the_subject_area_leave_history_lines_in_words(
    cast: Cast, staff: dict[str, User]
) -> None:
    case = make_case(cast.fjordetaten, cast.per, "lonn")
    other = SubjectArea.objects.filter(category="lonn").exclude(pk=case.subject_area_id).first()
    assert other is not None
    client = client_for(staff["lena"])
    url = f"/admin/cases/case/{case.pk}/change/"
    assert client.post(url, {"handling": "ta", "next": "/admin/?vis=mine"}).status_code == 302
    case.refresh_from_db()
    assert case.assigned_to == staff["lena"]
    response = client.post(
        url,
        {
            "handling": "arbeid",
            "status": "under_arbeid",
            "assigned_to": staff["lars"].pk,
            "subject_area": other.pk,
        },
    )
    assert response.status_code == 302
    assert CaseChange.objects.filter(case=case).count() == 3
    page = text(client.get(url))
    assert "Tildelt Lena Testesen" in page
    assert f"Fagområde endret fra {case.subject_area.name_nb} til {other.name_nb}" in page
    assert "Status endret fra Aktiv til Under arbeid" in page
    assert "under_arbeid" not in re.sub(r'value="[^"]*"', "", page)


def test_the_other_team_and_outsiders_cannot_open_or_answer_a_case(
    cast: Cast, staff: dict[str, User]
) -> None:
    case = make_case(cast.fjordetaten, cast.per, "lonn")
    url = f"/admin/cases/case/{case.pk}/change/"
    for outsider in (staff["rolf"], staff["ugo"]):
        client = client_for(outsider)
        assert client.get(url).status_code == 302
        client.post(url, answer(case, body="Fra feil team"))
        client.post(url, {"handling": "ta"})
    for customer in (cast.per, cast.nina):
        response = client_for(customer).post(url, answer(case, body="Fra kunden"))
        assert "/admin/login/" in response["Location"]
    case.refresh_from_db()
    assert case.assigned_to is None
    assert not Message.objects.filter(case=case).exists()


def test_a_return_address_that_is_not_ours_is_not_followed(
    cast: Cast, staff: dict[str, User]
) -> None:
    case = make_case(cast.fjordetaten, cast.per, "lonn")
    url = f"/admin/cases/case/{case.pk}/change/"
    for target in ("https://evil.example/admin/", "//evil.example/", "/saker/"):
        response = client_for(staff["lena"]).post(
            f"{url}?next={quote(target)}", answer(case, body="Svar", next=target)
        )
        assert response.status_code == 302
        assert response["Location"] == url


def test_times_on_the_case_page_are_oslo_time(cast: Cast, staff: dict[str, User]) -> None:
    client = client_for(staff["lena"])
    for moment, shown in (
        (dt.datetime(2026, 1, 15, 9, 4, tzinfo=dt.UTC), "15.01.2026 10:04"),  # UTC+1
        (dt.datetime(2026, 7, 15, 9, 4, tzinfo=dt.UTC), "15.07.2026 11:04"),  # UTC+2
    ):
        case = make_case(cast.fjordetaten, cast.per, "lonn")
        Case.objects.filter(pk=case.pk).update(created_at=moment)
        page = text(client.get(f"/admin/cases/case/{case.pk}/change/"))
        assert shown in page
        assert "09:04" not in page


def kept_counts() -> dict[tuple[str, str, int | None], int]:
    return {
        (row.category, row.status, row.assigned_to_id): row.cases
        for row in QueueCount.objects.filter(cases__gt=0)
    }


def real_counts() -> dict[tuple[str, str, int | None], int]:
    return dict(
        Counter(
            (case.category, case.status, case.assigned_to_id)
            for case in Case.objects.exclude(status=Case.Status.CLOSED)
        )
    )


def test_the_kept_counts_follow_every_change_to_a_case(cast: Cast, staff: dict[str, User]) -> None:
    lena, siv = staff["lena"], cast.siv
    first = make_case(cast.fjordetaten, cast.per, "lonn")
    second = make_case(cast.fjordetaten, cast.per, "lonn")
    make_case(cast.fjordetaten, cast.per, "regnskap")
    assert kept_counts() == real_counts()
    do_update_case_by_staff(
        actor=lena, case=first, subject_area=first.subject_area, assigned_to=lena
    )
    do_add_message(
        actor=lena, case=first, body="Svar", then_status=Case.Status.WAITING_FOR_CUSTOMER
    )
    do_add_message(actor=cast.per, case=first, body="Svar tilbake")  # back to Aktiv
    do_change_status(actor=lena, case=second, status=Case.Status.CLOSED)
    do_add_message(actor=cast.per, case=second, body="Åpne igjen")  # reopened
    accounting = SubjectArea.objects.filter(category="regnskap").first()
    assert accounting is not None
    do_update_case_by_staff(actor=siv, case=second, subject_area=accounting, assigned_to=None)
    assert kept_counts() == real_counts()
    assert sum(kept_counts().values()) == 3


def test_a_too_long_answer_is_told_once_and_kept(cast: Cast, staff: dict[str, User]) -> None:
    case = make_case(cast.fjordetaten, cast.per, "lonn")
    response = client_for(staff["lena"]).post(
        f"/admin/cases/case/{case.pk}/change/", answer(case, body="x" * 20_001)
    )
    assert response.status_code == 400
    page = text(response)
    assert "20000" in page
    assert "Skriv svaret eller notatet." not in page
    assert "x" * 20_001 in page
    assert not Message.objects.filter(case=case).exists()
