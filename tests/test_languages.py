"""Every page, e-mail and export reads in the reader's language (issue 13, point 10).

A reader in English or nynorsk must not meet bokmål from the catalogues of names
the provider defines (subject areas, systems, system roles, role types, customer
centres) nor the bokmål labels of statuses, categories and channels; and a
nynorsk reader must not meet an English msgid that was left untranslated. The
test reads every customer page (every address of the project outside the
admin) as the cast sees it, with an order, an appointment and access grants in
the data so that the names and the titles the portal writes are on the pages.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import polib
import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import translation

from access.models import Appointment, OrderLine, System, SystemRole
from access.ordering import LineInput, do_fulfil_line, do_submit_order
from access.services import do_request_appointment
from cases.models import Case, SubjectArea
from cases.notify import tell_news
from portal.dates import today
from portal.models import Area, ContactCentre, RoleType
from tests.cases_helpers import make_case
from tests.conftest import Cast, grant
from tests.urls_listing import patterns

LANGUAGES = ["en", "nn"]
CUSTOMER_ROUTES = [
    route
    for route, _name, _pattern in patterns()
    if not route.startswith("admin/") and "<drf_format_suffix" not in route
]
PEOPLE = ["anonymous", "per", "kari", "nina"]
# Pages that an address alone does not show: the order form of each area, and forms
# sent empty (their error state).
MORE_PAGES: list[tuple[str, dict[str, str] | None]] = [
    ("/tilganger/bestill/?omrade=lonn", None),
    ("/tilganger/bestill/?omrade=regnskap", None),
    ("/saker/?status=avsluttet&kategori=lonn", None),
    ("/saker/ny/", {}),
    (
        "/tilganger/bestill/",
        {"omrade": "lonn", "step": "review", "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0"},
    ),
]
SEEN_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt"}
# The msgids that read the same in nynorsk; any other msgid translated as itself is
# English left standing (as "Line %(number)s" was on the order form).
SAME_IN_NYNORSK = {
    "person",
    "%(shown)s person",
    "Person",
    "Fullmakt",
    "system",
    "System",
    "Status",
    "status",
    "type",
    "SHA-256",
    "Portal",
    "Send",
    "Kundesenter",
    "Start",
    "time",  # an English msgid, and nynorsk for an hour
    "Mine",  # the desk's "my cases": English and nynorsk alike
    "team",
    "Team",
}


class _VisibleText(HTMLParser):
    """The text a reader meets: element text and the attributes read aloud, leaving out
    scripts, styles, what is marked as another language (the language switch) and code
    (the API's documentation: a field, a header or a command is the same in every
    language)."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        other_language = values.get("lang") not in (None, self.language)
        if tag in {"script", "style", "code", "pre"} or other_language:
            if tag not in {"input", "img", "br", "meta", "link"}:
                self.skipping.append(tag)
            return
        if not self.skipping:
            self.parts += [v for k, v in attrs if k in SEEN_ATTRIBUTES and v]

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str, language: str) -> str:
    parser = _VisibleText(language)
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def bokmal_names(language: str) -> set[str]:
    """The bokmål names the reader in ``language`` must not meet: each catalogue name and
    choice label whose bokmål differs from the reader's, unless the reader's own name
    holds it (English names keep domain words: "Power of attorney (fullmakt)")."""
    names: set[str] = set()
    for model in (RoleType, SubjectArea, System, SystemRole, ContactCentre):
        for row in model.objects.all():
            nb, own = row.name_nb, row.localised("name", language)
            if nb != own and nb.lower() not in own.lower():
                names.add(nb)
    choices = [Case.Status.choices, Case.Channel.choices, Area.choices]
    for choice in choices:
        for _value, label in choice:
            with translation.override("nb"):
                nb = str(label)
            with translation.override(language):
                own = str(label)
            if nb != own and nb.lower() not in own.lower():
                names.add(nb)
    return names


def _pattern(text: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + text + r"(?!\w)", flags)


@functools.cache  # the catalogue does not change during a run; read it once, not per page
def untranslated_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """For nynorsk: each msgid (but those that read the same in nynorsk), as a pattern
    over the page text (its placeholders match anything)."""
    catalogue = polib.pofile(str(Path(settings.BASE_DIR) / "locale/nn/LC_MESSAGES/django.po"))
    found = []
    for entry in catalogue:
        for msgid in filter(None, [entry.msgid, entry.msgid_plural]):
            if msgid in SAME_IN_NYNORSK or "<" in msgid or "\n" in msgid:
                continue
            pieces = re.split(r"%(?:\(\w+\))?[sd]|\{\w*\}", msgid)
            if sum(len(re.sub(r"\W", "", piece)) for piece in pieces) < 4:
                continue
            found.append((msgid, _pattern(r".{1,40}?".join(re.escape(p) for p in pieces))))
    return found


def foreign_words(text: str, language: str) -> list[str]:
    # In nynorsk a bokmål name of several words is wrong also inside a sentence, in
    # lower case ("rolla autorisert bestiller regnskap"); a single word in lower case may
    # be data (an address, a case's own title). English text may quote the Norwegian
    # name in brackets after its own ("authorised payroll orderer (autorisert bestiller
    # lønn)").
    def flags(name: str) -> int:
        return re.IGNORECASE if language == "nn" and " " in name else 0

    found = [
        name
        for name in bokmal_names(language)
        if _pattern(re.escape(name), flags(name)).search(text)
    ]
    if language == "nn":
        found += [msgid for msgid, pattern in untranslated_patterns() if pattern.search(text)]
    return sorted(found)


