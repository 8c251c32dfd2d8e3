"""Reporting a case: /saker/ny/. Bad input keeps what was typed and stores nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cases.models import Attachment, Case, StatusChange
from tests.cases_helpers import pdf, subject_area
from tests.conftest import Cast, client_for


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "category": "lonn",
        "subject_area": subject_area("lonn").pk,
        "title": "Feil skattetrekk i novemberlønna",
        "description": "Tre ansatte fikk feil skattetrekk.",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def _stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def test_plain_member_reports_a_case_with_attachments(cast: Cast, media: Path) -> None:
    client = client_for(cast.per)
    data = _form(attachments=[pdf("a.pdf"), pdf("b.pdf")])
    response = client.post("/saker/ny/", data)
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/saker/{case.number}/"
    assert case.reported_by == cast.per
    assert case.organisation == cast.fjordetaten
    assert case.category == "lonn"
    assert case.channel == Case.Channel.PORTAL
    assert case.status == Case.Status.ACTIVE
    assert case.number.startswith("SAK-20")
    assert sorted(case.attachments.values_list("name", flat=True)) == ["a.pdf", "b.pdf"]
    assert len(_stored_files(media)) == 2
    assert StatusChange.objects.filter(case=case, to_status="aktiv").count() == 1


def test_title_of_300_characters_is_kept_whole(cast: Cast) -> None:
    title = ("Lønnsoppgjør " * 30)[:300]
    client_for(cast.per).post("/saker/ny/", _form(title=title))
    assert Case.objects.get().title == title


def test_title_over_300_characters_is_refused_and_text_kept(cast: Cast) -> None:
    response = client_for(cast.per).post(
        "/saker/ny/",
        _form(title="x" * 301, description="Dette må ikke bli borte"),
        HTTP_ACCEPT_LANGUAGE="nb",
    )
    assert response.status_code == 400
    assert not Case.objects.exists()
    assert "Dette må ikke bli borte" in response.content.decode()


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (SimpleUploadedFile("stor.pdf", b"%PDF-1.4\n" + b"0" * (25 * 1024 * 1024)), "25 MB"),
        (SimpleUploadedFile("faktura.pdf", b"MZ\x90\x00" + b"\x00" * 200), "faktura.pdf"),
        (SimpleUploadedFile("tom.pdf", b""), "tom.pdf"),
    ],
    ids=["too-large", "executable-renamed-pdf", "empty"],
)
def test_refused_upload_stores_nothing_and_keeps_the_text(
    cast: Cast, media: Path, upload: SimpleUploadedFile, reason: str
) -> None:
    data = _form(
        title="Min tittel som skal bli stående",
        description="Min lange beskrivelse",
        attachments=[pdf("ok.pdf"), upload],
    )
    response = client_for(cast.per).post("/saker/ny/", data, HTTP_ACCEPT_LANGUAGE="nb")
    html = response.content.decode()
    assert response.status_code == 400
    assert not Case.objects.exists()
    assert not Attachment.objects.exists()
    assert _stored_files(media) == []
    assert 'value="Min tittel som skal bli stående"' in html
    assert "Min lange beskrivelse" in html
    assert 'id="id_attachments_error"' in html  # the message stands next to the field
    assert reason.split("/")[-1] in html or reason in html


@pytest.mark.parametrize("raw_name", ["../../etc/passwd.pdf", "C:\\temp\\..\\passwd.pdf"])
def test_path_in_a_file_name_never_reaches_storage(cast: Cast, media: Path, raw_name: str) -> None:
    """Django's multipart parser keeps only the last part of a name with separators;
    our own check refuses such names wherever else they come from (tests/test_uploads.py).
    Either way the stored path is a random name under MEDIA_ROOT."""
    boundary = "grense"
    fields = _form()
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        for key, value in fields.items()
    ]
    body = (
        "".join(parts).encode()
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
            f'filename="{raw_name}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + b"%PDF-1.4 x\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    response = client_for(cast.per).generic(
        "POST", "/saker/ny/", body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.name == "passwd.pdf"
    stored = _stored_files(media)
    assert len(stored) == 1
    assert stored[0].name != "passwd.pdf"
    assert media in stored[0].parents


def test_double_submission_creates_one_case(cast: Cast) -> None:
    client = client_for(cast.per)
    data = _form()
    first = client.post("/saker/ny/", data)
    second = client.post("/saker/ny/", data)
    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_subject_area_must_belong_to_the_category(cast: Cast) -> None:
    data = _form(category="lonn", subject_area=subject_area("regnskap").pk)
    response = client_for(cast.per).post("/saker/ny/", data, HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_missing_fields_are_named(cast: Cast) -> None:
    response = client_for(cast.per).post(
        "/saker/ny/", _form(title="", description=""), HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert response.status_code == 400
    assert response.content.decode().count("Feltet er påkrevet") >= 2


def test_category_not_bought_by_the_organisation_is_not_offered(cast: Cast) -> None:
    cast.fjordetaten.buys_accounting = False
    cast.fjordetaten.save()
    response = client_for(cast.per).get("/saker/ny/")
    assert [c[0] for c in response.context["form"].fields["category"].choices] == ["lonn"]
    refused = client_for(cast.per).post(
        "/saker/ny/", _form(category="regnskap", subject_area=subject_area("regnskap").pk)
    )
    assert refused.status_code == 400
    assert not Case.objects.exists()


def test_case_is_reported_in_the_active_organisation(cast: Cast) -> None:
    client = client_for(cast.mona)
    client.post("/virksomhet/bytt/", {"organisation": cast.kystdir.pk})
    client.post("/saker/ny/", _form())
    assert Case.objects.get().organisation == cast.kystdir


def test_user_without_organisation_cannot_report(cast: Cast) -> None:
    response = client_for(cast.siv).get("/saker/ny/")
    assert response.status_code == 403
    assert client_for(cast.siv).post("/saker/ny/", _form()).status_code == 403
    assert not Case.objects.exists()


def test_outsider_cannot_report_into_another_organisation(cast: Cast) -> None:
    client = client_for(cast.nina)
    client.post("/virksomhet/bytt/", {"organisation": cast.fjordetaten.pk})  # refused: 404
    client.post("/saker/ny/", _form())
    assert Case.objects.get().organisation == cast.kystdir


def test_anonymous_cannot_report(db: None) -> None:
    assert Client().get("/saker/ny/").status_code == 302


def test_new_case_appears_on_the_start_page(cast: Cast) -> None:
    client = client_for(cast.per)
    client.post("/saker/ny/", _form(title="Synlig på forsiden"))
    assert "Synlig på forsiden" in client.get("/").content.decode()
    assert "Synlig på forsiden" not in client_for(cast.ola).get("/").content.decode()
