"""The support desk walked in a browser, as staff members of Team lønn would.

Lena opens her queue at the place she left it (Aktiv, page 2), opens the oldest
waiting case, answers with an attachment and sets "Venter på kunde" in one step,
and is back at the same place in the queue: three page loads from queue to
answered case (docs/performance.md). Then she fulfils an order and keys in and
verifies a scanned fullmakt form, which Lars, the second staff member, confirms.
Per, a plain member, reads the answer; Rolf of Team regnskap cannot open the case.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from access.models import FullmaktSubmission, Order, OrderLine, SystemRole
from access.ordering import LineInput, do_submit_order
from cases.models import Case, Message
from portal.dates import today as oslo_today
from portal.models import Area, RoleAssignment, RoleType, User
from portal.teams import TEAM_GROUPS
from tests.browser import assert_no_axe_violations, log_in
from tests.cases_helpers import PDF_BYTES, make_case
from tests.conftest import PASSWORD, Cast, client_for, grant, make_user
from tests.queue import run_jobs
from tests.test_fullmakt_form import REVIEW, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How many page loads it may take from the queue to an answered case, back in the queue.
PAGE_LOADS_FROM_QUEUE_TO_ANSWERED_CASE = 3


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def staff_member(username: str, area: Area) -> User:
    user = make_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name=TEAM_GROUPS[area]))
    return user


def test_queue_to_answered_case_and_back(
    page: Any, cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lena = staff_member("lena", Area.PAYROLL)
    staff_member("rolf", Area.ACCOUNTING)
    now = timezone.now()
    # Seven cases waiting for the team, five a page: the oldest is last on page 2.
    monkeypatch.setattr("cases.desk.QUEUE_PAGE_SIZE", 5)
    for age in range(7):
        case = make_case(cast.fjordetaten, cast.per, "lonn", title=f"Lønnssak {age:02d}")
        Case.objects.filter(pk=case.pk).update(customer_activity_at=now - dt.timedelta(hours=age))
    oldest = Case.objects.get(title="Lønnssak 06")
    make_case(cast.fjordetaten, cast.per, "regnskap", title="Regnskapssak")
    attachment = tmp_path / "lonnsslipp.pdf"
    attachment.write_bytes(PDF_BYTES)

    log_in(page, "lena", PASSWORD)
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    queue = "/admin/?status=aktiv&side=2"
    page.goto(queue)
    assert page.get_by_role("heading", name="7 saker").is_visible()
    assert page.get_by_text("Regnskapssak").count() == 0
    assert_no_axe_violations(page)

    page.get_by_role("link", name=oldest.number).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=f"{oldest.number}: Lønnssak 06").is_visible()
    assert_no_axe_violations(page)

    # The answer box without the mouse: the shortcut listed on the page.
    page.get_by_text("Hurtigtaster").click()
    assert page.get_by_text("Gå til svarfeltet (eller lenken øverst på siden)").is_visible()
    page.keyboard.press("Alt+Shift+S")
    assert page.evaluate("document.activeElement.id") == "id_body"
    page.keyboard.type("Kan du sende oss lønnsslippen for mars?")
    page.get_by_label("Vedlegg").set_input_files(str(attachment))
    page.get_by_role("button", name="Send og sett Venter på kunde").click()
    page.wait_for_load_state()

    assert page.url.endswith(queue)
    assert page.get_by_text(f"Svar sendt på {oldest.number}").is_visible()
    assert page.get_by_role("heading", name="6 saker").is_visible()
    assert len(loads) == PAGE_LOADS_FROM_QUEUE_TO_ANSWERED_CASE, loads

    oldest.refresh_from_db()
    assert oldest.status == Case.Status.WAITING_FOR_CUSTOMER
    message = Message.objects.get(case=oldest)
    assert message.body == "Kan du sende oss lønnsslippen for mars?"
    assert [a.name for a in message.attachments.all()] == ["lonnsslipp.pdf"]
    run_jobs()  # the worker's part: the news e-mail
    assert [m.to for m in mail.outbox] == [[cast.per.email]]
    assert lena.pk == message.author_id


def test_the_other_team_cannot_open_the_case(page: Any, cast: Cast) -> None:
    staff_member("rolf", Area.ACCOUNTING)
    case = make_case(cast.fjordetaten, cast.per, "lonn", title="Lønnssak")
    log_in(page, "rolf", PASSWORD)
    page.goto(f"/admin/cases/case/{case.pk}/change/")
    assert "Lønnssak" not in page.content()
    assert page.url.endswith("/admin/")


def test_a_plain_member_is_not_let_into_the_desk(page: Any, cast: Cast) -> None:
    make_case(cast.fjordetaten, cast.per, "lonn", title="Lønnssak")
    log_in(page, "per", PASSWORD)
    page.goto("/admin/")
    assert "Arbeidskø" not in page.content()
    assert "Lønnssak" not in page.content()


def test_an_order_decided_and_a_keyed_in_form_confirmed_by_a_second_staff_member(
    page: Any, cast: Cast
) -> None:
    """From the queue's "waiting for a decision": Lena fulfils Kari's order, keys in Per's
    scanned fullmakt form and verifies it; Lars, the second pair of eyes, confirms it."""
    staff_member("lena", Area.PAYROLL)
    staff_member("lars", Area.PAYROLL)
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
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
    customer = client_for(cast.per)
    assert send(customer, None).status_code == 302  # a signed scan, no Excel file
    customer.post(REVIEW)
    submission = FullmaktSubmission.objects.get()

    log_in(page, "lena", PASSWORD)
    page.goto("/admin/")
    page.get_by_role("link", name="Bestillinger av roller og tilganger").click()
    page.get_by_role("link", name=order.case.number).click()
    expect(page.get_by_role("heading", name="Regler")).to_be_visible()
    page.get_by_label("Ferdig").check()
    page.get_by_role("button", name="Lagre avgjørelsene").click()
    expect(page).to_have_url(re.compile(r"/admin/access/order/\?avgjort=nei$"))
    assert Order.objects.open().count() == 0

    page.goto("/admin/")
    page.get_by_role("link", name="Fullmaktsskjemaer som skal verifiseres").click()
    page.get_by_role("link", name=submission.case.number).click()
    person = page.get_by_role("group", name="Person nr. 1")
    person.get_by_label("Navn").fill("Kari Testesen")
    person.get_by_label("E-post").fill(cast.kari.email)
    person.get_by_label("Ansattnummer").fill("1002")
    person.get_by_label("Rolle").select_option(label="Autorisert bestiller regnskap")
    person.get_by_label("Legg til", exact=True).check()
    person.get_by_label("Dato").fill(oslo_today().strftime("%d.%m.%Y"))
    page.get_by_role("button", name="Lagre radene").click()
    expect(page.locator(".messagelist")).to_contain_text("Radene er lagret")
    page.get_by_label("Kontroller (første saksbehandler)").check()
    page.get_by_label(re.compile("Jeg har kontrollert at den som har signert")).check()
    page.get_by_role("button", name="Utfør trinnet").click()
    assert FullmaktSubmission.objects.get().state == FullmaktSubmission.State.VERIFIED
    # Lena may not confirm what she verified: the page says so before she tries.
    page.goto(f"/admin/access/fullmaktsubmission/{submission.pk}/change/")
    expect(page.locator(".desk-warning")).to_contain_text("Kan du ta det?")
    expect(page.locator(".desk-warning")).to_contain_text("Nei")

    page.context.clear_cookies()
    log_in(page, "lars", PASSWORD)
    page.goto("/admin/")
    page.get_by_role("link", name="Fullmaktsskjemaer som skal bekreftes").click()
    page.get_by_role("link", name=submission.case.number).click()
    page.get_by_label("Bekreft og registrer rollene (andre saksbehandler)").check()
    page.get_by_role("button", name="Utfør trinnet").click()
    expect(page.locator(".messagelist")).to_contain_text("Rollene er registrert")
    assert_no_axe_violations(page)
    assert FullmaktSubmission.objects.get().state == FullmaktSubmission.State.REGISTERED
    assert (
        RoleAssignment.objects.held_today()
        .filter(person=cast.kari, role__code=RoleType.ACCOUNTING_ORDERER)
        .exists()
    )
