"""A draft from one of the organisation's systems, in real Chromium: seen, opened, sent;
another discarded after confirming; the plain member sees none. axe-core on each page."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest

from access.drafts import DraftLineInput, do_draft_order
from access.models import Order, OrderDraft
from portal.dates import today as oslo_today
from portal.models import ApiClient, RoleType
from tests.browser import assert_no_axe_violations, log_in
from tests.conftest import PASSWORD, Cast, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def drafts(cast: Cast) -> list[OrderDraft]:
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    hr = ApiClient.objects.create(
        organisation=cast.fjordetaten,
        client_id=f"hr-{uuid.uuid4()}",
        name="HR-systemet",
        permissions=[ApiClient.Permission.DRAFT_ORDERS],
        registered_by=cast.kari,
    )
    day = oslo_today() + dt.timedelta(days=30)
    made = []
    for email in ("per@example.no", "eva@example.no"):
        made.append(
            do_draft_order(
                actor=hr,
                organisation=cast.fjordetaten,
                area="lonn",
                lines=[
                    DraftLineInput(
                        system_role="lonnssystem/lonnsmedarbeider",
                        action="grant",
                        valid_from=day,
                        person_email=email,
                    ),
                    DraftLineInput(
                        system_role="reise-og-utlegg/attestant-reise",
                        action="grant",
                        valid_from=day,
                        new_person_name="Nils Ny",
                        new_person_email="nils@example.no",
                        employee_number="10042",
                    ),
                ],
                comment="Nytilsatt i lønnsseksjonen",
            )
        )
    return made


def test_orderer_opens_a_draft_checks_it_and_sends_it(
    page: Any, cast: Cast, drafts: list[OrderDraft]
) -> None:
    first = drafts[0]
    log_in(page, "kari", PASSWORD)
    page.goto("/tilganger/bestill/")
    page.get_by_role("heading", name="Utkast fra integrasjoner").wait_for()
    assert page.get_by_role("cell", name="2 linjer").count() == 2
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Åpne utkastet").first.click()
    page.get_by_role("heading", name="Bestill tilganger: Lønn").wait_for()
    page.get_by_text("Denne bestillingen bygger på et utkast som HR-systemet laget").wait_for()
    # The newest draft first: Eva's. Kari changes nothing and reviews.
    line = page.locator("fieldset.order-line").nth(0)
    assert line.get_by_role("combobox", name="Person", exact=True).input_value() == str(cast.eva.pk)
    assert page.get_by_label("Navn (ny person)").nth(1).input_value() == "Nils Ny"
    assert page.get_by_label("Kommentar til kundesenteret").input_value() == (
        "Nytilsatt i lønnsseksjonen"
    )
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Se over bestillingen").click()
    page.get_by_role("heading", name="Se over bestillingen").wait_for()
    page.get_by_text("Fra et utkast laget av HR-systemet").wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Send bestillingen").click()
    page.get_by_role("heading", name="Bestilling", exact=False).first.wait_for()
    order = Order.objects.get()
    assert page.url.endswith(f"/saker/{order.case.number}/")
    assert order.ordered_by == cast.kari
    sent = drafts[1]
    sent.refresh_from_db()
    assert sent.state == OrderDraft.State.SUBMITTED
    assert sent.order == order
    first.refresh_from_db()
    assert first.state == OrderDraft.State.WAITING


def test_orderer_discards_a_draft_after_confirming(
    page: Any, cast: Cast, drafts: list[OrderDraft]
) -> None:
    log_in(page, "kari", PASSWORD)
    page.goto("/tilganger/bestill/")
    page.get_by_role("link", name="Forkast").first.click()
    page.get_by_role("heading", name="Forkast utkastet").wait_for()
    page.get_by_role("cell", name="Nils Ny (nils@example.no) (10042)").wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Forkast utkastet").click()
    page.get_by_text("Utkastet fra HR-systemet er forkastet.").wait_for()
    assert page.get_by_role("link", name="Åpne utkastet").count() == 1
    assert_no_axe_violations(page)
    assert OrderDraft.objects.filter(state=OrderDraft.State.DISCARDED).count() == 1
    assert not Order.objects.exists()


def test_plain_member_sees_no_drafts(page: Any, cast: Cast, drafts: list[OrderDraft]) -> None:
    log_in(page, "per", PASSWORD)
    page.goto("/tilganger/bestill/")
    page.get_by_role("heading", name="Bestill tilganger").wait_for()
    assert page.get_by_role("heading", name="Utkast fra integrasjoner").count() == 0
    page.goto(f"/tilganger/bestill/?utkast={drafts[0].pk}")
    page.get_by_text("Du kan ikke sende dette utkastet").wait_for()
    assert_no_axe_violations(page)
