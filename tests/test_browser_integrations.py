"""Min side › Integrasjoner in real Chromium: register, change, withdraw; axe-core on each step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from access.integrations import do_register_client
from portal.models import ApiClient, RoleType
from tests.browser import assert_no_axe_violations, log_in
from tests.conftest import PASSWORD, Cast, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def roles(cast: Cast) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)


def test_an_orderer_registers_changes_and_withdraws_a_system(
    page: Any, cast: Cast, roles: None
) -> None:
    log_in(page, "kari", PASSWORD)
    page.goto("/min-side/")
    page.get_by_role("link", name="Administrer virksomhetens integrasjoner").click()
    page.get_by_role("heading", name="Integrasjoner", exact=True).wait_for()
    assert page.get_by_role("link", name="Les dokumentasjonen av API-et").count() == 1
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Registrer et system").click()
    page.get_by_role("heading", name="Registrer et system", level=1).wait_for()
    assert_no_axe_violations(page)
    page.get_by_label("Navn på systemet").fill("HR-systemet")
    page.get_by_role("button", name="Registrer systemet").click()
    page.locator("#error-summary").wait_for()
    assert page.get_by_label("Navn på systemet").input_value() == "HR-systemet"
    assert_no_axe_violations(page)

    page.get_by_label("Klient-ID i Maskinporten").fill("hr-1")
    box = page.get_by_role("checkbox", name="Melde inn saker om lønn")
    box.focus()
    page.keyboard.press("Space")  # a checkbox answers the keyboard
    assert box.is_checked()
    page.get_by_role("checkbox", name="Lage utkast til tilgangsbestillinger").check()
    page.get_by_role("button", name="Registrer systemet").click()
    page.get_by_text("HR-systemet er registrert.").wait_for()
    assert_no_axe_violations(page)
    registered = ApiClient.objects.get()
    assert registered.client_id == "hr-1"
    assert registered.permissions == ["file_lonn", "draft_orders"]

    page.get_by_role("link", name="Endre HR-systemet").click()
    page.get_by_role("heading", name="Endre HR-systemet").wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("checkbox", name="Lese sakene det har meldt inn, og skrive i dem").check()
    page.get_by_role("button", name="Lagre endringene").click()
    page.get_by_text("HR-systemet er endret.").wait_for()
    registered.refresh_from_db()
    assert registered.permissions == ["file_lonn", "read_own", "draft_orders"]

    page.get_by_role("link", name="Trekk tilbake HR-systemet").click()
    page.get_by_role("heading", name="Trekke tilbake HR-systemet?").wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Trekk tilbake systemet").click()
    page.get_by_text("HR-systemet er trukket tilbake.").wait_for()
    page.get_by_role("heading", name="Registreringer som er trukket tilbake").wait_for()
    assert_no_axe_violations(page)
    registered.refresh_from_db()
    assert registered.withdrawn_at is not None


def test_withdrawing_works_without_javascript(
    page_without_js: Any, cast: Cast, roles: None
) -> None:
    page = page_without_js
    do_register_client(
        actor=cast.ola,
        organisation=cast.fjordetaten,
        client_id="lonn-robot",
        name="Lønnsroboten",
        permissions=["file_lonn"],
    )
    log_in(page, "ola", PASSWORD)
    page.goto("/min-side/integrasjoner/")
    page.get_by_role("link", name="Trekk tilbake Lønnsroboten").click()
    page.get_by_role("button", name="Trekk tilbake systemet").click()
    page.get_by_text("Lønnsroboten er trukket tilbake.").wait_for()
    assert ApiClient.objects.get().withdrawn_by == cast.ola


def test_a_plain_member_is_told_whom_to_ask(page: Any, cast: Cast, roles: None) -> None:
    log_in(page, "per", PASSWORD)
    page.goto("/min-side/")
    assert page.get_by_role("link", name="Administrer virksomhetens integrasjoner").count() == 0
    page.goto("/min-side/integrasjoner/")
    page.get_by_text("Du kan ikke administrere virksomhetens integrasjoner").wait_for()
    assert page.get_by_text("Kari Testesen").count() == 1
    assert_no_axe_violations(page)
