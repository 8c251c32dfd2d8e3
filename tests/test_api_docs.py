"""The API's documentation page (/api/v1/docs): the portal's own, made from the schema.

Anyone may read it, as anyone may read the schema: the outsider (a member of another
organisation, and a person with no organisation at all), the plain member and the
anonymous visitor get the same page. It shows every operation of the schema, so an
endpoint added later is documented without anyone writing it down, and it is in the
reader's language. Its example is the real thing: a system that does what the page
says files a case.
"""

from __future__ import annotations

import copy
import html
import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, override

from cases.models import Case
from portal.api import api
from portal.api_docs import operation_anchor
from tests.api_helpers import P, caller, register
from tests.cases_helpers import PDF_BYTES, subject_area
from tests.conftest import Cast, client_for, make_user
from tests.issuer import Issuer

DOCS = "/api/v1/docs"
METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def page(language: str = "nb", client: Client | None = None) -> str:
    response = (client or Client()).get(DOCS, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return str(response.content.decode())


def schema() -> dict[str, Any]:
    return dict(json.loads(Client().get("/api/v1/openapi.json").content))


def test_anyone_may_read_it_anonymous_outsider_plain_member_and_staff(cast: Cast) -> None:
    readers = [
        Client(),
        client_for(cast.nina),  # a member of another organisation
        client_for(make_user("uten-virksomhet")),  # a member of none
        client_for(cast.per),  # a plain member
        client_for(cast.kari),
        client_for(cast.siv),
    ]
    pages = [page("nb", reader) for reader in readers]
    for html_page in pages:
        assert "Kundesenters API for egne systemer" in html_page
    # Nothing on it depends on who reads it but the header.
    assert all(
        p.count('class="api-operation"') == pages[0].count('class="api-operation"') for p in pages
    )


def test_every_operation_of_the_schema_is_on_the_page(db: None) -> None:
    html_page = page("en")
    operations = [
        (method, path)
        for path, item in schema()["paths"].items()
        for method in item
        if method in METHODS
    ]
    assert len(operations) >= 6  # the cases' endpoints at least
    for method, path in operations:
        anchor = operation_anchor(method, path)
        heading = (
            f'id="{anchor}"><span class="api-method">{method.upper()}</span> '
            f"<code>{html.escape(path, quote=False)}</code></h3>"
        )
        assert heading in html_page, (method, path)
        assert f'href="#{anchor}"' in html_page, f"{method} {path} is not in the contents"
    assert html_page.count('class="api-operation"') == len(operations)


def test_an_operation_added_later_is_documented_by_itself(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new endpoint (here a JSON one with a PUT, put into the schema) is on the page
    with its parameters, its body's fields and limits, and its answers; what its schema
    says is escaped and marked as English."""
    grown = copy.deepcopy(schema())
    grown["components"]["schemas"]["DraftIn"] = {
        "type": "object",
        "properties": {
            "person": {"type": "string", "format": "email", "maxLength": 254},
            "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
            "note": {"anyOf": [{"type": "string", "maxLength": 500}, {"type": "null"}]},
        },
        "required": ["person", "lines"],
    }
    grown["components"]["schemas"]["Line"] = {
        "type": "object",
        "description": "One line of a <draft>.",
        "properties": {"system": {"type": "string", "enum": ["sap", "agresso"]}},
        "required": ["system"],
    }
    grown["paths"]["/api/v1/access-orders/drafts/{draft_id}/"] = {
        "put": {
            "summary": "Change a draft <b>now</b>",
            "description": "Send the whole draft.\n\nIt replaces the `lines`.",
            "parameters": [
                {"in": "path", "name": "draft_id", "required": True, "schema": {"type": "integer"}}
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/DraftIn"}}
                },
            },
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Line"}}
                    },
                },
                "409": {
                    "description": "The draft was sent or discarded already",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                },
            },
        }
    }
    monkeypatch.setattr(api, "get_openapi_schema", lambda **kwargs: grown)
    html_page = page("en")
    anchor = operation_anchor("put", "/api/v1/access-orders/drafts/{draft_id}/")
    section = html_page[html_page.index(f'id="{anchor}"') :]
    section = section[: section.index("</section>")]
    assert (
        '<p class="ds-paragraph narrow" lang="en">Change a draft &lt;b&gt;now&lt;/b&gt;</p>'
        in section
    )
    assert (
        '<p class="ds-paragraph narrow" lang="en">It replaces the <code>lines</code>.</p>'
        in section
    )
    assert "Request body: <code>application/json</code>" in section
    assert "<td><code>draft_id</code></td>" in section
    assert (
        "<code>string</code> (<code>email</code>)"
        '<ul class="api-limits"><li>at most 254 characters</li>' in section
    )
    assert 'list of <a class="ds-link" href="#structure-line"><code>Line</code></a>' in section
    assert "<code>string</code> or <code>null</code>" in section  # a JSON field may be null
    assert '<td lang="en">The draft was sent or discarded already</td>' in section
    # The structure it answers with, and the ones it names, are described once below.
    assert 'id="structure-line"><code>Line</code></h3>' in html_page
    assert "One line of a &lt;draft&gt;." in html_page
    assert "one of <code>sap</code>, <code>agresso</code>" in html_page


def test_the_scope_and_the_limits_are_the_settings(db: None, settings: Any) -> None:
    settings.MASKINPORTEN_SCOPES = ["dfo:kundesenter.test"]
    settings.API_RATE_LIMIT = "30/h"
    settings.API_MAX_REQUEST_BYTES = 10 * 1024 * 1024
    settings.API_IDEMPOTENCY_HOURS = 48
    english = page("en")
    assert "give it this scope: <code>dfo:kundesenter.test</code>" in english
    assert "dfo:kundesenter<" not in english
    assert "may send 30 requests an hour" in english
    assert "at most 10 MB" in english
    assert "remembered for 48 hours" in english
    assert "The request is larger than 10 MB." in english
    norwegian = page("nb")
    assert "30 forespørsler i timen" in norwegian
    settings.MASKINPORTEN_SCOPES = ["dfo:kundesenter", "dfo:kundesenter.les"]
    both = page("en")
    assert (
        "one of these scopes: <code>dfo:kundesenter</code>, <code>dfo:kundesenter.les</code>"
        in both
    )


def test_the_page_is_in_the_readers_language(db: None) -> None:
    english, bokmal, nynorsk = page("en"), page("nb"), page("nn")
    assert '<html lang="en"' in english
    assert '<h2 class="ds-heading" data-size="sm" id="access">How to get access</h2>' in english
    assert '<html lang="nb"' in bokmal
    assert 'id="access">Slik får dere tilgang</h2>' in bokmal
    assert 'id="operations">Operasjoner</h2>' in bokmal
    assert '<html lang="nn"' in nynorsk
    assert 'id="access">Slik får de tilgang</h2>' in nynorsk
    # The schema's own words stay English, and say so.
    assert '<p class="ds-paragraph narrow" lang="en">One case, with its messages</p>' in bokmal
    assert "Sammendrag og beskrivelser fra skjemaet er på engelsk." in bokmal
    # The example of an error is the API's own, in the reader's language.
    with override("nb"):
        assert (
            html.escape(gettext("Some of the input is not valid; see each field."), quote=False)
            in bokmal
        )
    assert "Some of the input is not valid; see each field." in english


def test_it_links_the_schema_and_replaces_ninjas_page(db: None) -> None:
    html_page = page("en")
    assert 'href="/api/v1/openapi.json"' in html_page
    assert "swagger" not in html_page.lower()
    assert reverse("portal:api_docs") == DOCS
    with pytest.raises(NoReverseMatch):
        reverse("api:openapi-view")  # ninja's own page is off (docs_url=None)


def _example_request(html_page: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The example's curl command, read off the page: its address, headers and fields."""
    block = next(
        html.unescape(re.sub(r"<[^>]+>", "", b))
        for b in re.findall(r'<pre class="code-block">(.*?)</pre>', html_page, re.S)
        if "-F category" in b
    )
    headers = dict(h.split(": ", 1) for h in re.findall(r'-H "([^"]+)"', block))
    fields = dict(f.strip('"').split("=", 1) for f in re.findall(r'-F ("[^"]+"|\S+)', block))
    url = block.split()[-1]
    return url, headers, fields


def _example_problem(html_page: str) -> Any:
    """The JSON of the page's example of an error."""
    block = next(
        html.unescape(b)
        for b in re.findall(r'<pre class="code-block"><code>(.*?)</code></pre>', html_page, re.S)
        if "application/problem+json" in b
    )
    return json.loads(block.split("\n\n", 1)[1])


def test_the_example_files_a_case_as_the_page_says(cast: Cast, issuer: Issuer) -> None:
    """A system that does what the page says files a case, with its attachment."""
    client = register(cast.fjordetaten, "fjordetaten-hr", P.FILE_PAYROLL, by=cast.kari)
    area = subject_area("lonn")
    html_page = page("nb")
    url, headers, fields = _example_request(html_page)
    assert url == "http://testserver/api/v1/cases/"
    assert headers["Authorization"] == "Bearer $TOKEN"
    assert headers["Idempotency-Key"] == "$(uuidgen)"
    assert fields["subject_area"] == "<id>"
    assert fields["attachments"].startswith("@")
    token = caller(issuer, client).headers()["Authorization"]
    data: dict[str, Any] = {
        **fields,
        "subject_area": str(area.pk),
        "attachments": SimpleUploadedFile(
            fields["attachments"][1:], PDF_BYTES, content_type="application/pdf"
        ),
    }
    # The page's example of an error is what the API answers to a title too long.
    refused = Client().post(
        url,
        {**data, "title": "x" * 301, "attachments": []},
        headers={"Authorization": token, "Idempotency-Key": "eksempel-0"},
        HTTP_ACCEPT_LANGUAGE="nb",
    )
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    assert json.loads(refused.content) == _example_problem(html_page)

    response = Client().post(
        url, data, headers={"Authorization": token, "Idempotency-Key": "eksempel-1"}
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=json.loads(response.content)["number"])
    assert case.title == fields["title"]
    assert [a.name for a in case.attachments.all()] == ["kontrakt.pdf"]
    # And a plain member, who holds no utvidet tilgang, does not see the system's case.
    assert client_for(cast.per).get(case.get_absolute_url()).status_code == 404


def test_the_attachment_limits_on_the_page_are_the_portals(db: None) -> None:
    from django.test import Client

    from cases.uploads import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS_PER_SUBMISSION

    page = Client().get("/api/v1/docs", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"at most {MAX_ATTACHMENTS_PER_SUBMISSION} files" in page
    assert f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB each" in page
