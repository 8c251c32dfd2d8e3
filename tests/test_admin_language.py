"""The admin speaks the staff's language: Norwegian throughout, Oslo time, labels not codes.

Django's own nb/nn catalogues for the admin lack some strings ("Show counts"); ours
fill them (portal/admin_strings.py, locale/*/djangojs.po). Times in the admin's
texts are Oslo time in winter (UTC+1) and summer (UTC+2); statuses and audit
actions are shown by their labels and the audit trail's before/after as
"field: value" lines, never as JSON, on the page and in the Excel export.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import django
import openpyxl
import polib
import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import translation
from django.utils.translation.trans_real import DjangoTranslation

from cases.models import Case, Message, StatusChange
from cases.services import do_update_case_by_staff
from portal.audit_text import action_label, changes_text, known_actions
from portal.models import Area, AuditEvent, RoleType, User
from portal.services import do_register_role_by_staff
from portal.teams import TEAM_GROUPS
from tests import test_admin_gate as gate
from tests.cases_helpers import bytes_of, make_case, subject_area
from tests.conftest import Cast, client_for, make_user

ROOT = Path(__file__).resolve().parent.parent
DJANGO = Path(django.__file__).parent
ADMIN_LOCALE = DJANGO / "contrib" / "admin" / "locale"
WINTER = dt.datetime(2024, 1, 15, 9, 4, tzinfo=dt.UTC)  # 10:04 in Oslo
SUMMER = dt.datetime(2024, 7, 15, 9, 4, tzinfo=dt.UTC)  # 11:04 in Oslo


# --- Django's admin in nb and nn ---------------------------------------------------------


def _catalogue(app: str, language: str, domain: str) -> polib.POFile:
    return polib.pofile(
        str(DJANGO / "contrib" / app / "locale" / language / "LC_MESSAGES" / f"{domain}.po")
    )


def _untranslated(english: polib.POFile, theirs: polib.POFile, translator: Any) -> list[str]:
    """The msgids whose translation is still the English text (unless Django's own
    translation happens to be the same word, as "Jan" for "Jan")."""
    same = {
        (entry.msgctxt, entry.msgid)
        for entry in theirs
        if entry.translated()
        and (entry.msgstr == entry.msgid or entry.msgstr_plural.get(0) == entry.msgid)
    }
    left = []
    for entry in english:
        if not entry.msgid or (entry.msgctxt, entry.msgid) in same:
            continue
        if entry.msgid_plural:
            shown = [
                translator.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                if entry.msgctxt
                else translator.ngettext(entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            ]
            if shown == [entry.msgid, entry.msgid_plural]:
                left.append(entry.msgid)
        else:
            shown_one = (
                translator.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt
                else translator.gettext(entry.msgid)
            )
            if shown_one == entry.msgid:
                left.append(entry.msgid)
    return left


@pytest.mark.parametrize("language", ["nb", "nn"])
@pytest.mark.parametrize("app", ["admin", "auth"])
def test_every_string_of_djangos_admin_is_translated(app: str, language: str) -> None:
    with translation.override(language):
        left = _untranslated(
            _catalogue(app, "en", "django"), _catalogue(app, language, "django"), translation
        )
    assert left == []


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_string_of_the_admins_javascript_is_translated(language: str) -> None:
    # As the admin's jsi18n view builds it: Django's admin catalogue, then LOCALE_PATHS.
    catalogue = DjangoTranslation(language, domain="djangojs", localedirs=[str(ADMIN_LOCALE)])
    left = _untranslated(
        _catalogue("admin", "en", "djangojs"), _catalogue("admin", language, "djangojs"), catalogue
    )
    assert left == []


def _staff(name: str, area: Area = Area.PAYROLL) -> User:
    member = make_user(name, is_staff=True)
    member.groups.add(Group.objects.get(name=TEAM_GROUPS[area]))
    return member


def _client(user: User, language: str) -> Client:
    client = client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


@pytest.mark.parametrize(
    ("language", "show", "hide"),
    [("nb", "Vis antall", "Skjul antall"), ("nn", "Vis tal", "Skjul tal")],
)
def test_a_change_list_with_filters_is_norwegian(
    cast: Cast, language: str, show: str, hide: str
) -> None:
    make_case(cast.fjordetaten, cast.per, "lonn")
    client = _client(_staff("lena"), language)
    page = client.get("/admin/cases/case/").content.decode()
    assert show in page
    assert "Show counts" not in page
    page = client.get("/admin/cases/case/?_facets=True").content.decode()
    assert hide in page
    assert "Hide counts" not in page
    script = client.get("/admin/jsi18n/").content.decode()
    assert "Choose all %s" in script  # the msgid, with our translation beside it
    assert ("Velg alle %s" if language == "nb" else "Vel alle %s") in script


def test_a_customer_gets_no_admin_strings_page(cast: Cast) -> None:
    response = _client(cast.per, "nb").get("/admin/cases/case/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- Oslo time ------------------------------------------------------------------------------


@pytest.mark.parametrize(("moment", "oslo"), [(WINTER, "10:04"), (SUMMER, "11:04")])
def test_a_messages_heading_is_in_oslo_time(cast: Cast, moment: dt.datetime, oslo: str) -> None:
    case = make_case(cast.fjordetaten, cast.per, "lonn")
    message = Message.objects.create(case=case, author=cast.per, body="Hei", created_at=moment)
    day = f"{moment:%d.%m.%Y}"
    assert str(message) == f"{case.number} {day} {oslo}"
    page = _client(_staff("lena"), "nb").get(f"/admin/cases/case/{case.pk}/change/")
    html = page.content.decode()
    assert f"{day} {oslo}" in html
    assert f"{day} 09:04" not in html
    # And in the team's message list.
    listing = _client(_staff("lars"), "nb").get("/admin/cases/message/").content.decode()
    assert f"{day} {oslo}" in listing
    assert f"{day} 09:04" not in listing


@pytest.mark.parametrize(("moment", "oslo"), [(WINTER, "10:04"), (SUMMER, "11:04")])
def test_an_audit_events_text_is_in_oslo_time(cast: Cast, moment: dt.datetime, oslo: str) -> None:
    event = AuditEvent(occurred_at=moment, action="case.changed", summary="Sak endret")
    with translation.override("nb"):
        assert str(event).startswith(f"{moment:%d.%m.%Y} {oslo} Sak endret")
    with translation.override("nb"):
        assert changes_text({"recorded_at": moment.isoformat()}) == (
            f"registreringstidspunkt: {moment:%d.%m.%Y} {oslo}"
        )


# --- labels, not codes ----------------------------------------------------------------------


def test_a_status_change_is_shown_by_its_labels(cast: Cast) -> None:
    case = make_case(cast.fjordetaten, cast.per, "lonn")
    change = StatusChange(
        case=case,
        from_status=Case.Status.ACTIVE,
        to_status=Case.Status.WAITING_FOR_CUSTOMER,
    )
    with translation.override("nb"):
        assert str(change) == f"{case.number}: Aktiv → Venter på kunde"
    with translation.override("en"):
        assert str(change) == f"{case.number}: Active → Waiting for customer"
    first = StatusChange(case=case, from_status="", to_status=Case.Status.ACTIVE)
    with translation.override("nb"):
        assert str(first) == f"{case.number}: – → Aktiv"


def _codes_in(node: ast.expr) -> set[str]:
    """The codes an ``action=`` expression can give: a literal, both arms of a
    conditional, or an f-string's fixed beginning followed by "*"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _codes_in(node.body) | _codes_in(node.orelse)
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
        return {f"{node.values[0].value!s}*"}
    return set()  # a name passed on (its caller's literal is found at the caller's call)


