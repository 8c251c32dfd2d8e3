"""Sending the fullmakt form in real Chromium: upload, row errors, review, submit, axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from access.fullmakt_form import build_form
from access.models import FullmaktSubmission
from tests.browser import assert_no_axe_violations, log_in
from tests.conftest import PASSWORD, Cast
from tests.test_fullmakt_form import PDF, fill, per_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _choose(page: Any, xlsx: bytes) -> None:
    page.set_input_files(
        "#id_form_file", files=[{"name": "fullmakt.xlsx", "mimeType": XLSX, "buffer": xlsx}]
    )
    page.set_input_files(
        "#id_signed_copy",
        files=[{"name": "signert.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.locator("main form button[type=submit]").click()


def test_upload_review_and_submit(page: Any, cast: Cast) -> None:
    log_in(page, "per", PASSWORD)
    page.goto("/skjema/fullmakt/send/")
    page.locator("#id_form_file").wait_for()
    assert_no_axe_violations(page)

    _choose(page, fill(build_form(cast.fjordetaten), [per_row(email="per@")]))
    page.locator("#form-problems").wait_for()
    assert "Rad 9" in page.locator("#form-problems").inner_text()
    assert_no_axe_violations(page)
    assert not FullmaktSubmission.objects.exists()

    _choose(page, fill(build_form(cast.fjordetaten), [per_row()]))
    page.wait_for_url("**/skjema/fullmakt/send/se-over/")
    page.get_by_text("per@example.no").wait_for()
    assert_no_axe_violations(page)
    assert not FullmaktSubmission.objects.exists()

    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/saker/**")
    submission = FullmaktSubmission.objects.get()
    assert submission.case.reported_by == cast.per
    assert len(submission.rows) == 1