@pytest.fixture
def world(cast: Cast, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """Kari orders a payroll role for Per (fulfilled, so Min side lists the grant) and asks
    to appoint Ola; Per has a case of his own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    grant(cast.per, cast.fjordetaten, "kontaktperson-lonn")
    own = make_case(cast.fjordetaten, cast.per, title="Feil i lønnskjøring")
    line = LineInput(
        system_role=SystemRole.objects.get(code="lonnsmedarbeider"),
        action=OrderLine.Action.GRANT,
        valid_from=today(),
        person=cast.per,
    )
    order = do_submit_order(
        actor=cast.kari, organisation=cast.fjordetaten, area="lonn", lines=[line]
    )
    do_fulfil_line(actor=cast.siv, line=order.lines.get(), done=True)
    appointment = do_request_appointment(
        actor=cast.kari,
        organisation=cast.fjordetaten,
        area="lonn",
        action=Appointment.Action.APPOINT,
        person=cast.ola,
        valid_from=today() + dt.timedelta(days=1),
    )
    clients: dict[str, Client] = {"anonymous": Client()}
    for name in PEOPLE[1:]:
        clients[name] = Client()
        clients[name].force_login(getattr(cast, name))
    return {
        "cast": cast,
        "clients": clients,
        "numbers": [own.number, order.case.number, appointment.case.number],
    }


def _addresses(route: str, numbers: list[str]) -> list[str]:
    """The route with its parameters filled: once per case number when it takes one."""
    route = route.replace("^", "").replace("$", "")
    if not re.search(r"<[^>]+>|\(\?P", route):
        return ["/" + route]
    parameter = re.compile(r"<(?:(\w+):)?\w+>")
    return [
        "/" + parameter.sub(lambda m, n=number: "1" if m.group(1) == "int" else n, route)  # type: ignore[misc]
        for number in numbers
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_customer_page_reads_in_the_readers_language(
    world: dict[str, Any], language: str
) -> None:
    read, foreign = 0, {}
    pages = [(a, None) for route in CUSTOMER_ROUTES for a in _addresses(route, world["numbers"])]
    for address, sent in [*pages, *MORE_PAGES]:
        for who in PEOPLE:
            client = world["clients"][who]
            if sent is None:
                response = client.get(address, HTTP_ACCEPT_LANGUAGE=language)
            else:
                response = client.post(address, sent, HTTP_ACCEPT_LANGUAGE=language)
            if response.status_code not in (200, 400, 403):
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            read += 1
            words = foreign_words(visible_text(response.content.decode(), language), language)
            if words:
                foreign[f"{who} {address}"] = words
    assert read > 30  # the pages with names on them were read, not skipped
    assert foreign == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_titles_the_portal_writes_are_in_the_readers_language(
    world: dict[str, Any], language: str
) -> None:
    kari = world["clients"]["kari"]
    for number in world["numbers"][1:]:
        case = Case.objects.get(number=number)
        with translation.override(language):
            title = case.shown_title
        assert title != case.title  # each has its own, not the bokmål one
        page = kari.get(f"/saker/{number}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert title in visible_text(page, language)
        listing = kari.get("/saker/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert title in visible_text(listing, language)


def test_the_case_export_is_in_the_language_of_the_one_who_asked(
    world: dict[str, Any],
) -> None:
    kari = world["clients"]["kari"]
    kari.post("/saker/kolonner/", {"kolonner": ["nummer", "tittel", "fagomrade", "status"]})
    response = kari.get("/saker/eksport.xlsx", HTTP_ACCEPT_LANGUAGE="en")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet is not None
    text = " ".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)
    assert "Order of access: 1 line" in text
    assert "Payroll access and roles" in text
    assert foreign_words(text, "en") == []


def test_the_access_overview_export_names_systems_and_roles_in_english(
    world: dict[str, Any],
) -> None:
    kari = world["clients"]["kari"]
    response = kari.get("/min-side/tilganger.xlsx", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet is not None
    text = " ".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)
    assert "The payroll system" in text
    assert "Payroll officer" in text
    assert foreign_words(text, "en") == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_e_mail_about_a_case_is_in_the_recipients_language(
    world: dict[str, Any], language: str, run_jobs
) -> None:
    cast = world["cast"]
    cast.kari.language = language
    cast.kari.save(update_fields=["language"])
    run_jobs()  # what the world's making queued
    mail.outbox.clear()
    tell_news(Case.objects.get(number=world["numbers"][1]).pk, f"test:{language}")
    run_jobs()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert foreign_words(f"{message.subject} {message.body}", language) == []


def test_the_admin_names_things_in_the_staff_members_language(world: dict[str, Any]) -> None:
    siv = Client()
    siv.force_login(world["cast"].siv)
    text = ""
    for address in ("/admin/cases/case/", "/admin/portal/roleassignment/"):
        response = siv.get(address, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        text += visible_text(response.content.decode(), "en")
    assert "Order of access: 1 line" in text
    assert "Payroll access and roles" in text
    assert "Authorised payroll orderer" in text
    assert foreign_words(text, "en") == []


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "The order is processed. See the state of each line above."),
        ("nn", "Bestillinga er behandla. Sjå statusen for kvar linje ovanfor."),
    ],
)
def test_the_messages_the_portal_writes_are_in_the_readers_language(
    world: dict[str, Any], language: str, words: str
) -> None:
    order_case = world["numbers"][1]
    page = world["clients"]["kari"].get(f"/saker/{order_case}/", HTTP_ACCEPT_LANGUAGE=language)
    text = visible_text(page.content.decode(), language)
    assert words in text
    assert "Bestillingen er behandlet" not in text  # the bokmål one
