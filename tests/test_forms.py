"""The shared form rendering (portal_tags ``field`` and ``error_summary``) on every form.

Each error in the summary names its field and links to an input that exists;
radios and checkboxes are Designsystemet's; a field is marked optional only
when it is; no field takes the focus past the skip link.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import time_machine
from django import forms
from django.test import Client
from django.utils import translation
from lxml import html  # type: ignore[import-untyped]

import access.forms
import cases.forms
import portal.forms
from portal.models import RoleType
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def orderer(cast: Cast) -> Client:
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    return client_for(cast.kari)


def tree(response: Any) -> Any:
    return html.fromstring(response.content.decode())


def summary_links(response: Any) -> list[tuple[str, str]]:
    """(text, href) of each error in the page's error summary."""
    return [
        (" ".join(a.text_content().split()), a.get("href"))
        for a in tree(response).xpath("//*[@id='error-summary']//a")
    ]


def error_pages(cast: Cast, orderer: Client, language: str) -> dict[str, Any]:
    """A page of each kind of form, sent empty or wrong."""
    header: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": language}
    per = client_for(cast.per)
    return {
        "case list": per.get("/saker/?opprettet_fra=31.02.2024&endret_til=x", **header),
        "case list choices": per.get("/saker/?status=bogus&kategori=x", **header),
        "new case": per.post("/saker/ny/", {"submission_key": str(uuid.uuid4())}, **header),
        "order": orderer.post(
            "/tilganger/bestill/",
            {
                "omrade": "lonn",
                "step": "review",
                "submission_key": str(uuid.uuid4()),
                "form-TOTAL_FORMS": "1",
                "form-INITIAL_FORMS": "0",
                "form-0-action": "grant",
                "form-0-valid_from": "01.01.2020",
            },
            **header,
        ),
        "my page": per.post("/min-side/", {"first_name": ""}, **header),
        "login": Client().post("/logg-inn/", {"username": "", "password": ""}, **header),
    }


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_every_error_in_the_summary_names_its_field_and_links_to_its_input(
    cast: Cast, orderer: Client, language: str
) -> None:
    for name, response in error_pages(cast, orderer, language).items():
        ids = set(tree(response).xpath("//@id"))
        links = summary_links(response)
        assert links, f"{name}: no error summary"
        for text, href in links:
            assert href.startswith("#"), f"{name}: {text} links to {href}"
            assert href[1:] in ids, f"{name}: {text} links to {href}, not on the page"
            label = tree(response).xpath(f"//label[@for='{href[1:]}']")
            assert label, f"{name}: {href} has no label"
            assert ": " in text, f"{name}: {text} does not name its field"


