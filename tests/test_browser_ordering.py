"""Ordering access in real Chromium: two lines, review, send; the refusal; axe-core."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from access.models import Order
from portal.models import RoleType
from tests.browser import assert_no_axe_violations, log_in
from tests.conftest import PASSWORD, Cast, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def orderer(cast: Cast) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))


def test_orderer_orders_payroll_access_with_two_lines(page: Any, cast: Cast, orderer: None) -> None:
    log_in(page, "kari", PASSWORD)
    page.goto("/tilganger/bestill/")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Bestill: Lønn").click()
    page.get_by_role("heading", name="Bestill tilganger: Lønn").wait_for()
    first = page.locator("fieldset.order-line").nth(0)
    first.get_by_role("combobox", name="Person", exact=True).select_option(label="Per Testesen")
    first.get_by_label("Systemrolle").select_option(label="Lønnssystemet: Lønnsmedarbeider")
    page.get_by_role("button", name="Legg til linje").click()
    second = page.locator("fieldset.order-line").nth(1)
    second.wait_for()
    assert first.get_by_role("combobox", name="Person", exact=True).input_value() == str(
        cast.per.pk
    )
    second.get_by_label("Navn (ny person)").fill("Nils Ny")
    second.get_by_label("E-post (ny person)").fill("nils@example.no")
    second.get_by_label("Ansattnummer").fill("10042")
    second.get_by_label("Systemrolle").select_option(label="Reise og utlegg: Attestant reise")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Se over bestillingen").click()
    page.get_by_role("heading", name="Se over bestillingen").wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Send bestillingen").click()
    page.get_by_role("heading", name="Bestilling", exact=False).first.wait_for()
    order = Order.objects.get()
    assert order.lines.count() == 2
    assert page.url.endswith(f"/saker/{order.case.number}/")
    assert_no_axe_violations(page)


def test_plain_member_sees_why_and_who_can_order(page: Any, cast: Cast, orderer: None) -> None:
    log_in(page, "per", PASSWORD)
    page.goto("/tilganger/bestill/")
    page.get_by_text("Kari Testesen").first.wait_for()
    assert page.get_by_role("link", name="Bestill: Lønn").count() == 0
    assert_no_axe_violations(page)
