"""Følg in real Chromium: follow a colleague's case and find it again, without
JavaScript; the pages it passes through have no axe-core violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portal.models import RoleType
from tests.browser import assert_no_axe_violations, log_in
from tests.cases_helpers import make_case
from tests.conftest import PASSWORD, Cast, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_follow_a_case_and_find_it_with_followed_by_me(page_without_js: Any, cast: Cast) -> None:
    page = page_without_js  # axe-core needs JavaScript: it runs in the test below
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    followed = make_case(cast.fjordetaten, cast.per, title="Feriepenger mangler")
    make_case(cast.fjordetaten, cast.per, title="Trekk i lønn")
    own = make_case(cast.fjordetaten, cast.kari, title="Min egen sak")

    log_in(page, "kari", PASSWORD)
    page.goto(f"/saker/{own.number}/")
    page.get_by_text("Du meldte inn denne saken", exact=False).wait_for()
    assert page.get_by_role("button", name="Følg", exact=False).count() == 0

    page.goto(f"/saker/{followed.number}/")
    page.get_by_role("button", name="Følg: send meg e-post når det er nytt").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Alle sakene du følger").click()
    assert page.get_by_label("Fulgt av meg").is_checked()
    titles = page.locator("table.case-table tbody tr td:nth-child(2)").all_inner_texts()
    assert titles == ["Feriepenger mangler"]

    # Unticked and searched again: every case Kari sees, the filter gone from the address.
    page.get_by_label("Fulgt av meg").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Søk", exact=True).click()
    assert "fulgt=" not in page.url
    assert len(page.locator("table.case-table tbody tr").all()) == 3


def test_own_and_followed_case_and_the_filtered_list_have_no_axe_violations(
    page: Any, cast: Cast
) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    followed = make_case(cast.fjordetaten, cast.per, title="Feriepenger mangler")
    own = make_case(cast.fjordetaten, cast.kari, title="Min egen sak")
    log_in(page, "kari", PASSWORD)
    page.goto(f"/saker/{own.number}/")
    assert_no_axe_violations(page)
    page.goto(f"/saker/{followed.number}/")
    page.get_by_role("button", name="Følg: send meg e-post når det er nytt").click()
    page.get_by_role("link", name="Alle sakene du følger").wait_for()
    assert_no_axe_violations(page)
    page.goto("/saker/?fulgt=on")
    page.get_by_label("Fulgt av meg").wait_for()
    assert_no_axe_violations(page)
