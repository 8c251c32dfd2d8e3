"""The login page's organisation list and the old/new version choice in real Chromium.

Playwright's clock does not move the server's time, so the old version is held
open by setting its last day in the future.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.browser import assert_no_axe_violations, log_in
from tests.cases_helpers import make_case
from tests.conftest import PASSWORD, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def old_open(settings: Any) -> None:
    settings.OLD_VERSION_LAST_DAY = dt.date(2099, 1, 1)


def _stub_direct_links(page: Any) -> None:
    """The direct login link (/inn/<slug>/) is not this module's: answer it with a stub."""
    page.route(
        re.compile(r".*/inn/[^/]+/$"),
        lambda route: route.fulfill(status=200, content_type="text/plain", body="direkte"),
    )


def test_login_page_with_the_organisation_list_has_no_axe_violations(
    page: Any, cast: Cast, old_open: None
) -> None:
    page.goto("/logg-inn/")
    page.get_by_label("Virksomheten din", exact=True).wait_for()
    page.get_by_label("Søk etter virksomheten din").wait_for()
    assert_no_axe_violations(page)


def test_searching_the_organisation_list_picks_the_match_and_goes_to_its_link(
    page: Any, cast: Cast, old_open: None
) -> None:
    _stub_direct_links(page)
    page.goto("/logg-inn/")
    page.get_by_label("Søk etter virksomheten din").fill("kyst")
    select = page.get_by_label("Virksomheten din", exact=True)
    assert select.input_value() == "kystdirektoratet"
    page.get_by_text("Virksomheter som passer: 1").wait_for()
    assert_no_axe_violations(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Gå videre til virksomheten").click()
    assert page.url.endswith("/inn/kystdirektoratet/")


def test_organisation_list_works_without_javascript(
    page_without_js: Any, cast: Cast, old_open: None
) -> None:
    page = page_without_js
    _stub_direct_links(page)
    page.goto("/logg-inn/")
    assert page.get_by_label("Søk etter virksomheten din").count() == 0
    page.get_by_label("Virksomheten din", exact=True).select_option("fjordetaten")
    with page.expect_navigation():
        page.get_by_role("button", name="Gå videre til virksomheten").click()
    assert page.url.endswith("/inn/fjordetaten/")


def test_password_login_offers_the_choice_then_the_old_list_and_back(
    page: Any, cast: Cast, old_open: None
) -> None:
    for title in ["Feil i feriepenger", "Trekk mangler"]:
        make_case(cast.fjordetaten, cast.per, title=title)
    log_in(page, "per", PASSWORD)
    page.get_by_role("heading", name="Velg versjon", level=1).wait_for()
    assert page.url.endswith("/versjon/")
    assert_no_axe_violations(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Bruk gammel versjon").click()
    assert page.url.endswith("/gammel/saker/")
    page.get_by_role("cell", name="Feil i feriepenger").wait_for()
    assert_no_axe_violations(page)

    page.get_by_label("Søk i saksnummer og tittel").fill("feriepenger")
    with page.expect_navigation():
        page.get_by_role("button", name="Søk", exact=True).click()
    assert page.get_by_role("cell", name="Trekk mangler").count() == 0
    page.get_by_role("cell", name="Feil i feriepenger").wait_for()
    assert_no_axe_violations(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Bytt til ny versjon").click()
    assert page.url.endswith("/saker/")
    assert "/gammel/" not in page.url
    page.get_by_role("button", name="Bytt til gammel versjon").wait_for()


def test_password_login_after_the_cutoff_goes_straight_to_the_start_page(
    page: Any, cast: Cast, settings: Any
) -> None:
    settings.OLD_VERSION_LAST_DAY = dt.date(2022, 11, 18)  # long past
    log_in(page, "per", PASSWORD)
    page.get_by_role("heading", name="Velkommen, Per").wait_for()
    assert page.get_by_role("button", name="Bytt til gammel versjon").count() == 0
