"""The conversation: reopening, internal notes, and e-mail that never carries content."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.core import mail

from cases.models import Case, Message
from cases.services import do_add_message, do_change_status
from portal.models import RoleType
from portal.services import Refused
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for, grant

SECRET = "Lønn for ansatt 12345 er 812 000 kr"


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def case(cast: Cast) -> Case:
    cast.siv.is_superuser = True
    cast.siv.save()
    return make_case(cast.fjordetaten, cast.per)


def test_customer_message_on_closed_case_reopens_it_with_history(cast: Cast, case: Case) -> None:
    do_change_status(actor=cast.siv, case=case, status=Case.Status.CLOSED)
    response = client_for(cast.per).post(
        f"/saker/{case.number}/",
        {"body": "Det er fortsatt feil", "submission_key": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    last = case.status_changes.last()
    assert last is not None
    assert (last.from_status, last.to_status) == ("avsluttet", "aktiv")
    assert last.reason == "reopened_by_customer_message"
    assert last.changed_by == cast.per


def test_customer_answer_on_waiting_case_returns_it_to_the_team(cast: Cast, case: Case) -> None:
    do_change_status(actor=cast.siv, case=case, status=Case.Status.WAITING_FOR_CUSTOMER)
    client = client_for(cast.per)
    waiting = client.get(f"/saker/{case.number}/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Når du svarer, går saken tilbake til kundesenteret." in waiting
    response = client.post(
        f"/saker/{case.number}/",
        {"body": "Her er tallene dere ba om", "submission_key": str(uuid.uuid4())},
        HTTP_ACCEPT_LANGUAGE="nb",
        follow=True,
    )
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    last = case.status_changes.last()
    assert last is not None
    assert (last.from_status, last.to_status) == ("venter_pa_kunde", "aktiv")
    assert last.reason == "answered_by_customer"
    assert last.changed_by == cast.per
    html = response.content.decode()
    # The page no longer asks for an answer, and says what happened.
    assert "svar nedenfor" not in html
    assert "tilbake hos kundesenteret" in html
    assert "Kunden svarte" in html


def test_customer_message_via_the_service_returns_a_waiting_case(cast: Cast, case: Case) -> None:
    do_change_status(actor=cast.siv, case=case, status=Case.Status.WAITING_FOR_CUSTOMER)
    do_add_message(actor=cast.per, case=case, body="Svar")
    assert case.status == Case.Status.ACTIVE
    assert case.status_changes.filter(reason="answered_by_customer").count() == 1


@pytest.mark.parametrize(
    "status", [Case.Status.ACTIVE, Case.Status.IN_PROGRESS, Case.Status.POSTPONED]
)
def test_customer_message_leaves_a_case_with_the_team_as_it_is(
    cast: Cast, case: Case, status: Case.Status
) -> None:
    do_change_status(actor=cast.siv, case=case, status=status)
    changes = case.status_changes.count()
    do_add_message(actor=cast.per, case=case, body="Litt mer")
    assert case.status == status
    assert case.status_changes.count() == changes


@pytest.mark.parametrize("status", [Case.Status.WAITING_FOR_CUSTOMER, Case.Status.CLOSED])
def test_staff_message_does_not_hand_the_case_back(
    cast: Cast, case: Case, status: Case.Status
) -> None:
    do_change_status(actor=cast.siv, case=case, status=status)
    do_add_message(actor=cast.siv, case=case, body="Vi venter fortsatt på tallene")
    do_add_message(actor=cast.siv, case=case, body="Notat", internal=True)
    assert case.status == status


def test_colleague_with_extended_access_answers_for_the_organisation(
    cast: Cast, case: Case
) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    do_change_status(actor=cast.siv, case=case, status=Case.Status.WAITING_FOR_CUSTOMER)
    do_add_message(actor=cast.kari, case=case, body="Per er borte, her er tallene")
    assert case.status == Case.Status.ACTIVE


def test_outsider_and_plain_colleague_cannot_answer_a_waiting_case(cast: Cast, case: Case) -> None:
    do_change_status(actor=cast.siv, case=case, status=Case.Status.WAITING_FOR_CUSTOMER)
    for person in (cast.nina, cast.ola):
        response = client_for(person).post(
            f"/saker/{case.number}/", {"body": "svar", "submission_key": str(uuid.uuid4())}
        )
        assert response.status_code == 404
        with pytest.raises(Refused):
            do_add_message(actor=person, case=case, body="svar")
    case.refresh_from_db()
    assert case.status == Case.Status.WAITING_FOR_CUSTOMER
    assert not case.messages.exists()


def test_message_moves_last_changed(cast: Cast, case: Case) -> None:
    before = case.updated_at
    do_add_message(actor=cast.per, case=case, body="Mer info")
    case.refresh_from_db()
    assert case.updated_at > before


def test_status_change_moves_last_changed(cast: Cast, case: Case) -> None:
    before = case.updated_at
    do_change_status(actor=cast.siv, case=case, status=Case.Status.IN_PROGRESS)
    case.refresh_from_db()
    assert case.updated_at > before


def test_internal_notes_never_reach_the_customer_page(cast: Cast, case: Case) -> None:
    do_add_message(actor=cast.siv, case=case, body="INTERN: ring lønnssjefen", internal=True)
    html = client_for(cast.per).get(f"/saker/{case.number}/").content.decode()
    assert "INTERN" not in html


def test_customer_cannot_write_internal_notes(cast: Cast, case: Case) -> None:
    with pytest.raises(Refused):
        do_add_message(actor=cast.per, case=case, body="x", internal=True)
    client_for(cast.per).post(
        f"/saker/{case.number}/", {"body": "hei", "is_internal": "on", "submission_key": ""}
    )
    assert not Message.objects.filter(is_internal=True).exists()


def test_staff_answer_sends_one_email_from_the_queue_without_content(
    cast: Cast, case: Case, run_jobs
) -> None:
    do_add_message(actor=cast.siv, case=case, body=SECRET)
    assert mail.outbox == []  # the request sends nothing: a worker does
    run_jobs()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [cast.per.email]
    assert case.number in sent.subject
    assert case.number in sent.body
    assert f"/saker/{case.number}/" in sent.body
    assert SECRET not in sent.body
    assert case.title not in sent.body
    assert "Beskrivelse" not in sent.body


def test_internal_note_sends_no_email(cast: Cast, case: Case, run_jobs) -> None:
    do_add_message(actor=cast.siv, case=case, body=SECRET, internal=True)
    run_jobs()
    assert mail.outbox == []


def test_waiting_for_customer_sends_email(cast: Cast, case: Case, run_jobs) -> None:
    do_change_status(actor=cast.siv, case=case, status=Case.Status.WAITING_FOR_CUSTOMER)
    run_jobs()
    assert len(mail.outbox) == 1
    do_change_status(actor=cast.siv, case=case, status=Case.Status.IN_PROGRESS)
    run_jobs()
    assert len(mail.outbox) == 1


def test_rolled_back_answer_sends_nothing(cast: Cast, case: Case, run_jobs) -> None:
    from django.db import transaction

    def answer_then_fail() -> None:
        with transaction.atomic():
            do_add_message(actor=cast.siv, case=case, body="svar")
            raise RuntimeError("rollback")

    with pytest.raises(RuntimeError):
        answer_then_fail()
    assert run_jobs() == []  # neither the news nor its job was kept
    assert mail.outbox == []


def test_followers_with_extended_access_are_told_once(cast: Cast, case: Case, run_jobs) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    client_for(cast.kari).post(f"/saker/{case.number}/folg/")
    client_for(cast.per).post(f"/saker/{case.number}/folg/")  # the reporter is told anyway
    do_add_message(actor=cast.siv, case=case, body=SECRET)
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cast.per.email, cast.kari.email])
    assert all(SECRET not in m.body for m in mail.outbox)


def test_follower_who_lost_access_is_not_told(cast: Cast, case: Case, run_jobs) -> None:
    from cases.models import Follower

    Follower.objects.create(case=case, user=cast.ola)  # never had access
    do_add_message(actor=cast.siv, case=case, body="svar")
    run_jobs()
    assert [m.to[0] for m in mail.outbox] == [cast.per.email]


def test_email_in_the_users_language(cast: Cast, case: Case, run_jobs) -> None:
    cast.per.language = "en"
    cast.per.save()
    do_add_message(actor=cast.siv, case=case, body="svar")
    run_jobs()
    assert mail.outbox[0].subject.startswith("News on case")


def test_email_in_norwegian_by_default(cast: Cast, case: Case, run_jobs) -> None:
    do_add_message(actor=cast.siv, case=case, body="svar")
    run_jobs()
    assert mail.outbox[0].subject.startswith("Nytt i sak")


def test_plain_member_cannot_post_to_a_colleagues_case(cast: Cast, case: Case) -> None:
    response = client_for(cast.ola).post(f"/saker/{case.number}/", {"body": "hei"})
    assert response.status_code == 404
    assert not case.messages.exists()


def test_outsider_cannot_post_or_follow(cast: Cast, case: Case) -> None:
    client = client_for(cast.nina)
    assert client.post(f"/saker/{case.number}/", {"body": "hei"}).status_code == 404
    assert client.post(f"/saker/{case.number}/folg/").status_code == 404
    assert not case.messages.exists()
    assert not case.followers.exists()


def test_empty_message_is_refused_with_a_reason(cast: Cast, case: Case) -> None:
    response = client_for(cast.per).post(
        f"/saker/{case.number}/", {"body": ""}, HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert response.status_code == 400
    assert "Feltet er påkrevet" in response.content.decode()


def test_double_submitted_message_is_stored_once(cast: Cast, case: Case) -> None:
    key = str(uuid.uuid4())
    client = client_for(cast.per)
    client.post(f"/saker/{case.number}/", {"body": "Én gang", "submission_key": key})
    client.post(f"/saker/{case.number}/", {"body": "Én gang", "submission_key": key})
    assert case.messages.filter(body="Én gang").count() == 1
