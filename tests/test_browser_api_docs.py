"""The API's documentation page in Chromium: no axe violations for the plain member Per,
whose header has the portal's menu, and the whole page without JavaScript. Read
anonymously, at 320, 390 and 1280 px, in bokmål, nynorsk and English, with axe and
without sideways scrolling, it is a state of the layout walk (tests/test_browser_layout.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import assert_no_axe_violations, log_in
from tests.conftest import PASSWORD, Cast

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
