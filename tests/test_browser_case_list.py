"""The case list in real Chromium: columns, filters, sort, pages, export, URL state, axe-core."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from cases.models import Case
from portal.models import RoleType
from tests.browser import assert_no_axe_violations, log_in
from tests.cases_helpers import make_case
from tests.conftest import PASSWORD, Cast, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def many_cases(cast: Cast) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_ACCOUNTING)
    start = dt.datetime(2022, 1, 3, 9, tzinfo=dt.UTC)
    for i in range(60):
        title = f"Lønnsoppgjør {i:02d}" if i % 3 == 0 else f"Faktura {i:02d}"
        case = make_case(cast.fjordetaten, cast.per, "lonn" if i % 2 else "regnskap", title=title)
        moment = start + dt.timedelta(days=i)
        Case.objects.filter(pk=case.pk).update(created_at=moment, updated_at=moment)


def _row_numbers(page: Any) -> list[str]:
    return page.locator("table.case-table tbody tr td:first-child").all_inner_texts()


def test_columns_filters_sort_pages_and_export(page: Any, cast: Cast, many_cases: None) -> None:
    log_in(page, "kari", PASSWORD)
    page.goto("/saker/")
    page.get_by_role("heading", name="Innmeldte saker").wait_for()
    assert_no_axe_violations(page)

    # Hide a column and show it again, without a page reload (htmx).
    page.get_by_text("Kolonner", exact=True).click()
    page.get_by_label("Kategori", exact=True).uncheck()
    page.get_by_role("button", name="Lagre kolonner").click()
    page.locator("table.case-table thead th", has_text="Kategori").wait_for(state="detached")
    page.get_by_text("Kolonner", exact=True).click()
    page.get_by_label("Kategori", exact=True).check()
    page.get_by_role("button", name="Lagre kolonner").click()
    page.locator("table.case-table thead th", has_text="Kategori").wait_for()

    # Filter by title and by created date.
    page.get_by_label("Søk i Tittel").fill("lønn")
    page.get_by_label("Opprettet fra").fill("01.02.2022")
    page.get_by_role("button", name="Søk", exact=True).click()
    page.wait_for_url("**tittel=l%C3%B8nn**")
    titles = page.locator("table.case-table tbody tr td:nth-child(2)").all_inner_texts()
    assert titles
    assert all(t.startswith("Lønnsoppgjør") for t in titles)
    assert_no_axe_violations(page)

    # Sort by title, ascending.
    page.get_by_role("link", name="Tittel").click()
    page.wait_for_url("**sort=tittel**")
    sorted_titles = page.locator("table.case-table tbody tr td:nth-child(2)").all_inner_texts()
    assert sorted_titles == sorted(sorted_titles)

    # The URL reproduces the list in a fresh tab.
    shown = _row_numbers(page)
    copy = page.context.new_page()
    copy.goto(page.url)
    assert _row_numbers(copy) == shown
    copy.close()

    # Pages of 25 over all cases.
    page.goto("/saker/?per_side=25")
    first = _row_numbers(page)
    page.get_by_role("link", name="Neste").click()
    page.wait_for_url("**side=2**")
    second = _row_numbers(page)
    assert len(first) == len(second) == 25
    assert not set(first) & set(second)
    page.go_back()
    page.wait_for_url("**/saker/?per_side=25")
    assert _row_numbers(page) == first

    # Export what is shown.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Eksporter til Excel").click()
    content = Path(download_info.value.path()).read_bytes()
    rows = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 61
    assert rows[0][0] == "Nummer"


def test_date_error_state_has_no_axe_violations(page: Any, cast: Cast, many_cases: None) -> None:
    log_in(page, "kari", PASSWORD)
    page.goto("/saker/?opprettet_fra=10.11.2022&opprettet_til=01.11.2022")
    page.get_by_text("Til-datoen er før fra-datoen", exact=False).first.wait_for()
    assert_no_axe_violations(page)


def test_list_works_without_javascript(page_without_js: Any, cast: Cast, many_cases: None) -> None:
    page = page_without_js
    log_in(page, "kari", PASSWORD)
    page.goto("/saker/")
    page.get_by_label("Søk i Tittel").fill("faktura 1")
    page.get_by_role("button", name="Søk", exact=True).click()
    # A click starts the page load without waiting for it: read the new page once it is there.
    page.wait_for_url("**tittel=faktura+1**")
    titles = page.locator("table.case-table tbody tr td:nth-child(2)").all_inner_texts()
    assert titles
    assert all(t.startswith("Faktura 1") for t in titles)
    page.locator("summary", has_text="Kolonner").click()
    page.get_by_label("Status", exact=True).uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Lagre kolonner").click()
    assert page.locator("table.case-table thead th", has_text="Status").count() == 0
    assert "tittel=faktura" in page.url
