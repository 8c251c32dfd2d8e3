"""The foundation in real Chromium: log in, start page, language, feedback, axe-core."""

from __future__ import annotations

from typing import Any

import pytest

from portal.models import ContactCentre, Feedback
from tests.browser import assert_no_axe_violations, log_in
from tests.conftest import PASSWORD, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def centres(cast: Cast) -> None:
    for area, name in [("lonn", "lønn"), ("regnskap", "regnskap")]:
        ContactCentre.objects.update_or_create(
            area=area,
            defaults={
                "name_nb": f"Kundesenter for {name}",
                "name_en": f"Customer centre ({area})",
                "phone": "+47 400 00 000",
                "email": f"{area}@example.no",
                "opening_hours_nb": "Hverdager 08.00–15.30",
                "opening_hours_en": "Weekdays 08:00–15:30",
            },
        )


def test_login_page_has_no_axe_violations(page: Any, cast: Cast) -> None:
    page.goto("/logg-inn/")
    assert_no_axe_violations(page)


def test_failed_login_keeps_username_and_has_no_axe_violations(page: Any, cast: Cast) -> None:
    log_in(page, "per", "feil-passord")
    assert page.get_by_label("Brukernavn", exact=True).input_value() == "per"
    assert page.locator("#error-summary").is_visible()
    assert_no_axe_violations(page)


def test_plain_member_logs_in_switches_language_and_sends_feedback(
    page: Any, cast: Cast, centres: None
) -> None:
    log_in(page, "per", PASSWORD)
    page.get_by_role("heading", name="Velkommen, Per").wait_for()
    assert_no_axe_violations(page)

    page.get_by_label("Språk").select_option("en")
    page.get_by_role("button", name="Bytt språk").click()
    page.get_by_role("heading", name="Welcome, Per").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"

    page.get_by_role("link", name="Contact", exact=True).first.click()
    page.get_by_role("heading", name="Contact the customer centres").wait_for()
    assert_no_axe_violations(page)

    page.get_by_role("button", name="No", exact=True).click()
    page.get_by_role("heading", name="We are sorry to hear that!").wait_for()
    page.get_by_label("What were you looking for? (optional)").fill("Skjema for fullmakt")
    page.get_by_role("button", name="Send comment").click()
    page.get_by_text("Your comment has been saved.").wait_for()

    row = Feedback.objects.get()
    assert (row.page, row.answer, row.comment) == ("/kontakt/", "nei", "Skjema for fullmakt")


def test_contact_page_in_norwegian_has_no_axe_violations(
    page: Any, cast: Cast, centres: None
) -> None:
    page.goto("/kontakt/")
    page.get_by_role("heading", name="Kundesenter for lønn").wait_for()
    assert_no_axe_violations(page)


def test_skip_link_is_first_and_moves_focus_to_main(page: Any, cast: Cast) -> None:
    log_in(page, "per", PASSWORD)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_feedback_works_without_javascript(page_without_js: Any, cast: Cast) -> None:
    page = page_without_js
    page.goto("/logg-inn/")
    page.get_by_role("button", name="Ja", exact=True).click()
    page.get_by_role("heading", name="Takk for tilbakemeldingen!").wait_for()
    assert Feedback.objects.get().answer == "ja"
