"""The support desk walked in a browser, as a staff member of Team lønn would.

Lena opens her queue at the place she left it (Aktiv, page 2), opens the oldest
waiting case, answers with an attachment and sets "Venter på kunde" in one step,
and is back at the same place in the queue: three page loads from queue to
answered case (docs/performance.md). Per, a plain member, reads the answer; Rolf
of Team regnskap cannot open the case.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from cases.models import Case, Message
from portal.models import Area, User
from portal.teams import TEAM_GROUPS
from tests.browser import assert_no_axe_violations, log_in
from tests.cases_helpers import PDF_BYTES, make_case
from tests.conftest import PASSWORD, Cast, make_user

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
