"""The API's cases (issue 17): filed, read, answered and listed by an organisation's own
system, under the portal's rules, with a real token issuer on 127.0.0.1.

The outsider here is Kystdirektoratet's system (and its person Nina); the plain member
is Per, who holds no utvidet tilgang and sees nothing a system filed.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from cases.desk import timeline
from cases.models import Attachment, Case, Message
from cases.services import do_add_message, do_change_status
from portal.models import AuditEvent, RoleType
from tests.api_helpers import Caller, P, caller, problem, register
from tests.cases_helpers import make_case, pdf, subject_area
from tests.conftest import Cast, client_for, grant
from tests.issuer import Issuer
from tests.processes import second_connection, wait_for, waiting_on_a_lock

CASES = "/api/v1/cases/"


@pytest.fixture
def hr(cast: Cast, issuer: Issuer) -> Caller:
    """Fjordetaten's HR system: files payroll cases and reads its own."""
    client = register(cast.fjordetaten, "fjordetaten-hr", P.FILE_PAYROLL, P.READ_OWN, by=cast.kari)
    return caller(issuer, client)


def new_case(**fields: object) -> dict[str, object]:
    return {
        "category": "lonn",
        "subject_area": subject_area("lonn").pk,
        "title": "Ny ansatt fra 1. januar",
        "description": "Ola Nordmann begynner 1. januar; lønn fra januar.",
        **fields,
    }


def test_a_system_files_a_case_with_an_attachment_and_the_portal_shows_it(
    cast: Cast, hr: Caller
) -> None:
    response = hr.post(CASES, {**new_case(), "attachments": [pdf("kontrakt.pdf")]})
    assert response.status_code == 201, response.content
    body = json.loads(response.content)
    case = Case.objects.get(number=body["number"])
    assert response["Location"] == body["url"]
    assert case.api_client is not None
    assert (case.channel, case.reported_by, case.api_client.client_id) == (
        Case.Channel.API,
        None,
        "fjordetaten-hr",
    )
    assert case.reporter_name == "HR-systemet (fjordetaten-hr)"
    assert [a["name"] for a in body["attachments"]] == ["kontrakt.pdf"]
    assert body["status"] == "aktiv"
    assert body["channel"] == "api"
    # Every write through the API is in the audit trail, with the system that made it.
    event = AuditEvent.objects.get(action="api.case_filed")
    assert (event.actor, event.api_client, event.organisation) == (
        None,
        case.api_client,
        cast.fjordetaten,
    )
    # The support desk's audit trail names the system.
    audit = client_for(cast.siv).get("/admin/portal/auditevent/")
    assert "HR-systemet (fjordetaten-hr) (API)" in audit.content.decode()
    # In the portal: seen by the member with utvidet tilgang lønn, not by the plain
    # member (rule 1: nobody reported it), nor by the outsider.
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    page = client_for(cast.kari).get(case.get_absolute_url())
    assert page.status_code == 200
    assert "Ny ansatt fra 1. januar" in page.content.decode()
    assert client_for(cast.per).get(case.get_absolute_url()).status_code == 404
    assert client_for(cast.nina).get(case.get_absolute_url()).status_code == 404


def test_bad_input_is_a_problem_per_field_in_the_language_asked_and_stores_nothing(
    hr: Caller,
) -> None:
    too_long = "x" * 301
    response = hr.post(CASES, new_case(title=too_long, subject_area=999_999))
    assert response.status_code == 422
    body = problem(response)
    assert set(body["errors"]) >= {"title", "subject_area"}
    assert Case.objects.count() == 0
    exe = SimpleUploadedFile("lønn.exe", b"MZ\x90\x00" + b"\x00" * 100)
    response = hr.post(CASES, {**new_case(), "attachments": [exe]})
    assert response.status_code == 422
    assert "attachments" in problem(response)["errors"]
    assert (Case.objects.count(), Attachment.objects.count()) == (0, 0)


