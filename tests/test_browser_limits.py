"""The login throttle and the feedback limit, as a person meets them in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from portal.models import Feedback
from tests.browser import assert_no_axe_violations, log_in
from tests.conftest import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_counts_left_behind() -> Iterator[None]:
    # The cache table outlives a transactional test; later tests start clean.
    yield
    cache.clear()


def test_throttled_login_says_how_long_to_wait_and_keeps_the_username(
    page: Any, cast: Cast
) -> None:
    # Each guess past the fifth doubles the wait, so soon one comes too early
    # however slow the machine is.
    for _ in range(12):
        log_in(page, "per", "feil-passord")
        if page.get_by_text("Av sikkerhetshensyn må du vente").count():
            break
    assert page.get_by_text("For mange mislykkede innloggingsforsøk").first.is_visible()
    assert page.get_by_label("Brukernavn", exact=True).input_value() == "per"
    assert_no_axe_violations(page)


def test_feedback_over_the_limit_is_said_in_the_feedback_box(
    page: Any, cast: Cast, settings: Any
) -> None:
    settings.FEEDBACK_RATE_LIMIT = 1
    page.goto("/logg-inn/")
    page.get_by_role("button", name="Ja", exact=True).click()
    page.get_by_role("heading", name="Takk for tilbakemeldingen!").wait_for()
    page.goto("/kontakt/")
    page.get_by_role("button", name="Nei", exact=True).click()
    page.get_by_role("heading", name="Tilbakemeldingen din ble ikke lagret").wait_for()
    assert Feedback.objects.count() == 1
    assert_no_axe_violations(page)