def test_two_bad_dates_say_which_field_each(cast: Cast) -> None:
    response = client_for(cast.per).get(
        "/saker/?opprettet_fra=31.02.2024&endret_til=x", HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert summary_links(response) == [
        ("Opprettet fra: Oppgi en gyldig dato.", "#id_opprettet_fra"),
        ("Sist endret til: Oppgi en gyldig dato.", "#id_endret_til"),
    ]
    response = client_for(cast.per).get(
        "/saker/?opprettet_fra=31.02.2024", HTTP_ACCEPT_LANGUAGE="nn"
    )
    with translation.override("nn"):
        expected = (
            f"{translation.gettext('Created from')}: {translation.gettext('Enter a valid date.')}"
        )
    assert summary_links(response) == [(expected, "#id_opprettet_fra")]


def test_missing_category_links_to_its_first_radio(cast: Cast) -> None:
    response = client_for(cast.per).post(
        "/saker/ny/", {"submission_key": str(uuid.uuid4())}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert ("Category: This field is required.", "#id_category_0") in summary_links(response)


def test_order_lines_are_named_in_the_summary(cast: Cast, orderer: Client) -> None:
    response = error_pages(cast, orderer, "nb")["order"]
    texts = [text for text, _href in summary_links(response)]
    assert "Linje 1, Systemrolle: Feltet er påkrevet." in texts
    assert "Linje 1, Fra dato: Datoen kan ikke være tilbake i tid." in texts


def test_radios_and_checkboxes_are_designsystemet_inputs(cast: Cast, orderer: Client) -> None:
    make_case(cast.fjordetaten, cast.per)
    per = client_for(cast.per)
    pages = {
        "new case": per.get("/saker/ny/"),
        "case list": per.get("/saker/"),
        "orderers": orderer.get("/tilganger/bestillere/"),
    }
    for name, response in pages.items():
        controls = tree(response).xpath("//input[@type='radio' or @type='checkbox']")
        assert controls, f"{name}: no radios or checkboxes to check"
        for control in controls:
            assert "ds-input" in control.get("class", "").split(), (
                f"{name}: {control.get('name')} is the browser's own control"
            )
            assert "ds-field" in control.getparent().get("class", "").split()


# Imported so that their forms are subclasses of Django's when the test looks.
FORM_MODULES = (access.forms, cases.forms, portal.forms)


def all_form_classes() -> list[type[Any]]:
    found: list[type[Any]] = []
    todo: list[type[Any]] = [forms.Form, forms.ModelForm]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.split(".")[0] in {"portal", "cases", "access"}]


def test_no_label_carries_its_own_optional_mark() -> None:
    """The field template marks optional fields; a label saying so too reads it twice."""
    classes = all_form_classes()
    assert portal.forms.FeedbackCommentForm in classes
    assert access.forms.OrderLineForm in classes
    with translation.override("en"):
        for cls in classes:
            for name, field in cls.base_fields.items():
                assert "optional" not in str(field.label or "").lower(), f"{cls.__name__}.{name}"


def labels(response: Any) -> dict[str, str]:
    return {
        label.get("for"): " ".join(label.text_content().split())
        for label in tree(response).xpath("//label[@for]")
    }


def test_optional_mark_only_where_leaving_it_empty_is_fine(cast: Cast, orderer: Client) -> None:
    response = orderer.get("/tilganger/bestill/?omrade=lonn", HTTP_ACCEPT_LANGUAGE="nb")
    shown = labels(response)
    # A member or a new person: one way is required, so neither is "optional"...
    for name in ("person", "new_person_name", "new_person_email", "employee_number"):
        assert "valgfritt" not in shown[f"id_form-0-{name}"], name
    # ...and the group says what is needed.
    assert "Velg en person i listen, eller fyll inn navn, e-post og ansattnummer." in (
        response.content.decode()
    )
    assert shown["id_comment"] == "Kommentar til kundesenteret (valgfritt)"
    assert shown["id_form-0-system_role"] == "Systemrolle"


def test_feedback_comment_is_marked_optional_once(cast: Cast) -> None:
    client = client_for(cast.per)
    response = client.post(
        "/tilbakemelding/", {"page": "/", "answer": "ja"}, HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert labels(response)["id_comment"] == "Hva lette du etter? (valgfritt)"


def test_no_page_autofocuses_past_the_skip_link(cast: Cast, orderer: Client) -> None:
    per = client_for(cast.per)
    pages = {
        "login": Client().get("/logg-inn/"),
        "login with errors": Client().post("/logg-inn/", {"username": "", "password": ""}),
        "new case": per.get("/saker/ny/"),
        "my page": per.get("/min-side/"),
        "case list": per.get("/saker/"),
        "orderers": orderer.get("/tilganger/bestillere/"),
        "order": orderer.get("/tilganger/bestill/?omrade=lonn"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert not tree(response).xpath("//*[@autofocus]"), f"{name} autofocuses a field"


def test_each_case_row_has_one_link(cast: Cast) -> None:
    for i in range(3):
        make_case(cast.fjordetaten, cast.per, title=f"Sak {i}")
    rows = tree(client_for(cast.per).get("/saker/")).xpath(
        "//table[contains(@class, 'case-table')]/tbody/tr"
    )
    assert len(rows) == 3
    for row in rows:
        assert len(row.xpath(".//a")) == 1


def test_old_version_search_error_is_in_the_summary(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2022, 11, 18, 12, tzinfo=dt.UTC), tick=False):
        response = client_for(cast.per).get(
            "/gammel/saker/", {"q": "x" * 201}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert summary_links(response) == [
        (
            "Search in case number and title: "
            "Ensure this value has at most 200 characters (it has 201).",
            "#id_q",
        )
    ]
