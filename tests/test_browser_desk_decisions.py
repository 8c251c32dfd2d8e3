"""The desk's deciding pages in real Chromium: a staff member keys in a scanned fullmakt
form row by row (adding a row without losing what was typed), and axe-core finds nothing
on the order, appointment and fullmakt pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from access.models import Appointment, FullmaktSubmission, Order, OrderLine, SystemRole
from access.ordering import LineInput, do_submit_order
from access.services import do_request_appointment
from portal.dates import today as oslo_today
from portal.models import Area, RoleType
from portal.teams import TEAM_GROUPS
from tests.browser import assert_no_axe_violations
from tests.conftest import PASSWORD, Cast, client_for, grant, make_user
from tests.test_fullmakt_form import REVIEW, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def staff_log_in(page: Any, username: str) -> None:
    page.goto("/admin/login/")  # the staff login: the portal's login form
    page.get_by_label("Brukernavn", exact=True).fill(username)
    page.get_by_label("Passord", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Logg inn", exact=True).click()


# Chromium's PDF viewer takes the focus once it has loaded the signed copy (admin.js gives
# it back): the page records that it happened, so a test types only after it.
WATCH_THE_VIEWER = "window.addEventListener('blur', () => { window.viewerTookFocus = true; });"


def wait_for_the_viewer(page: Any, field: Any) -> None:
    """With the cursor in `field`, until the signed copy's viewer has loaded and taken the
    focus, and the field has it back."""
    field.focus()
    page.wait_for_function("() => window.viewerTookFocus === true")
    expect(field).to_be_focused()


@pytest.fixture
def waiting(cast: Cast) -> dict[str, Any]:
    """Lena of Team lønn, and one appointment, one order and one scanned form waiting."""
    lena = make_user("lena", is_staff=True)
    lena.groups.set(Group.objects.filter(name=TEAM_GROUPS[Area.PAYROLL]))
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    appointment = do_request_appointment(
        actor=cast.kari,
        organisation=cast.fjordetaten,
        area=Area.PAYROLL,
        action=Appointment.Action.APPOINT,
        person=cast.per,
        valid_from=oslo_today(),
    )
    order = do_submit_order(
        actor=cast.kari,
        organisation=cast.fjordetaten,
        area=Area.PAYROLL,
        lines=[
            LineInput(
                system_role=SystemRole.objects.get(code="lonnsmedarbeider"),
                action=OrderLine.Action.GRANT,
                valid_from=oslo_today(),
                person=cast.per,
            )
        ],
    )
    client = client_for(cast.per)
    assert send(client, None).status_code == 302
    client.post(REVIEW)
    return {
        "appointment": appointment,
        "order": order,
        "fullmakt": FullmaktSubmission.objects.get(),
    }


def test_the_signed_copys_viewer_does_not_take_the_focus_from_the_rows(
    page: Any, cast: Cast, waiting: dict[str, Any]
) -> None:
    page.add_init_script(WATCH_THE_VIEWER)
    staff_log_in(page, "lena")
    page.goto(f"/admin/access/fullmaktsubmission/{waiting['fullmakt'].pk}/change/")
    name = page.get_by_role("group", name="Person nr. 1").get_by_label("Navn")
    name.click()
    page.wait_for_function("() => window.viewerTookFocus === true")
    expect(name).to_be_focused()
    page.keyboard.type("Per")
    expect(name).to_have_value("Per")
    # Then a click on the copy means it: the viewer keeps the focus.
    viewer = page.locator(".desk-scan iframe")
    viewer.click()
    page.wait_for_timeout(300)  # time for admin.js to have given the focus back, if it would
    expect(viewer).to_be_focused()


def test_a_staff_member_keys_in_a_scanned_form_and_the_pages_pass_axe(
    page: Any, cast: Cast, waiting: dict[str, Any]
) -> None:
    page.add_init_script(WATCH_THE_VIEWER)
    staff_log_in(page, "lena")
    submission: FullmaktSubmission = waiting["fullmakt"]
    page.goto(f"/admin/access/fullmaktsubmission/{submission.pk}/change/")
    expect(page.locator(".desk-scan iframe")).to_be_visible()
    person = page.get_by_role("group", name="Person nr. 1")
    wait_for_the_viewer(page, person.get_by_label("Navn"))
    person.get_by_label("Navn").fill("Per Testesen")
    person.get_by_label("E-post").fill("per@example.no")
    person.get_by_label("Ansattnummer").fill("1001")
    person.get_by_label("Rolle").select_option(label="Autorisert bestiller lønn")
    person.get_by_label("Legg til", exact=True).check()
    person.get_by_label("Dato").fill("01.12.2030")
    expect(person.get_by_label("Dato")).to_have_value("01.12.2030")
    # One more row without JavaScript: the page comes back with what was typed.
    page.get_by_role("button", name="Legg til en rad").click()
    expect(page.get_by_role("group", name="Person nr. 2")).to_be_visible()
    first = page.get_by_role("group", name="Person nr. 1")
    expect(first.get_by_label("Navn")).to_have_value("Per Testesen")
    expect(first.get_by_label("Dato")).to_have_value("01.12.2030")
    second = page.get_by_role("group", name="Person nr. 2")
    wait_for_the_viewer(page, second.get_by_label("Navn"))
    second.get_by_label("Navn").fill("Ola Testesen")
    second.get_by_label("E-post").fill("ikke-en-adresse")
    page.get_by_role("button", name="Lagre radene").click()
    expect(second.get_by_text("Oppgi en gyldig e-postadresse")).to_be_visible()
    assert_no_axe_violations(page)  # the error state
    second.get_by_label("Ta ut denne raden").check()
    page.get_by_role("button", name="Lagre radene").click()
    expect(page.locator(".messagelist")).to_contain_text("Radene er lagret")
    keyed_in = FullmaktSubmission.objects.get(pk=submission.pk).current_rows
    assert [row["email"] for row in keyed_in] == ["per@example.no"]
    expect(page.locator(".desk-rows-table").first).to_contain_text("Autorisert bestiller lønn")
    assert_no_axe_violations(page)
    for address in (
        f"/admin/access/order/{waiting['order'].pk}/change/",
        f"/admin/access/appointment/{waiting['appointment'].pk}/change/",
    ):
        page.goto(address)
        expect(page.get_by_role("heading", name="Regler")).to_be_visible()
        assert_no_axe_violations(page)
    # A decision goes back to the filtered queue it came from.
    page.goto("/admin/access/order/?avgjort=nei")
    page.get_by_role("link", name=waiting["order"].case.number).click()
    page.get_by_label("Ferdig").check()
    page.get_by_role("button", name="Lagre avgjørelsene").click()
    expect(page).to_have_url(re.compile(r"/admin/access/order/\?avgjort=nei$"))
    assert Order.objects.open().count() == 0