def test_a_category_the_registration_does_not_allow_is_refused(cast: Cast, hr: Caller) -> None:
    response = hr.post(
        CASES, new_case(category="regnskap", subject_area=subject_area("regnskap").pk)
    )
    assert response.status_code == 403
    assert "regnskap" in problem(response)["detail"]
    assert Case.objects.count() == 0


def test_a_retried_post_creates_nothing_twice(hr: Caller) -> None:
    first = hr.post(CASES, new_case(), key="ordre-17")
    again = hr.post(CASES, new_case(), key="ordre-17")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content  # the same answer, byte for byte
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    other = hr.post(CASES, new_case(title="Noe annet"), key="ordre-17")
    assert other.status_code == 422
    assert "Idempotency-Key" in problem(other)["title"]
    assert Case.objects.count() == 1


def test_a_post_without_an_idempotency_key_is_refused(hr: Caller) -> None:
    from django.test import Client

    response = Client().post(CASES, new_case(), headers=hr.headers())
    assert response.status_code == 400
    assert "Idempotency-Key" in problem(response)["detail"]
    assert Case.objects.count() == 0


def test_a_refused_request_leaves_the_key_free_for_the_mended_one(hr: Caller) -> None:
    assert hr.post(CASES, new_case(title=""), key="k1").status_code == 422
    assert hr.post(CASES, new_case(), key="k1").status_code == 201


def test_reading_a_case_shows_messages_but_never_internal_notes(cast: Cast, hr: Caller) -> None:
    number = json.loads(hr.post(CASES, new_case()).content)["number"]
    case = Case.objects.get(number=number)
    do_add_message(actor=cast.siv, case=case, body="Vi ser på det.")
    do_add_message(actor=cast.siv, case=case, body="Intern: ring kunden.", internal=True)
    body = json.loads(hr.get(f"{CASES}{number}/").content)
    assert [(m["author"], m["body"]) for m in body["messages"]] == [
        ("Kundesenteret", "Vi ser på det.")
    ]


def test_a_system_answers_a_waiting_case_and_hands_it_back(cast: Cast, hr: Caller) -> None:
    number = json.loads(hr.post(CASES, new_case()).content)["number"]
    case = Case.objects.get(number=number)
    do_change_status(actor=cast.siv, case=case, status=Case.Status.WAITING_FOR_CUSTOMER)
    response = hr.post(
        f"{CASES}{number}/messages/", {"body": "Her er svaret.", "attachments": [pdf()]}
    )
    assert response.status_code == 201, response.content
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE  # rule 2, as for a person
    message = Message.objects.get(pk=json.loads(response.content)["id"])
    assert (message.author, message.api_client, message.from_staff) == (
        None,
        case.api_client,
        False,
    )
    assert AuditEvent.objects.filter(action="api.message_added").count() == 1
    # The portal names the system as the message's writer.
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    assert "HR-systemet" in client_for(cast.kari).get(case.get_absolute_url()).content.decode()


def test_an_attachment_is_downloaded_through_the_same_gate(cast: Cast, hr: Caller) -> None:
    body = json.loads(hr.post(CASES, {**new_case(), "attachments": [pdf()]}).content)
    url = body["attachments"][0]["url"]
    response = hr.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert hr.get(url.replace(f"/{body['attachments'][0]['id']}/", "/999999/")).status_code == 404


def test_the_list_pages_with_next_and_follows_changes(cast: Cast, hr: Caller) -> None:
    numbers = [
        json.loads(hr.post(CASES, new_case(title=f"Sak {i}")).content)["number"] for i in range(5)
    ]
    first = json.loads(hr.get(CASES, limit=2).content)
    assert [c["number"] for c in first["items"]] == numbers[:2]
    second = json.loads(hr.get(first["next"]).content)
    third = json.loads(hr.get(second["next"]).content)
    assert [c["number"] for c in second["items"] + third["items"]] == numbers[2:]
    assert third["next"] is None
    # A status change moves the case to the end of the change feed.
    last_seen = third["items"][-1]["updated_at"]
    changed = Case.objects.get(number=numbers[0])
    do_change_status(actor=cast.siv, case=changed, status=Case.Status.IN_PROGRESS)
    since = json.loads(hr.get(CASES, changed_since=last_seen).content)
    assert [c["number"] for c in since["items"]][-1] == numbers[0]
    assert since["items"][-1]["status"] == "under_arbeid"


