"""The API's documentation page in Chromium: no axe violations, the whole page without
JavaScript, and no sideways scrolling at 320 px, measured as the layout walk measures
every page (tests/test_browser_layout.py), in bokmål, nynorsk and English.

Read anonymously, as an agency's developer meets it, and by the plain member Per, whose
header has the portal's menu.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import assert_no_axe_violations, log_in
from tests.conftest import PASSWORD, Cast
from tests.test_browser_layout import CHECK_LAYOUT, MEASURED, TABLES_FIT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = "/api/v1/docs"
HEADINGS = {
    "nb": "Kundesenters API for egne systemer",
    "nn": "API-et til Kundesenter for eigne system",
    "en": "Kundesenter's API for your own systems",
}


def _in_language(page: Any, live_server: Any, language: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(DOCS)
    page.get_by_role("heading", name=HEADINGS[language], level=1).wait_for()


def test_the_page_passes_axe_and_never_scrolls_sideways(
    page: Any, live_server: Any, cast: Cast
) -> None:
    problems: list[str] = []
    for language in ("nb", "nn", "en"):
        _in_language(page, live_server, language)
        page.set_viewport_size({"width": 1280, "height": 900})
        problems += [f"{language}, 1280 px: {p}" for p in page.evaluate(TABLES_FIT)]
        for width in (320, 390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            problems += [
                f"{language}, {width} px: {p}" for p in page.evaluate(CHECK_LAYOUT, MEASURED)
            ]
        if language == "nb":
            page.set_viewport_size({"width": 320, "height": 900})
            assert_no_axe_violations(page)
            page.set_viewport_size({"width": 1280, "height": 900})
            assert_no_axe_violations(page)
    assert not problems, "\n".join(problems)


def test_the_plain_members_page_passes_axe_too(page: Any, cast: Cast) -> None:
    log_in(page, "per", PASSWORD)
    page.goto(DOCS)
    page.get_by_role("heading", name=HEADINGS["nb"], level=1).wait_for()
    assert page.get_by_role("navigation", name="Hovedmeny").is_visible()
    assert_no_axe_violations(page)


def test_without_javascript_every_part_is_there_and_the_links_and_language_work(
    page_without_js: Any, cast: Cast
) -> None:
    page = page_without_js
    page.goto(DOCS)
    page.get_by_role("heading", name=HEADINGS["nb"], level=1).wait_for()
    # The contents lead to each part, an operation too, by the address's fragment.
    contents = page.get_by_role("navigation", name="På denne siden")
    contents.get_by_role("link", name="POST /api/v1/cases/", exact=True).click()
    page.wait_for_url("**/api/v1/docs#post-api-v1-cases")
    operation = page.locator("#post-api-v1-cases")
    assert operation.is_visible()
    assert operation.evaluate("(el) => el.getBoundingClientRect().top") < 100
    # Its parameters, body and answers are tables a screen reader can name.
    assert page.get_by_role(
        "table", name="Felt i forespørselen POST /api/v1/cases/ (multipart/form-data)"
    ).is_visible()
    assert page.get_by_role("table", name="Svar på POST /api/v1/cases/", exact=True).is_visible()
    # The example is there to copy, and the schema is one link away.
    assert page.locator("pre", has_text="-F attachments=@kontrakt.pdf").is_visible()
    assert page.get_by_role("link", name="/api/v1/openapi.json").get_attribute("href") == (
        "/api/v1/openapi.json"
    )
    # The language switch is a form: English without a line of script.
    page.get_by_label("Språk").select_option("en")
    with page.expect_navigation():
        page.get_by_role("button", name="Bytt språk").click()
    page.get_by_role("heading", name=HEADINGS["en"], level=1).wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith(DOCS)
