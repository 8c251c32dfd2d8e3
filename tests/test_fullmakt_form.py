"""Rules 5 and 6: the fullmakt form out, back in, checked, verified by two staff members."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.test import Client
from openpyxl import load_workbook
from procrastinate.contrib.django import app

from access.fullmakt_form import FORM_VERSION, LAYOUTS
from access.fullmakt_services import (
    FullmaktRefused,
    do_confirm_fullmakt,
    do_key_in_fullmakt_rows,
    do_verify_fullmakt,
)
from access.fullmakt_views import HELD
from access.models import FullmaktSubmission
from cases.models import Attachment, Case
from portal.dates import today as oslo_today
from portal.files import walk
from portal.models import Area, AuditEvent, RoleAssignment, RoleType
from portal.teams import TEAM_GROUPS
from tests.conftest import Cast, client_for, make_user
from tests.office import convert

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
UPLOAD = "/skjema/fullmakt/send/"
REVIEW = "/skjema/fullmakt/send/se-over/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def staff(cast: Cast) -> tuple[Any, Any]:
    cast.siv.is_superuser = True
    cast.siv.save()
    tor = make_user("tor", is_staff=True, is_superuser=True)
    return cast.siv, tor


def download(client: Client, language: str = "nb") -> bytes:
    response = client.get("/skjema/fullmakt.xlsx", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content


def fill(
    content: bytes,
    rows: list[dict[str, Any]] | None = None,
    *,
    signer: bool = True,
    org_number: str | None = None,
) -> bytes:
    """Fill the form the way a user does in Excel (openpyxl keeps the layout)."""
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    layout = LAYOUTS[FORM_VERSION]
    if org_number is not None:
        sheet[layout.org_number_cell] = org_number
    for offset, row in enumerate(rows or []):
        number = layout.first_person_row + offset
        for column, key in (
            (1, "name"),
            (2, "email"),
            (3, "employee"),
            (4, "fullmakt"),
            (5, "lonn"),
            (6, "regnskap"),
            (7, "action"),
            (8, "date"),
        ):
            if key in row:
                sheet.cell(row=number, column=column, value=row[key])
    if signer:
        start = layout.signer_row
        sheet.cell(row=start + 1, column=2, value="Berit Budsjett")
        sheet.cell(row=start + 2, column=2, value="Direktør")
        sheet.cell(row=start + 3, column=2, value="Ja")
        sheet.cell(row=start + 4, column=2, value=dt.datetime(2022, 11, 20))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def per_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": "Per Testesen",
        "email": "per@example.no",
        "employee": "1234",
        "lonn": "Ja",
        "action": "Legg til",
        "date": dt.datetime(2022, 11, 21),
    }
    row.update(overrides)
    return row


def send(client: Client, xlsx: bytes | None, name: str = "fullmakt.xlsx", **extra: Any) -> Any:
    data: dict[str, Any] = {"signed_copy": io.BytesIO(PDF)}
    data["signed_copy"].name = "signert.pdf"
    if xlsx is not None:
        data["form_file"] = io.BytesIO(xlsx)
        data["form_file"].name = name
    data.update(extra)
    return client.post(UPLOAD, data, HTTP_ACCEPT_LANGUAGE="en")


def held_files() -> list[str]:
    """What the storage holds between upload and submit (access.fullmakt_views)."""
    return list(walk(default_storage, HELD))


def assert_nothing_stored(media: Path) -> None:
    assert not FullmaktSubmission.objects.exists()
    assert not Case.objects.exists()
    assert not Attachment.objects.exists()
    assert held_files() == []
    assert not (media / "attachments").exists()


# --- the form -------------------------------------------------------------------------


def test_the_form_is_stamped_protected_and_validated(cast: Cast) -> None:
    content = download(client_for(cast.per), "en")
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    assert sheet["H1"].value == f"Skjemaversjon {FORM_VERSION}"
    assert workbook.properties.version == FORM_VERSION
    properties = workbook.custom_doc_props  # type: ignore[attr-defined]
    assert any(p.name == "Skjemaversjon" for p in properties)
    assert sheet["B4"].value == cast.fjordetaten.org_number
    assert sheet.protection.sheet
    assert sheet["A1"].protection.locked
    assert not sheet["A9"].protection.locked
    kinds = {dv.type for dv in sheet.data_validations.dataValidation}
    assert {"list", "date"} <= kinds
    assert sheet["A1"].value == "Fullmakt form – authorised orderers"
    assert [ws.title for ws in workbook.worksheets][1] == "Instructions"


def test_anonymous_form_is_blank(cast: Cast) -> None:
    sheet = load_workbook(io.BytesIO(download(Client()))).worksheets[0]
    assert sheet["B3"].value in (None, "")


def test_the_form_opens_in_libreoffice(cast: Cast, tmp_path: Path) -> None:
    source = tmp_path / "fullmakt.xlsx"
    source.write_bytes(download(client_for(cast.per)))
    assert convert(source, "pdf").read_bytes().startswith(b"%PDF")


# --- the round trip -------------------------------------------------------------------


def test_round_trip_from_download_to_min_side(cast: Cast, staff: tuple, media: Path) -> None:
    client = client_for(cast.per)
    filled = fill(
        download(client),
        [
            per_row(fullmakt="Ja"),
            per_row(name="Eva Testesen", email="EVA@example.no", employee="77", lonn="Nei"),
        ],
    )
    # Eva's row has no role ticked: refused, with the row.
    response = send(client, filled)
    assert response.status_code == 400
    assert "Row 10: choose at least one role." in response.content.decode()
    assert_nothing_stored(media)

    filled = fill(
        download(client), [per_row(fullmakt="Ja"), per_row(name="Ukjent", email="x@y.no")]
    )
    response = send(client, filled)
    assert response.status_code == 302
    assert response["Location"] == REVIEW
    assert not FullmaktSubmission.objects.exists()

    review = client.get(REVIEW, HTTP_ACCEPT_LANGUAGE="en")
    html = review.content.decode()
    assert review.status_code == 200
    assert "per@example.no" in html
    assert "Authorised payroll orderer" in html
    assert "Berit Budsjett" in html
    assert not Case.objects.exists()

    response = client.post(REVIEW, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    submission = FullmaktSubmission.objects.get()
    case = submission.case
    assert case.reported_by == cast.per
    assert case.subject_area.name_nb == "Tilganger og roller lønn"
    assert case.attachments.count() == 2
    assert submission.xlsx_attachment is not None
    assert submission.xlsx_sha256 == submission.xlsx_attachment.sha256
    assert submission.signed_attachment.content_type == "application/pdf"
    assert [row["role"] for row in submission.rows] == [
        RoleType.FULLMAKT,
        RoleType.PAYROLL_ORDERER,
        RoleType.PAYROLL_ORDERER,
    ]
    assert held_files() == []

    siv, tor = staff
    admin = client_for(siv)
    page = admin.get(f"/admin/access/fullmaktsubmission/{submission.pk}/change/")
    assert page.status_code == 200
    assert f"/admin/cases/case/{case.pk}/vedlegg/{submission.signed_attachment.pk}/" in (
        page.content.decode()
    )
    # Verify without confirming the authority: refused.
    admin.post(
        f"/admin/access/fullmaktsubmission/{submission.pk}/change/",
        {"step": "verify"},
    )
    submission.refresh_from_db()
    assert submission.state == FullmaktSubmission.State.SUBMITTED
    admin.post(
        f"/admin/access/fullmaktsubmission/{submission.pk}/change/",
        {
            "step": "verify",
            "authority_confirmed": "on",
        },
    )
    submission.refresh_from_db()
    assert submission.state == FullmaktSubmission.State.VERIFIED
    assert submission.verified_by == siv
    # The same staff member can't also confirm.
    admin.post(f"/admin/access/fullmaktsubmission/{submission.pk}/change/", {"step": "confirm"})
    submission.refresh_from_db()
    assert submission.state == FullmaktSubmission.State.VERIFIED
    assert not RoleAssignment.objects.filter(person=cast.per).exists()

    client_for(tor).post(
        f"/admin/access/fullmaktsubmission/{submission.pk}/change/", {"step": "confirm"}
    )
    submission.refresh_from_db()
    assert submission.state == FullmaktSubmission.State.REGISTERED
    assert submission.confirmed_by == tor
    assert "x@y.no" in submission.registration_report  # no such member: skipped, not created
    held = RoleAssignment.objects.held_today().filter(person=cast.per)
    assert {a.role.code for a in held} == {RoleType.FULLMAKT, RoleType.PAYROLL_ORDERER}
    for assignment in held:
        assert assignment.basis == RoleAssignment.Basis.FULLMAKT_FORM
        assert assignment.evidence == f"Sak {case.number}, SHA-256 {submission.xlsx_sha256}"
        assert assignment.valid_from == max(dt.date(2022, 11, 21), oslo_today())
    assert AuditEvent.objects.filter(action="fullmakt.registered").exists()
    assert AuditEvent.objects.filter(action="role.assigned").count() == 2

    my_page = client.get("/min-side/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Verified fullmakt form" in my_page


def test_end_rows_end_the_role(cast: Cast, staff: tuple) -> None:
    from tests.conftest import grant

    grant(cast.eva, cast.fjordetaten, RoleType.FULLMAKT)
    client = client_for(cast.per)
    filled = fill(
        download(client),
        [per_row(name="Eva", email="eva@example.no", lonn="", fullmakt="Ja", action="Avslutt")],
    )
    assert send(client, filled).status_code == 302
    client.post(REVIEW)
    submission = FullmaktSubmission.objects.get()
    siv, tor = staff
    do_verify_fullmakt(actor=siv, submission=submission, authority_confirmed=True)
    do_confirm_fullmakt(actor=tor, submission=submission)
    latest = RoleAssignment.objects.filter(person=cast.eva).order_by("-pk").first()
    assert latest is not None
    assert latest.valid_to == max(dt.date(2022, 11, 21), oslo_today())
    assert latest.basis == RoleAssignment.Basis.FULLMAKT_FORM


def test_the_reporter_cannot_verify_or_confirm(cast: Cast, staff: tuple) -> None:
    siv, tor = staff
    # A staff member who is also a member sent the form in.
    from portal.models import Membership

    Membership.objects.create(user=tor, organisation=cast.fjordetaten)
    client = client_for(tor)
    assert send(client, fill(download(client), [per_row()])).status_code == 302
    client.post(REVIEW)
    submission = FullmaktSubmission.objects.get()
    with pytest.raises(FullmaktRefused):
        do_verify_fullmakt(actor=tor, submission=submission, authority_confirmed=True)
    do_verify_fullmakt(actor=siv, submission=submission, authority_confirmed=True)
    with pytest.raises(FullmaktRefused):
        do_confirm_fullmakt(actor=tor, submission=submission)
    with pytest.raises(FullmaktRefused):
        do_confirm_fullmakt(actor=cast.kari, submission=submission)  # not staff
    assert not RoleAssignment.objects.exists()


def test_a_scanned_form_without_xlsx_is_accepted_for_staff_to_key_in(
    cast: Cast, staff: tuple
) -> None:
    client = client_for(cast.per)
    assert send(client, None).status_code == 302
    assert "keys in" in client.get(REVIEW, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post(REVIEW)
    submission = FullmaktSubmission.objects.get()
    assert submission.rows == []
    assert submission.xlsx_attachment is None
    siv, _tor = staff
    with pytest.raises(FullmaktRefused):
        do_verify_fullmakt(actor=siv, submission=submission, authority_confirmed=True)


def test_an_older_known_version_is_still_read(cast: Cast) -> None:
    """Version 2022-11: one role per row, named in Norwegian."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["H1"] = "Skjemaversjon 2022-11"
    sheet["B3"], sheet["B4"] = "Fjordetaten", cast.fjordetaten.org_number
    for column, value in enumerate(
        ["Per", "per@example.no", "12", "Autorisert bestiller lønn", "Legg til", "21.11.2022"],
        start=1,
    ):
        sheet.cell(row=9, column=column, value=value)
    for offset, value in enumerate(["Berit", "Direktør", "Ja", "20.11.2022"], start=1):
        sheet.cell(row=25 + offset, column=2, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = client_for(cast.per)
    assert send(client, buffer.getvalue()).status_code == 302
    assert "per@example.no" in client.get(REVIEW).content.decode()


def test_an_unknown_version_is_refused_with_a_link(cast: Cast, media: Path) -> None:
    client = client_for(cast.per)
    workbook = load_workbook(io.BytesIO(fill(download(client), [per_row()])))
    workbook.worksheets[0]["H1"] = "Skjemaversjon 2019-01"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = send(client, buffer.getvalue())
    html = response.content.decode()
    assert response.status_code == 400
    assert "(2019-01) can no longer be read" in html
    assert 'href="/skjema/fullmakt.xlsx"' in html
    assert_nothing_stored(media)


# --- bad files ------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _with_member(content: bytes, name: str, data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    members = {info.filename: source.read(info) for info in source.infolist()}
    members[name] = data
    return _zip(members)


def _bad_files(cast: Cast, form: bytes) -> list[tuple[str, bytes, str, str]]:
    filled = fill(form, [per_row()])
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<Relationships>&e;</Relationships>"
    )
    content_types = zipfile.ZipFile(io.BytesIO(filled)).read("[Content_Types].xml")
    return [
        ("text", b"name;email\nPer;per@example.no\n", "f.xlsx", "not an Excel workbook"),
        ("pdf", PDF, "f.xlsx", "not an Excel workbook"),
        ("xlsm name", filled, "f.xlsm", "macros (.xlsm) are not accepted"),
        (
            "vba",
            _with_member(filled, "xl/vbaProject.bin", b"\0" * 100),
            "f.xlsx",
            "macros (.xlsm) are not accepted",
        ),
        (
            "macro content type",
            _with_member(
                filled,
                "[Content_Types].xml",
                content_types.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml"),
            ),
            "f.xlsx",
            "macros (.xlsm) are not accepted",
        ),
        (
            "xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
            "f.xls",
            "old Excel format (.xls)",
        ),
        ("too large", b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024 + 10), "f.xlsx", "larger than 5 MB"),
        (
            "zip bomb",
            _with_member(filled, "xl/media/bomb.xml", b"<a>" + b" " * (40 * 1024 * 1024) + b"</a>"),
            "f.xlsx",
            "unpacks to too much data",
        ),
        ("xxe", _with_member(filled, "_rels/.rels", xxe), "f.xlsx", "external entities"),
        (
            "other organisation",
            fill(form, [per_row()], org_number=cast.kystdir.org_number),
            "f.xlsx",
            f"the organisation number {cast.kystdir.org_number} is not the number of Fjordetaten",
        ),
        ("empty", fill(form, [], signer=False), "f.xlsx", "no people to register"),
        (
            "bad e-mail and date",
            fill(form, [per_row(email="per@", date="31.02.2022")]),
            "f.xlsx",
            "Row 9: the e-mail address is not valid.",
        ),
        ("broken zip", b"PK\x03\x04" + b"garbage" * 20, "f.xlsx", "damaged"),
    ]


