"""Bad input is a clear message in the user's language, never a 500 (issue 12, finding 6).

Each address below gave a 500 before. A path that cannot be read is a 400 page;
a filter that cannot be read is an error next to its input, and the rest of the
list still works. Tried as the plain member Per, the outsider Nina (another
organisation) and anonymously.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest
from django.test import Client

from cases.models import Message
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for, make_user


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


NUL_ADDRESSES = [
    "/saker/SAK-2024-0000001%00/",
    "/saker/a%00b/vedlegg/1/",
    "/min-side/?person=%00",
    "/min-side/tilganger.xlsx?person=a%00",
    "/logg-inn/virksomhet/?virksomhet=%00",
    "/saker/?tittel=a%00b",
    "/saker/?a%00=1",
]


@pytest.mark.parametrize("address", NUL_ADDRESSES)
def test_a_nul_byte_anywhere_is_a_400_in_the_users_language(cast: Cast, address: str) -> None:
    for client in (client_for(cast.per), client_for(cast.nina), Client()):
        response = client.get(address, HTTP_ACCEPT_LANGUAGE="nb")
        assert response.status_code == 400, (address, response.status_code)
        assert "Forespørselen kunne ikke leses" in response.content.decode()


def test_a_posted_nul_byte_is_a_400_and_stores_nothing(cast: Cast) -> None:
    case = make_case(cast.fjordetaten, cast.per)
    client = client_for(cast.per)
    assert client.post("/saker/a%00b/folg/").status_code == 400
    response = client.post(
        f"/saker/{case.number}/", {"body": "Hei\x00", "submission_key": str(uuid.uuid4())}
    )
    assert response.status_code == 400
    assert not Message.objects.exists()
    assert client.post("/virksomhet/bytt/", {"organisation": "1\x00"}).status_code == 400


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("opprettet_til=31.12.9999", "opprettet_til"),
        ("endret_til=9999-12-31", "endret_til"),
        ("opprettet_fra=01.01.0001", "opprettet_fra"),
        ("endret_fra=31.12.9999", "endret_fra"),
    ],
)
def test_a_date_outside_what_the_list_holds_is_an_error_next_to_its_input(
    cast: Cast, query: str, field: str
) -> None:
    make_case(cast.fjordetaten, cast.per, title="Synlig")
    client = client_for(cast.per)
    response = client.get(f"/saker/?{query}", HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 200
    assert field in response.context["filter_form"].errors
    assert "Velg en dato mellom" in response.content.decode()
    assert len(response.context["page"].rows) == 1  # the other filters still apply
    export = client.get(f"/saker/eksport.xlsx?{query}")
    assert export.status_code == 200


@pytest.mark.parametrize("number", ["²", "１２²", "１２３", "9" * 40, "SAK-2024-" + "9" * 30])
def test_a_case_number_filter_that_is_not_plain_digits_never_fails(cast: Cast, number: str) -> None:
    make_case(cast.fjordetaten, cast.per, title="Synlig")
    response = client_for(cast.per).get("/saker/", {"nummer": number})
    assert response.status_code == 200
    assert response.context["page"].rows == []


def _cursor(value: object) -> str:
    raw = json.dumps(value, allow_nan=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor([float("inf"), 1]),
        _cursor([1e308, 1]),
        _cursor([float("nan"), 1]),
        _cursor([1, 10**30]),
        _cursor([10**30, 1]),
        _cursor(["x" * 5000, 1]),
        base64.urlsafe_b64encode(b"[" * 1000).decode(),
        "[" * 1000,
        "%%%",
    ],
)
@pytest.mark.parametrize("sort", ["-endret", "nummer", "tittel", "status", "fagomrade"])
def test_a_cursor_that_cannot_be_read_is_a_notice_not_a_500(
    cast: Cast, cursor: str, sort: str
) -> None:
    make_case(cast.fjordetaten, cast.per, title="Synlig")
    response = client_for(cast.per).get("/saker/", {"sort": sort, "etter": cursor})
    assert response.status_code == 200
    assert response.context["page"].notices


def test_an_upload_named_dot_dot_is_refused_with_a_message_and_nothing_stored(
    cast: Cast,
) -> None:
    import io

    from cases.models import Case
    from tests.cases_helpers import PDF_BYTES, subject_area

    upload = io.BytesIO(PDF_BYTES)
    upload.name = ".."  # what a browser can send; Django's parser used to drop it quietly
    response = client_for(cast.per).post(
        "/saker/ny/",
        {
            "category": "lonn",
            "subject_area": subject_area("lonn").pk,
            "title": "Med rart vedlegg",
            "description": "Se vedlegg",
            "attachments": upload,
            "submission_key": str(uuid.uuid4()),
        },
        HTTP_ACCEPT_LANGUAGE="nb",
    )
    assert response.status_code == 400
    assert not Case.objects.exists()
    assert "Med rart vedlegg" in response.content.decode()  # what was typed is kept


@pytest.mark.parametrize(
    "address",
    [
        "/admin/portal/membership/add/?organisation=%C2%B2",
        "/admin/cases/case/add/?reported_by=1e308",
        "/admin/portal/roleassignment/add/?person=%EF%BC%91",
    ],
)
def test_an_admin_add_page_with_an_unreadable_key_in_its_address_still_opens(
    cast: Cast, address: str
) -> None:
    assert client_for(cast.siv).get(address).status_code == 200


def test_a_multipart_post_with_a_nul_byte_is_a_400_even_in_the_admin(cast: Cast) -> None:
    response = client_for(cast.siv).post("/admin/portal/membership/add/", {"user": "\x00"})
    assert response.status_code == 400


@pytest.mark.parametrize("next_url", ["²", "start", "javascript:alert(1)", "//evil.example/"])
def test_a_next_that_is_not_an_address_on_this_site_is_ignored(cast: Cast, next_url: str) -> None:
    response = client_for(cast.siv).get("/admin/login/", {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    response = client_for(cast.mona).post(
        "/virksomhet/bytt/", {"organisation": cast.kystdir.pk, "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("language", ["nb", "en"])
def test_a_forms_address_typed_in_is_a_page_not_a_blank_405(cast: Cast, language: str) -> None:
    """require_POST answers a GET with an empty 405: the portal shows its own page."""
    response = client_for(cast.per).get("/saker/kolonner/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    words = {"nb": "Denne adressen hører til et skjema", "en": "belongs to a form"}
    assert words[language] in response.content.decode()
    # The gate still answers first for those who may not use the form at all.
    assert client_for(make_user("outsider")).get("/saker/kolonner/").status_code == 403
    assert Client().get("/saker/kolonner/").status_code == 302
