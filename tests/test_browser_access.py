"""Min side and an appointment request in real Chromium, keyboard and axe-core."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from access.models import Appointment
from portal.dates import today as oslo_today
from portal.demo import org_number
from portal.models import Organisation, RoleType
from tests.browser import assert_no_axe_violations, log_in
from tests.conftest import PASSWORD, Cast, grant, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def roles(cast: Cast) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    grant(cast.ola, cast.fjordetaten, "kontraktsansvarlig")


def test_min_side_disclosures_work_with_the_keyboard(page: Any, cast: Cast, roles: None) -> None:
    log_in(page, "per", PASSWORD)
    page.goto("/min-side/")
    page.get_by_role("heading", name="Min side").wait_for()
    assert_no_axe_violations(page)
    summary = page.locator("summary", has_text="Kontraktsansvarlig")
    e_mail = page.locator("details", has=summary).get_by_text("ola@example.no")
    summary.focus()
    page.keyboard.press("Enter")
    e_mail.wait_for()
    assert e_mail.is_visible()
    assert_no_axe_violations(page)
    page.keyboard.press("Space")
    e_mail.wait_for(state="hidden")  # Designsystemet animates the closing
    assert not e_mail.is_visible()


def test_fullmakt_holder_requests_an_appointment(page: Any, cast: Cast, roles: None) -> None:
    log_in(page, "ola", PASSWORD)
    page.goto("/tilganger/bestillere/")
    page.get_by_role("heading", name="Autoriserte bestillere", exact=True).wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("radio", name="Lønn").check()
    page.get_by_label("Person").select_option(label="Per Testesen")
    page.get_by_role("button", name="Send forespørsel").click()
    page.get_by_role("heading", name="Oppnevn autorisert bestiller lønn: Per Testesen").wait_for()
    appointment = Appointment.objects.get()
    assert appointment.person == cast.per
    assert appointment.requested_by == cast.ola


def test_refusal_for_a_plain_member_has_no_axe_violations(
    page: Any, cast: Cast, roles: None
) -> None:
    log_in(page, "per", PASSWORD)
    page.goto("/tilganger/bestillere/")
    page.get_by_text("Kari Testesen").first.wait_for()
    assert page.get_by_role("button", name="Send forespørsel").count() == 0
    assert_no_axe_violations(page)


def test_error_state_of_the_appointment_form(page: Any, cast: Cast, roles: None) -> None:
    log_in(page, "ola", PASSWORD)
    page.goto("/tilganger/bestillere/")
    page.get_by_label("Dato").fill("31.02.2022")
    page.get_by_role("button", name="Send forespørsel").click()
    page.locator("#error-summary").wait_for()
    assert_no_axe_violations(page)


def test_the_ended_role_notice_has_no_axe_violations(page: Any, cast: Cast, roles: None) -> None:
    grant(
        cast.eva,
        cast.fjordetaten,
        RoleType.EXTENDED_PAYROLL,
        valid_to=oslo_today() - dt.timedelta(days=30),
    )
    log_in(page, "eva", PASSWORD)
    for path in ("/min-side/", "/tilganger/bestill/"):
        page.goto(path)
        page.get_by_text("Du hadde Utvidet tilgang lønn til og med").wait_for()
        assert_no_axe_violations(page)


def test_the_only_member_holding_fullmakt_is_shown_the_form_path(page: Any, db: None) -> None:
    archive = Organisation.objects.create(
        name="Statens arkivtjeneste",
        org_number=org_number("98100004"),
        slug="arkiv",
        buys_accounting=False,
    )
    lise = make_user("lise", archive)
    grant(lise, archive, RoleType.FULLMAKT)
    log_in(page, "lise", PASSWORD)
    page.goto("/tilganger/bestillere/")
    page.get_by_role("link", name="Last ned fullmaktsskjemaet (Excel)").wait_for()
    assert page.get_by_label("Person").count() == 0
    assert_no_axe_violations(page)