@pytest.mark.parametrize("index", range(13))
def test_bad_files_store_nothing_and_say_why(cast: Cast, media: Path, index: int) -> None:
    client = client_for(cast.per)
    label, content, name, expected = _bad_files(cast, download(client))[index]
    response = send(client, content, name=name)
    html = response.content.decode()
    assert response.status_code == 400, label
    assert expected in html, (label, html[html.find("ds-alert") :][:800])
    assert_nothing_stored(media)


def test_row_errors_name_every_row(cast: Cast, media: Path) -> None:
    client = client_for(cast.per)
    filled = fill(
        download(client),
        [per_row(email="per@", date="31.02.2022"), per_row(action="Kanskje", employee="")],
    )
    html = send(client, filled).content.decode()
    for expected in (
        "Row 9: the e-mail address is not valid.",
        "Row 9: the date is not a valid date (dd.mm.yyyy).",
        "Row 10: choose Add or End.",
        "Row 10: the employee number is missing.",
    ):
        assert expected in html
    assert_nothing_stored(media)


def test_a_signed_copy_must_be_pdf_or_image(cast: Cast, media: Path) -> None:
    client = client_for(cast.per)
    signed = io.BytesIO(b"just text\n")
    signed.name = "signert.txt"
    response = client.post(UPLOAD, {"signed_copy": signed}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "must be a PDF, PNG or JPEG file" in response.content.decode()
    assert_nothing_stored(media)


def test_review_without_an_upload_goes_back(cast: Cast) -> None:
    response = client_for(cast.per).post(REVIEW)
    assert response.status_code == 302
    assert response["Location"] == UPLOAD
    assert not Case.objects.exists()


# --- who may -------------------------------------------------------------------------


def test_outsiders_get_the_gates_page_and_anonymous_must_log_in(cast: Cast) -> None:
    outsider = make_user("ute")  # no organisation
    assert client_for(outsider).get(UPLOAD).status_code == 403
    assert client_for(outsider).get(REVIEW).status_code == 403
    assert Client().get(UPLOAD).status_code == 302


def test_a_plain_member_sees_the_upload_page_and_the_links(cast: Cast) -> None:
    client = client_for(cast.per)
    assert client.get(UPLOAD).status_code == 200
    assert UPLOAD in client.get("/tilganger/bestillere/").content.decode()
    assert UPLOAD in client.get("/saker/ny/").content.decode()


def test_another_users_held_files_are_not_used(cast: Cast) -> None:
    per = client_for(cast.per)
    assert send(per, fill(download(per), [per_row()])).status_code == 302
    token = per.session["fullmakt_upload"]
    ola = client_for(cast.ola)
    session = ola.session
    session["fullmakt_upload"] = token
    session.save()
    assert ola.post(REVIEW).status_code == 302
    assert not Case.objects.exists()


def test_held_files_are_in_the_storage_until_submit(cast: Cast, media: Path) -> None:
    # Held in STORAGES["default"], not on one machine's disk: another app process
    # behind the load balancer may answer the review.
    client = client_for(cast.per)
    assert send(client, fill(download(client), [per_row()])).status_code == 302
    token = client.session["fullmakt_upload"]
    assert held_files() == [f"{HELD}/{token}.{part}" for part in ("json", "signed", "xlsx")]
    with default_storage.open(f"{HELD}/{token}.signed") as held:
        assert held.read() == PDF
    assert client.get(REVIEW).status_code == 200
    assert client.post(REVIEW).status_code == 302
    assert held_files() == []
    assert FullmaktSubmission.objects.get().case.attachments.count() == 2


def test_expired_held_files_are_swept_and_not_used(cast: Cast, settings: Any, run_jobs) -> None:
    settings.SESSION_IDLE_TIMEOUT = 0  # the login outlives the hour here
    per, ola = client_for(cast.per), client_for(cast.ola)
    assert send(per, fill(download(per), [per_row()])).status_code == 302
    per_token = per.session["fullmakt_upload"]
    with time_machine.travel(dt.timedelta(minutes=61)):
        # The queue's hourly sweep takes Per's expired files, whichever process stored them.
        app.tasks["access.sweep_held_files"].defer(timestamp=0)
        assert [r.outcome for r in run_jobs()] == ["succeeded"]
        assert held_files() == []
        assert send(ola, fill(download(ola), [per_row()])).status_code == 302
        ola_token = ola.session["fullmakt_upload"]
        assert held_files() == [f"{HELD}/{ola_token}.{part}" for part in ("json", "signed", "xlsx")]
        assert ola_token != per_token
        response = per.get(REVIEW, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 302
        assert response["Location"] == UPLOAD
        assert (
            "Choose the files again" in per.get(UPLOAD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        )
    assert not Case.objects.exists()


def test_a_review_older_than_the_hour_is_refused_and_its_files_deleted(
    cast: Cast, settings: Any
) -> None:
    settings.SESSION_IDLE_TIMEOUT = 0
    per = client_for(cast.per)
    assert send(per, fill(download(per), [per_row()])).status_code == 302
    with time_machine.travel(dt.timedelta(minutes=61)):
        assert per.post(REVIEW).status_code == 302
    assert held_files() == []
    assert not Case.objects.exists()


# --- which team gets the form (rule 6) -----------------------------------------------


def _team_member(username: str, team: str) -> Any:
    member = make_user(username, is_staff=True)
    member.groups.set(Group.objects.filter(name=team))
    return member


def _submitted(client: Client, rows: list[dict[str, Any]]) -> FullmaktSubmission:
    assert send(client, fill(download(client), rows)).status_code == 302
    client.post(REVIEW)
    return FullmaktSubmission.objects.get()


@pytest.mark.parametrize(
    ("ticked", "area", "subject"),
    [
        ({"lonn": "", "regnskap": "Ja"}, "regnskap", "Tilganger og roller regnskap"),
        ({"lonn": "Ja"}, "lonn", "Tilganger og roller lønn"),
        ({"lonn": "Ja", "regnskap": "Ja"}, "lonn", "Tilganger og roller lønn"),
        ({"lonn": "", "fullmakt": "Ja"}, "lonn", "Tilganger og roller lønn"),
        ({"lonn": "", "fullmakt": "Ja", "regnskap": "Ja"}, "lonn", "Tilganger og roller lønn"),
    ],
)
def test_the_case_goes_to_the_team_of_the_roles_asked_for(
    cast: Cast, ticked: dict[str, str], area: str, subject: str
) -> None:
    submission = _submitted(client_for(cast.per), [per_row(**ticked)])
    assert submission.case.category == area
    assert submission.case.subject_area.name_nb == subject


def test_a_scanned_form_goes_to_the_payroll_team(cast: Cast) -> None:
    client = client_for(cast.per)
    send(client, None)
    client.post(REVIEW)
    assert FullmaktSubmission.objects.get().case.category == "lonn"


def test_the_accounting_team_handles_an_accounting_only_form(cast: Cast) -> None:
    submission = _submitted(client_for(cast.per), [per_row(lonn="", regnskap="Ja")])
    payroll = _team_member("lars", TEAM_GROUPS[Area.PAYROLL])
    first = _team_member("rita", TEAM_GROUPS[Area.ACCOUNTING])
    second = _team_member("rune", TEAM_GROUPS[Area.ACCOUNTING])
    # The admin lists it for the accounting team only.
    assert (
        client_for(first).get("/admin/access/fullmaktsubmission/").context["cl"].result_count == 1
    )
    assert (
        client_for(payroll).get("/admin/access/fullmaktsubmission/").context["cl"].result_count == 0
    )
    with pytest.raises(FullmaktRefused):
        do_verify_fullmakt(actor=payroll, submission=submission, authority_confirmed=True)
    do_verify_fullmakt(actor=first, submission=submission, authority_confirmed=True)
    do_confirm_fullmakt(actor=second, submission=submission)
    held = RoleAssignment.objects.held_today().get(person=cast.per)
    assert held.role.code == RoleType.ACCOUNTING_ORDERER
    assert held.basis == RoleAssignment.Basis.FULLMAKT_FORM


def test_the_accounting_team_cannot_key_in_payroll_rows(cast: Cast) -> None:
    submission = _submitted(client_for(cast.per), [per_row(lonn="", regnskap="Ja")])
    accounting = _team_member("rita", TEAM_GROUPS[Area.ACCOUNTING])
    rows = [dict(submission.rows[0], role=RoleType.PAYROLL_ORDERER)]
    with pytest.raises(FullmaktRefused):
        do_key_in_fullmakt_rows(actor=accounting, submission=submission, rows=rows)
    assert submission.steps.count() == 0
