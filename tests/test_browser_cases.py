"""Reporting and following a case in real Chromium, with axe-core on every state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cases.models import Case
from tests.browser import assert_no_axe_violations, log_in
from tests.cases_helpers import PDF_BYTES, subject_area
from tests.conftest import PASSWORD, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def areas(cast: Cast) -> None:
    subject_area("lonn")
    subject_area("regnskap")


def test_report_a_case_with_attachment_then_follow_it_up(
    page: Any, cast: Cast, areas: None, tmp_path: Path
) -> None:
    document = tmp_path / "trekkliste.pdf"
    document.write_bytes(PDF_BYTES)
    log_in(page, "per", PASSWORD)
    page.get_by_role("link", name="Ny sak").first.click()
    page.get_by_role("heading", name="Meld inn sak").wait_for()
    assert_no_axe_violations(page)

    # First a mistake: no title. The error state must be as accessible as the form.
    page.get_by_label("Lønn").check()
    page.get_by_label("Fagområde").select_option(label="Lønnskjøring")
    page.get_by_label("Beskriv saken").fill("Tre ansatte fikk feil trekk i november.")
    page.get_by_role("button", name="Send sak").click()
    page.locator("#error-summary").wait_for()
    assert page.get_by_label("Beskriv saken").input_value() == (
        "Tre ansatte fikk feil trekk i november."
    )
    assert_no_axe_violations(page)

    page.get_by_label("Tittel").fill("Feil skattetrekk i novemberlønna")
    page.get_by_label("Vedlegg").set_input_files(str(document))
    page.get_by_role("button", name="Send sak").click()
    page.get_by_role("heading", name="Feil skattetrekk i novemberlønna").wait_for()
    case = Case.objects.get()
    assert page.get_by_role("link", name="trekkliste.pdf").count() >= 1
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Start", exact=True).click()
    page.get_by_role("link", name=f"{case.number} Feil skattetrekk i novemberlønna").click()

    page.get_by_label("Ny melding").fill("Her kommer mer informasjon.")
    page.get_by_role("button", name="Send melding").click()
    page.get_by_text("Her kommer mer informasjon.").wait_for()
    assert case.messages.get().body == "Her kommer mer informasjon."
    assert_no_axe_violations(page)


def test_case_page_error_state_has_no_axe_violations(page: Any, cast: Cast, areas: None) -> None:
    from tests.cases_helpers import make_case

    case = make_case(cast.fjordetaten, cast.per)
    log_in(page, "per", PASSWORD)
    page.goto(f"/saker/{case.number}/")
    page.get_by_role("button", name="Send melding").click()
    page.locator("#error-summary").wait_for()
    assert_no_axe_violations(page)


def test_report_a_case_without_javascript(page_without_js: Any, cast: Cast, areas: None) -> None:
    page = page_without_js
    log_in(page, "per", PASSWORD)
    page.goto("/saker/ny/")
    page.get_by_label("Lønn").check()
    page.get_by_label("Fagområde").select_option(label="Lønnskjøring")
    page.get_by_label("Tittel").fill("Uten JavaScript")
    page.get_by_label("Beskriv saken").fill("Det virker likevel.")
    page.get_by_role("button", name="Send sak").click()
    page.get_by_role("heading", name="Uten JavaScript").wait_for()
    assert Case.objects.get().title == "Uten JavaScript"