def _written_actions() -> set[str]:
    """Every audit action code in the code: the dotted string literals given as
    ``action=`` to a call (``write_audit`` or a helper that passes it on); f-strings
    give their fixed beginning, marked with "*"."""
    codes: set[str] = set()
    for app in ("portal", "cases", "access"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "action":
                        codes.update(code for code in _codes_in(keyword.value) if "." in code)
    return codes


def test_every_action_the_services_write_has_a_label() -> None:
    written = _written_actions()
    assert "case.changed" in written
    assert "order.line.*" in written
    assert "role.ended" in written  # through a helper that passes action on
    labelled = known_actions()
    missing = sorted(
        code
        for code in written
        if not (
            any(known.startswith(code[:-1]) for known in labelled)
            if code.endswith("*")
            else code in labelled
        )
    )
    assert missing == []
    # The f-strings' codes, by the values that fill them in.
    from access.models import Appointment, OrderLine

    for state in (OrderLine.State.DONE, OrderLine.State.REJECTED):
        assert f"order.line.{state}" in labelled
    for action in Appointment.Action:
        assert f"appointment.requested.{action}" in labelled
    for decided in (Appointment.State.APPROVED, Appointment.State.REJECTED):
        assert f"appointment.{decided}" in labelled


def test_every_action_label_is_translated() -> None:
    for code in known_actions():
        with translation.override("en"):
            english = action_label(code)
        with translation.override("nb"):
            assert action_label(code) != english, code
        with translation.override("nn"):
            assert action_label(code) != english, code


def test_a_list_shows_only_what_changed_by_names_not_ids(cast: Cast) -> None:
    from portal.audit_text import changes_summary

    before = {"assignment": 12, "lineage": "6f1c…", "valid_to": None, "person": "per"}
    after = {"assignment": 13, "lineage": "6f1c…", "valid_to": "2024-12-31", "person": "per"}
    with translation.override("nb"):
        assert changes_summary(before, after, "role.ended") == [
            ("gyldig til og med", "– → 31.12.2024")
        ]
        many = changes_summary(None, {f"field_{n}": n for n in range(6)}, "x.y", limit=4)
    assert len(many) == 5
    assert many[-1] == ("…", "")


def test_an_unknown_action_reads_as_words() -> None:
    assert action_label("case.reopened_by_customer") == "Case reopened by customer"


@pytest.fixture
def audited(cast: Cast) -> dict[str, Any]:
    """A case's subject area changed and a contact person registered, by Lena."""
    lena = _staff("lena")
    case = make_case(cast.fjordetaten, cast.per, "lonn")
    other_area = subject_area("lonn")
    other_area.pk = None
    other_area.name_nb, other_area.name_en = "Reiseregninger", "Travel expenses"
    other_area.save()
    do_update_case_by_staff(actor=lena, case=case, subject_area=other_area, assigned_to=lena)
    do_register_role_by_staff(
        actor=lena,
        person=cast.per,
        organisation=cast.fjordetaten,
        role=RoleType.objects.get(code="kontaktperson-lonn"),
        valid_from=dt.date(2024, 3, 1),
        reason="Telefon",
    )
    return {"lena": lena, "case": case, "area": other_area}


def test_the_audit_trail_shows_labels_and_fields_not_codes_or_json(
    cast: Cast, audited: dict[str, Any]
) -> None:
    client = _client(audited["lena"], "nb")
    listing = client.get("/admin/portal/auditevent/").content.decode()
    rows = listing.split('id="result_list"')[1].split("</table>")[0]
    assert "Sak endret" in rows
    assert "Rolle registrert" in rows
    assert "case.changed" not in rows
    assert "role.assigned" not in rows
    assert "{&quot;" not in rows
    # What changed, "before → after", with names, not ids.
    assert "fagområde: Lønnskjøring → Reiseregninger" in rows
    assert "saksbehandler: – → Lena Testesen" in rows
    assert "rolle: Kontaktperson lønn" in rows
    assert "gyldig fra: 01.03.2024" in rows
    assert "grunnlag: Registrert av en ansatt" in rows
    assert "kontaktperson-lonn" not in rows
    # The filter offers the actions by their labels.
    filters = listing.split('id="changelist-filter"')[1]
    assert ">Sak endret<" in filters.replace("\n", "").replace("  ", "")
    assert ">case.changed<" not in filters

    event = AuditEvent.objects.get(action="case.changed")
    page = client.get(f"/admin/portal/auditevent/{event.pk}/change/").content.decode()
    assert "Sak endret" in page
    assert "fagområde: Reiseregninger" in page
    assert "case.changed" not in page
    assert '{"' not in page


def test_the_audit_export_has_labels_and_fields_not_codes_or_json(
    cast: Cast, audited: dict[str, Any]
) -> None:
    client = _client(audited["lena"], "nb")
    events = AuditEvent.objects.order_by("occurred_at", "id")
    response = client.post(
        "/admin/portal/auditevent/",
        {"action": "export_excel", "_selected_action": [event.pk for event in events]},
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(bytes_of(response))).active
    assert sheet is not None
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    text = "\n".join(str(value) for row in rows for value in row if value is not None)
    assert "Sak endret" in text
    assert "Rolle registrert" in text
    assert "fagområde: Reiseregninger" in text
    assert "rolle: Kontaktperson lønn" in text
    assert "case.changed" not in text
    assert '{"' not in text
    assert "kontaktperson-lonn" not in text


def test_the_other_team_sees_none_of_the_audit_rows_of_a_payroll_only_customer(
    cast: Cast, audited: dict[str, Any]
) -> None:
    from portal.models import Organisation

    payroll_only = Organisation.objects.create(
        name="Lønnsetaten", org_number="981000037", slug="lonnsetaten", buys_accounting=False
    )
    AuditEvent.objects.create(organisation=payroll_only, action="organisation.changed", summary="x")
    rolf = _client(_staff("rolf", Area.ACCOUNTING), "nb")
    rows = rolf.get("/admin/portal/auditevent/").content.decode()
    assert "Lønnsetaten" not in rows.split('id="result_list"')[1].split("</table>")[0]


# --- no raw codes on any admin page ---------------------------------------------------------

media = gate.media
staff = gate.staff
two_sides = gate.two_sides


class _VisibleText(HTMLParser):
    """The text a reader sees (not scripts, styles, attribute values or form values)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "textarea", "template"}:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "textarea", "template"} and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _visible(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def _choice_codes() -> set[str]:
    """The stored codes of the project's choices that cannot be taken for words of the
    page: those with "_", "-" or "." in them ("venter_pa_kunde", "case.changed",
    "autorisert-bestiller-lonn") and the English states ("pending", "done"). Codes that
    are also Norwegian words ("regnskap", "aktiv") are not looked for."""
    from django.apps import apps

    codes = set()
    for model in apps.get_models():
        if model._meta.app_label not in {"portal", "cases", "access"}:
            continue
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or []:
                if isinstance(value, str) and value and value != str(label):
                    codes.add(value)
    codes.update(known_actions())
    codes.update(RoleType.objects.values_list("code", flat=True))
    return {code for code in codes if re.search(r"[_.-]", code) or code in ENGLISH_STATES}


ENGLISH_STATES = {
    "pending",
    "done",
    "open",
    "approved",
    "rejected",
    "submitted",
    "verified",
    "registered",
    "appoint",
    "remove",
    "grant",
}


# Admins allowed to show a code: none (the order pages once did, before they became
# pages for deciding; keep this empty).
KNOWN_CODES_ELSEWHERE: set[str] = set()


def test_no_admin_page_shows_a_choice_or_action_code(
    cast: Cast, staff: dict[str, User], two_sides: dict[type, tuple[Any, ...]]
) -> None:
    from django.contrib import admin
    from django.urls import reverse

    from tests.test_admin_gate import make_superuser

    client = _client(make_superuser("codes"), "nb")
    codes = _choice_codes()
    found: dict[str, set[str]] = {}
    for model in admin.site._registry:
        if model._meta.label in KNOWN_CODES_ELSEWHERE:
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls = [reverse(f"{name}_changelist")]
        urls += [reverse(f"{name}_change", args=[row.pk]) for row in two_sides.get(model, ())]
        for url in urls:
            words = set(re.findall(r"[\w.-]+", _visible(client.get(url).content.decode())))
            shown = words & codes
            if model is RoleType:  # its code is a field staff set for a new role type
                shown -= set(RoleType.objects.values_list("code", flat=True))
            if shown:
                found[url] = shown
    assert found == {}, "\n".join(f"{url}: {sorted(codes)}" for url, codes in found.items())