def test_the_list_takes_the_portal_lists_filters_and_refuses_what_it_cannot_read(
    hr: Caller,
) -> None:
    hr.post(CASES, new_case(title="Feriepenger"))
    hr.post(CASES, new_case(title="Overtid"))
    found = json.loads(hr.get(CASES, tittel="ferie").content)
    assert [c["title"] for c in found["items"]] == ["Feriepenger"]
    assert hr.get(CASES, opprettet_fra="2020-13-45").status_code == 422
    assert "opprettet_fra" in problem(hr.get(CASES, opprettet_fra="2020-13-45"))["errors"]
    unknown = hr.get(CASES, staus="aktiv")
    assert unknown.status_code == 400
    assert "staus" in problem(unknown)["detail"]
    assert hr.get(CASES, changed_since="2024-01-01T10:00:00").status_code == 422
    assert hr.get(CASES, cursor="not-a-cursor").status_code == 422


@pytest.mark.parametrize(
    ("permissions", "sees"),
    [
        ((), set()),
        ((P.FILE_PAYROLL,), set()),
        ((P.READ_OWN,), {"own"}),
        ((P.READ_PAYROLL,), {"own", "kari lønn", "epost lønn"}),
        ((P.READ_ACCOUNTING,), {"kari regnskap"}),
        ((P.READ_OWN, P.READ_ACCOUNTING), {"own", "kari regnskap"}),
        ((P.READ_PAYROLL, P.READ_ACCOUNTING), {"own", "kari lønn", "epost lønn", "kari regnskap"}),
    ],
)
def test_visibility_matrix_through_the_api(
    cast: Cast, issuer: Issuer, permissions: tuple[str, ...], sees: set[str]
) -> None:
    """Rule 1 for systems: exactly what the registration allows, never another
    organisation's cases (Kystdirektoratet's case is on every row's "never" side)."""
    filer = register(cast.fjordetaten, "filer", P.FILE_PAYROLL, by=cast.kari)
    own = caller(issuer, filer).post(CASES, new_case(title="own"))
    assert own.status_code == 201
    reader = register(cast.fjordetaten, "reader", *permissions, by=cast.kari)
    if P.READ_OWN in permissions:  # "own" is then the reader's own
        reader.permissions = [*permissions, P.FILE_PAYROLL]
        reader.save()
        Case.objects.filter(title="own").update(api_client=reader)
    make_case(cast.fjordetaten, cast.kari, "lonn", title="kari lønn")
    make_case(cast.fjordetaten, cast.kari, "regnskap", title="kari regnskap")
    make_case(
        cast.fjordetaten,
        None,
        "lonn",
        title="epost lønn",
        channel=Case.Channel.EMAIL,
        actor=cast.siv,
    )
    other = make_case(cast.kystdir, cast.nina, "lonn", title="kystdir lønn")
    register(cast.kystdir, "reader", P.READ_PAYROLL, P.READ_OWN, by=cast.nina)

    me = caller(issuer, reader)
    listed = json.loads(me.get(CASES).content)["items"]
    assert {c["title"] for c in listed} == sees
    for case in Case.objects.filter(organisation=cast.fjordetaten):
        expected = 200 if case.title in sees else 404
        assert me.get(f"{CASES}{case.number}/").status_code == expected, case.title
    # The same client id registered in another organisation is another registration.
    assert me.get(f"{CASES}{other.number}/").status_code == 404
    assert me.post(f"{CASES}{other.number}/messages/", {"body": "hei"}).status_code == 404
    assert Message.objects.filter(case=other).count() == 0


def test_a_person_logged_in_to_the_portal_is_not_a_system(cast: Cast, issuer: Issuer) -> None:
    for person in (cast.per, cast.nina, cast.kari):
        response = client_for(person).get(CASES)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        problem(response)


def test_a_withdrawn_registration_or_closed_organisation_counts_for_nothing(
    cast: Cast, hr: Caller
) -> None:
    from django.utils import timezone

    number = json.loads(hr.post(CASES, new_case()).content)["number"]
    cast.fjordetaten.is_active = False
    cast.fjordetaten.save()
    assert hr.get(f"{CASES}{number}/").status_code == 403
    cast.fjordetaten.is_active = True
    cast.fjordetaten.save()
    from portal.models import ApiClient

    ApiClient.objects.update(withdrawn_at=timezone.now(), withdrawn_by=cast.kari)
    response = hr.get(f"{CASES}{number}/")
    assert response.status_code == 403
    assert (
        "not registered" in problem(response)["detail"]
        or "registrert" in problem(response)["detail"]
    )


def test_subject_areas_are_those_the_system_may_file_in(cast: Cast, hr: Caller) -> None:
    subject_area("lonn")
    subject_area("regnskap")
    areas = json.loads(hr.get("/api/v1/subject-areas/").content)
    assert {a["category"] for a in areas} == {"lonn"}


def test_too_many_requests_are_told_when_to_come_back(settings: Any, hr: Caller) -> None:
    settings.API_RATE_LIMIT = "3/min"
    answers = [hr.get(CASES) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    problem(answers[-1])


def test_a_request_too_large_is_refused_before_it_is_read(settings: Any, hr: Caller) -> None:
    settings.API_MAX_REQUEST_BYTES = 1024
    big = SimpleUploadedFile("stor.pdf", b"%PDF-1.4\n" + b"0" * 4096)
    response = hr.post(CASES, {**new_case(), "attachments": [big]})
    assert response.status_code == 413
    problem(response)
    assert Case.objects.count() == 0


def test_the_schema_and_its_documentation_page_are_public(db: None) -> None:
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert {"/api/v1/cases/", "/api/v1/cases/{number}/"} <= set(paths)
    # The documentation page is the portal's own (tests/test_api_docs.py), made from
    # the same schema: every operation is on it.
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert docs["Content-Type"].startswith("text/html")
    html = docs.content.decode()
    assert 'href="/api/v1/openapi.json"' in html
    for path in paths:
        assert f"<code>{path}</code></h3>" in html
    assert "swagger" not in html.lower()


def test_timestamps_are_given_with_their_offset(hr: Caller) -> None:
    body = json.loads(hr.post(CASES, new_case()).content)
    created = dt.datetime.fromisoformat(body["created_at"])
    assert created.tzinfo is not None


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_key_at_once_make_one_case(cast: Cast, issuer: Issuer) -> None:
    """A system's retry that arrives while the first request still runs (a proxy's
    timeout): it waits for the first on the key and gets its answer, not a second case."""
    hr = caller(issuer, register(cast.fjordetaten, "fjordetaten-hr", P.FILE_PAYROLL, by=cast.kari))
    answers: dict[str, Any] = {}

    def send(name: str) -> None:
        try:
            answers[name] = hr.post(CASES, new_case(), key="samme-nøkkel")
        finally:
            connection.close()

    first = threading.Thread(target=send, args=("first",))
    retry = threading.Thread(target=send, args=("retry",))
    with second_connection() as holder:
        # The first request is held inside its transaction, at its case's row.
        holder.execute("LOCK TABLE cases_case IN EXCLUSIVE MODE")
        first.start()
        wait_for(lambda: waiting_on_a_lock('INSERT INTO "cases_case"%'))
        retry.start()
        wait_for(lambda: waiting_on_a_lock('INSERT INTO "portal_idempotentrequest"%'))
    first.join(timeout=30)
    retry.join(timeout=30)
    assert (answers["first"].status_code, answers["retry"].status_code) == (201, 201)
    assert answers["retry"]["Idempotent-Replayed"] == "true"
    assert json.loads(answers["retry"].content) == json.loads(answers["first"].content)
    assert Case.objects.count() == 1


def test_the_support_desk_sees_which_system_filed_and_wrote(cast: Cast, hr: Caller) -> None:
    number = json.loads(hr.post(CASES, new_case()).content)["number"]
    hr.post(f"{CASES}{number}/messages/", {"body": "Tillegg fra systemet."})
    case = Case.objects.get(number=number)
    page = client_for(cast.siv).get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    assert "HR-systemet (fjordetaten-hr)" in page.content.decode()
    authors = [(entry.kind, entry.author) for entry in timeline(case) if entry.kind != "change"]
    assert authors == [
        ("opening", "HR-systemet (fjordetaten-hr)"),
        ("message", "HR-systemet (fjordetaten-hr)"),
    ]
    # The plain member and the outsider see none of it in the portal.
    for person in (cast.per, cast.nina):
        assert client_for(person).get(case.get_absolute_url()).status_code == 404


def test_only_a_system_files_on_the_api_channel(cast: Cast) -> None:
    """Staff register what came by e-mail or phone: the API channel is not theirs to
    choose, in the admin's form or through the service."""
    from django.test import Client

    from cases.services import do_create_case
    from portal.services import Refused

    with pytest.raises(Refused):
        do_create_case(
            actor=cast.siv,
            organisation=cast.fjordetaten,
            subject_area=subject_area("lonn"),
            title="t",
            description="d",
            channel=Case.Channel.API,
            reported_by=cast.per,
            on_behalf=True,
        )
    with pytest.raises(Refused):
        do_create_case(
            actor=cast.per,
            organisation=cast.fjordetaten,
            subject_area=subject_area("lonn"),
            title="t",
            description="d",
            channel=Case.Channel.API,
        )
    assert Case.objects.count() == 0
    form = client_for(cast.siv).get("/admin/cases/case/add/").content.decode()
    assert 'value="epost"' in form
    assert 'value="api"' not in form
    assert Client().get("/admin/cases/case/add/").status_code == 302


def test_what_the_schema_layer_refuses_is_told_in_the_language_asked_too(hr: Caller) -> None:
    from django.test import Client

    headers = hr.headers(**{"Idempotency-Key": "k", "Accept-Language": "nb"})
    response = Client().post(CASES, {"category": "lonn"}, headers=headers)
    assert response.status_code == 422
    errors = problem(response)["errors"]
    assert errors["title"] == ["Feltet er påkrevet."]  # Django's own words
    response = Client().get(CASES, {"limit": "mange"}, headers=hr.headers())
    assert problem(response)["errors"]["limit"] == ["Oppgi et heltall."]


def test_the_schema_says_every_post_needs_an_idempotency_key(db: None) -> None:
    from django.test import Client

    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    posts = [ops["post"] for ops in schema["paths"].values() if "post" in ops]
    assert posts
    for operation in posts:
        (key,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert key["required"] is True


def test_a_file_under_a_wrong_name_is_told_not_lost(hr: Caller) -> None:
    response = hr.post(CASES, {**new_case(), "attachment": [pdf()]})
    assert response.status_code == 422
    assert "attachment" in problem(response)["errors"]
    assert Case.objects.count() == 0


def test_every_answer_under_the_api_is_a_problem_never_html(hr: Caller) -> None:
    from django.test import Client

    no_slash = Client().post(CASES.rstrip("/"), new_case(), headers=hr.headers())
    assert no_slash.status_code == 404
    assert "slash" in problem(no_slash)["detail"] or "skråstrek" in problem(no_slash)["detail"]
    assert problem(hr.get("/api/v1/finnes-ikke/"))["status"] == 404
    wrong_method = Client().delete(CASES, headers=hr.headers())
    assert wrong_method.status_code == 405
    assert "GET" in wrong_method["Allow"]
    problem(wrong_method)
    assert Client().get("/api/v1/docs/").status_code == 302
    assert hr.get(CASES)["Content-Type"] == "application/json; charset=utf-8"


def test_a_case_number_in_small_letters_and_the_same_times_as_when_filed(hr: Caller) -> None:
    filed = json.loads(hr.post(CASES, new_case()).content)
    read = json.loads(hr.get(f"{CASES}{filed['number'].lower()}/").content)
    assert (read["number"], read["created_at"]) == (filed["number"], filed["created_at"])
    assert hr.get("/api/v1/subject-areas/", kategori="lonn").status_code == 400
