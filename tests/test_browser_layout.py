"""Every page of the portal fits at 320, 390 and 1280 px, hides no text and passes axe-core.

One walk over the portal as the people who see each page (anonymous, a plain
member, an orderer, a fullmakt holder, a member of two organisations, an
organisation where nobody can appoint, a person without membership), in each
page's empty, filled, error and result states. For every state and width it
checks that

- the document does not scroll sideways (WCAG 1.4.10 Reflow):
  ``document.documentElement.scrollWidth <= window.innerWidth``;
- no text in a card, a table cell, a button, a tag, a label, a summary or a
  description list is cut off: ``scrollWidth <= clientWidth`` for those
  elements and what is inside cards and cells (a table may scroll inside its
  own ``.table-scroll`` box; the box is exempt, its cells are not);
- at 1280 px every table shows all its columns without scrolling in its box
  (unless the person chose more columns than fit);
- axe-core finds nothing (in bokmål, at 320 px);

and then reads the same pages in nynorsk and English at 320 and 1280 px for
the first two checks, since their words are longer. Every failure is
collected, naming the page, the width and the element, and reported at once.

Pages are visited with all their disclosures (``<details>``) opened, so what
they hide is measured too. The walk also fails on a URL pattern of the
portal that it did not show, unless ``NOT_PAGES`` says why it is not a page:
a new page cannot be left out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, path, resolve

from access.fullmakt_form import build_form
from access.models import OrderDraft
from cases.models import Case, ExportJob
from portal import urls as portal_urls
from portal.demo import DEMO_API_CLIENT_ID, DEMO_PASSWORD
from portal.models import ApiClient, Membership, Organisation, RoleType, User
from tests.browser import AXE_SOURCE, AXE_TAGS
from tests.cases_helpers import make_case
from tests.conftest import grant
from tests.test_fullmakt_form import PDF, fill, per_row
from tests.urls_listing import patterns

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (320, 390, 1280)
OTHER_LANGUAGES = ("nn", "en")
OTHER_LANGUAGE_WIDTHS = (320, 1280)
DESKTOP = 1280
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What must show its whole text: cards and everything in them, table cells and
# everything in them, buttons, tags, labels, legends, summaries, definition lists.
# Form controls scroll their own value and are left out.
MEASURED = (
    ".ds-card, .ds-card *, th, td, th *, td *, button, .ds-button, .ds-tag, "
    "label, .ds-label, legend, summary, dt, dd"
)

CHECK_LAYOUT = r"""
(measured) => {
  const name = (el) => {
    const one = (node) => node.tagName.toLowerCase() + (node.id ? '#' + node.id : '') +
      [...node.classList].map((c) => '.' + c).join('');
    const parent = el.parentElement;
    const text = (parent && parent !== document.body ? one(parent) + ' > ' : '') + one(el);
    const words = (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60);
    return words ? text + ' "' + words + '"' : text;
  };
  const hidden = (el) => !el.checkVisibility() || el.closest('.ds-sr-only, .visually-hidden');
  // Is el cut off by an ancestor's overflow (a scroll box), or does it reach the document?
  // An absolutely positioned element escapes every box up to its containing block.
  const insideABox = (el) => {
    let position = getComputedStyle(el).position;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (position === 'fixed') return false;
      const style = getComputedStyle(a);
      if (position === 'absolute' && style.position === 'static') continue;
      if (style.overflowX !== 'visible') return true;
      position = style.position;
    }
    return false;
  };
  const innermost = (elements) =>
    elements.filter((el) => !elements.some((other) => other !== el && el.contains(other)));
  const problems = [];
  const width = window.innerWidth;
  const documentWidth = document.documentElement.scrollWidth;
  if (documentWidth > width) {
    const past = [];
    const spilling = [];
    for (const el of document.body.querySelectorAll('*')) {
      if (!el.checkVisibility() || insideABox(el)) continue;
      const box = el.getBoundingClientRect();
      if (box.right + window.scrollX > width + 0.5) past.push(el);
      else if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 &&
               box.left + el.scrollWidth > width + 0.5) spilling.push(el);
    }
    const culprits = [
      ...past.filter((el) => !past.includes(el.parentElement)).map((el) =>
        name(el) + ' reaches ' + Math.round(el.getBoundingClientRect().right) + ' px'),
      ...innermost(spilling).map((el) =>
        name(el) + ' holds ' + el.scrollWidth + ' px in ' + el.clientWidth + ' px'),
    ];
    problems.push('the document scrolls sideways (' + documentWidth + ' px wide): ' +
                  culprits.slice(0, 5).join('; '));
  }
  const clipped = [];
  for (const el of document.querySelectorAll(measured)) {
    if (['INPUT', 'SELECT', 'TEXTAREA', 'OPTION'].includes(el.tagName)) continue;
    if (el.clientWidth === 0 || hidden(el)) continue;
    if (el.scrollWidth > el.clientWidth + 1) clipped.push(el);
  }
  // The innermost element that is too narrow is where the text is cut.
  for (const el of innermost(clipped)) {
    problems.push(name(el) + ' cuts its text: scrollWidth ' + el.scrollWidth +
                  ' > clientWidth ' + el.clientWidth);
  }
  return problems;
}
"""

# At desktop width a table shows all its columns: its scroll box does not scroll.
TABLES_FIT = r"""
() => [...document.querySelectorAll('.table-scroll')]
  .filter((box) => box.checkVisibility() && box.scrollWidth > box.clientWidth + 1)
  .map((box) => 'the table "' + (box.querySelector('caption') || box).textContent.trim() +
       '" hides columns: it is ' + box.scrollWidth + ' px wide in a ' + box.clientWidth +
       ' px box')
"""

OPEN_DISCLOSURES = "() => document.querySelectorAll('details').forEach((d) => { d.open = true; })"


@dataclass(frozen=True)
class State:
    """A page in one of its states, as one person sees it."""

    user: str  # a demo username, or "" for anonymous
    url: str
    state: str  # empty, filled, errors, result...
    act: Callable[[Any], None] | None = None  # brings the page from `url` into the state
    # The person chose more columns than a desktop screen holds: the table may
    # scroll in its box at DESKTOP width (otherwise every column must show there).
    many_columns: bool = False


# --- Acts: what a person does to bring a page into its state -------------------------


LOGIN_BUTTON = "main form:has(#id_password) [type=submit]"


def _submit(page: Any, button: str = "main form [type=submit]") -> None:
    with page.expect_navigation():
        page.locator(button).first.click()


def _errors_shown(page: Any) -> None:
    page.locator(
        ".ds-error-summary, .ds-validation-message, [aria-invalid=true], #form-problems"
    ).first.wait_for()


def submit_empty(page: Any) -> None:
    _submit(page)
    _errors_shown(page)


def wrong_password(page: Any) -> None:
    page.locator("#id_username").fill("per")
    page.locator("#id_password").fill("feil-passord")
    _submit(page, LOGIN_BUTTON)
    _errors_shown(page)


def feedback_no(page: Any) -> None:
    page.locator("#feedback button[value=nei]").click()
    page.locator("#feedback textarea").wait_for()


def feedback_comment(page: Any) -> None:
    feedback_no(page)
    page.locator("#feedback textarea").fill("Skjema for fullmakt " * 5)
    page.locator("#feedback [type=submit]").click()
    page.locator("#feedback textarea").wait_for(state="detached")


def new_case_sent(page: Any) -> None:
    page.locator("input[name=category]").first.check()
    page.locator("#id_subject_area").select_option(index=1)
    page.locator("#id_title").fill("Refusjonskrav-sykepenger-NAV-2022-10-referanse-ABCDEFGHIJKLMN")
    page.locator("#id_description").fill("Se https://www.nav.no/arbeidsgiver/refusjon/sykepenger")
    _submit(page)
    page.wait_for_url("**/saker/SAK-*/")


def message_empty(page: Any) -> None:
    _submit(page, "main form:has(textarea) [type=submit]")
    _errors_shown(page)


def my_page_bad_email(page: Any) -> None:
    page.locator("#id_email").fill("ikke-en-adresse")
    submit_empty(page)


def my_page_saved(page: Any) -> None:
    page.locator("#id_job_title").fill("Seniorrådgiver for lønns- og personalforvaltning")
    _submit(page)


def all_columns(page: Any) -> None:
    page.locator(".columns-chooser summary").click()
    for box in page.locator(".columns-chooser input[type=checkbox]:not([disabled])").all():
        box.check()
    page.locator(".columns-chooser [type=submit]:not([name=standard])").click()
    page.locator("table.case-table thead th").nth(9).wait_for()


def default_columns(page: Any) -> None:
    page.locator(".columns-chooser summary").click()
    with page.expect_response("**/saker/kolonner/"):
        page.locator(".columns-chooser [type=submit][name=standard]").click()
    page.locator("table.case-table thead th").nth(9).wait_for(state="detached")


def order_line_missing(page: Any) -> None:
    _submit(page, "main form [name=step][value=review]")
    _errors_shown(page)


def _order_line(page: Any) -> None:
    line = page.locator("fieldset.order-line").first
    line.locator("select").first.select_option(index=1)
    line.locator("select[name$=system_role]").select_option(index=1)


def order_added_line(page: Any) -> None:
    _order_line(page)
    _submit(page, "main form [name=step][value=add]")
    page.locator("fieldset.order-line").nth(1).wait_for()


def order_review(page: Any) -> None:
    _order_line(page)
    _submit(page, "main form [name=step][value=review]")
    page.locator("main form [name=step][value=submit]").wait_for()


def order_sent(page: Any) -> None:
    order_review(page)
    _submit(page, "main form [name=step][value=submit]")
    page.wait_for_url("**/saker/SAK-*/")


def appointment_bad_date(page: Any) -> None:
    page.locator("main form input[type=radio]").first.check()
    page.locator("main form select").first.select_option(index=1)
    page.locator("main form input[name$=valid_from], main form input[name$=dato]").first.fill(
        "31.02.2022"
    )
    submit_empty(page)


def appointment_sent(page: Any) -> None:
    page.locator("main form input[type=radio]").first.check()
    page.locator("main form select").first.select_option(index=1)
    _submit(page)


def integration_registered(page: Any) -> None:
    page.locator("#id_name").fill("Økonomi- og personalsystemet for regionkontorene")
    page.locator("#id_client_id").fill("0c4a2f5e-7b1d-4f7a-9a0e-2d5c1b3e8f61")
    page.locator("main form input[type=checkbox]").first.check()
    _submit(page)
    page.wait_for_url("**/min-side/integrasjoner/")


def integration_withdrawn(page: Any) -> None:
    _submit(page)
    page.wait_for_url("**/min-side/integrasjoner/")


def _choose_files(page: Any, xlsx: bytes) -> None:
    page.set_input_files(
        "#id_form_file", files=[{"name": "fullmakt.xlsx", "mimeType": XLSX, "buffer": xlsx}]
    )
    page.set_input_files(
        "#id_signed_copy",
        files=[{"name": "signert.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    _submit(page)


def _fullmakt(email: str) -> bytes:
    organisation = Organisation.objects.get(slug="fjordetaten")
    return fill(
        build_form(organisation),
        [
            per_row(email=email),
            per_row(
                name="Anne-Marie Kristoffersen-Bergersen",
                email=LONG_EMAIL,
            ),
        ],
    )


def fullmakt_rows_wrong(page: Any) -> None:
    _choose_files(page, _fullmakt("per@"))
    page.locator("#form-problems").wait_for()


def fullmakt_review(page: Any) -> None:
    _choose_files(page, _fullmakt("per@example.no"))
    page.wait_for_url("**/se-over/")


def fullmakt_sent(page: Any) -> None:
    fullmakt_review(page)
    _submit(page)
    page.wait_for_url("**/saker/SAK-*/")


def raise_permission_denied(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


# The portal's own URLs, plus one that is refused, to show the 403 page as the
# portal's handler renders it (customers meet it only on an address refused to them).
urlpatterns = [path("ikke-tillatt/", raise_permission_denied), *portal_urls.urlpatterns]
handler400 = portal_urls.handler400


# --- The data: the demo, plus the long words real data has --------------------------

LONG_EMAIL = "anne-marie.kristoffersen-bergersen@fjordetaten-lonn.example.no"
LONG_TITLE = "Refusjonskrav-sykepenger-NAV-2022-10-referanse-ABCDEFGHIJKLMNOPQRSTU"


@dataclass(frozen=True)
class Portal:
    case: str  # a case of Per's with a conversation and attachments
    long_case: str  # a case whose title is one long word
    mona_case: str
    jobs: dict[str, str]  # export job ids of Kari's, by state
    api_client: str  # Fjordetaten's demo HR system, registered for the API
    draft: str  # the demo HR system's access-order draft, waiting for an orderer


@pytest.fixture
def portal(settings: Any, tmp_path: Path) -> Iterator[Portal]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OLD_VERSION_LAST_DAY = dt.date(2099, 12, 31)  # the fullest header: version switch
    settings.ROOT_URLCONF = __name__
    # Login and feedback counts live in the cache table, which the flush after a
    # transactional test leaves: start without any, and leave none behind.
    cache.clear()
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    fjordetaten = Organisation.objects.get(slug="fjordetaten")
    per = User.objects.get(username="per")
    kari = User.objects.get(username="kari")
    # A contact person with a long address, and a member where nobody can appoint.
    anne = User.objects.create_user(
        username="anne",
        first_name="Anne-Marie",
        last_name="Kristoffersen-Bergersen",
        email=LONG_EMAIL,
        phone="+47 900 00 001",
        job_title="Fagansvarlig lønns- og personalsystemer",
    )
    Membership.objects.create(user=anne, organisation=fjordetaten)
    grant(anne, fjordetaten, "kontaktperson-lonn")
    grant(anne, fjordetaten, RoleType.BUDGET_HOLDER)
    tom = User.objects.create_user(username="tom", first_name="Tom", last_name="Nyansatt")
    tom.set_password(DEMO_PASSWORD)
    tom.save()
    Membership.objects.create(
        user=tom, organisation=Organisation.objects.get(slug="nordlys-museum")
    )
    outsider = User.objects.create_user(username="ute", first_name="Ute", last_name="Utenfor")
    outsider.set_password(DEMO_PASSWORD)
    outsider.save()
    anne.set_password(DEMO_PASSWORD)
    anne.save()

    long_case = make_case(fjordetaten, per, title=LONG_TITLE)
    case = (
        Case.objects.filter(reported_by=per)
        .annotate(n=Count("messages") + Count("attachments"))
        .order_by("-n")
        .first()
    )
    assert case is not None
    mona_case = Case.objects.filter(organisation__slug="kystdirektoratet").first()
    assert mona_case is not None
    jobs: dict[str, str] = {}
    for state in (ExportJob.State.RUNNING, ExportJob.State.DONE, ExportJob.State.FAILED):
        job = ExportJob.objects.create(
            user=kari,
            organisation=fjordetaten,
            state=state,
            rows_total=22_593,
            rows_done=11_000 if state == ExportJob.State.RUNNING else 22_593,
            attempts=1 if state == ExportJob.State.RUNNING else 0,
            file_name="saker-fjordetaten-2026-11-30.xlsx" if state == ExportJob.State.DONE else "",
        )
        jobs[str(state)] = str(job.pk)
    api_client = ApiClient.objects.get(organisation=fjordetaten, client_id=DEMO_API_CLIENT_ID)
    yield Portal(
        case=case.number,
        long_case=long_case.number,
        mona_case=mona_case.number,
        jobs=jobs,
        api_client=str(api_client.pk),
        draft=str(OrderDraft.objects.get(api_client=api_client).pk),
    )
    cache.clear()


def states(p: Portal) -> list[State]:
    """Every page in its states, as the people who see it. Order matters: results change data."""
    case, long_case = f"/saker/{p.case}/", f"/saker/{p.long_case}/"
    integration = f"/min-side/integrasjoner/{p.api_client}/"
    return [
        # Anonymous: login, the public pages, the error pages.
        State("", "/logg-inn/", "empty"),
        State("", "/logg-inn/", "errors", wrong_password),
        State("", "/kontakt/", "filled"),
        State("", "/kontakt/", "feedback comment form", feedback_no),
        State("", "/kontakt/", "feedback thanks", feedback_comment),
        State("", "/tilgjengelighet/", "filled"),
        State("", "/api/v1/docs", "filled"),
        State("", "/inn/finnes-ikke/", "unknown direct link"),
        State("", "/finnes-ikke/", "404"),
        State("", "/ikke-tillatt/", "403"),
        # Per, a plain member.
        State("per", "/versjon/", "version choice"),
        State("per", "/", "filled"),
        State("per", "/saker/", "filled"),
        State("per", "/saker/?tittel=finnes-ikke-zzz", "search without result"),
        State("per", "/saker/?tittel=%00", "400"),
        State("per", "/saker/ny/", "empty"),
        State("per", "/saker/ny/", "errors", submit_empty),
        State("per", "/saker/ny/", "result", new_case_sent),
        State("per", case, "filled"),
        State("per", case, "errors", message_empty),
        State("per", long_case, "long title"),
        State("per", "/min-side/", "filled"),
        State("per", "/min-side/", "errors", my_page_bad_email),
        State("per", "/min-side/", "result", my_page_saved),
        State("per", "/min-side/?person=finnes-ikke#systemtilganger", "filter without result"),
        State("per", "/tilganger/bestill/", "refused"),
        State("per", "/tilganger/bestillere/", "refused"),
        State("per", "/min-side/integrasjoner/", "refused"),
        State("per", "/skjema/fullmakt/send/", "empty"),
        State("per", "/skjema/fullmakt/send/", "errors", submit_empty),
        State("per", "/skjema/fullmakt/send/", "rows with errors", fullmakt_rows_wrong),
        State("per", "/skjema/fullmakt/send/", "review", fullmakt_review),
        State("per", "/skjema/fullmakt/send/", "result", fullmakt_sent),
        State("per", "/admin/", "not staff"),
        State("per", "/gammel/", "old version list"),
        State("per", "/gammel/saker/?q=finnes-ikke-zzz", "old version without result"),
        State("per", f"/gammel/saker/{p.case}/", "old version case"),
        # Kari, authorised payroll orderer with extended access: many cases.
        State("kari", "/", "a system's draft waits"),
        State("kari", "/saker/?per_side=100", "many rows"),
        State("kari", "/saker/?opprettet_fra=10.11.2022&opprettet_til=01.11.2022", "errors"),
        State("kari", "/saker/", "every column", all_columns, many_columns=True),
        State("kari", "/saker/", "default columns again", default_columns),
        State("kari", f"/saker/eksport/{p.jobs['running']}/", "export running"),
        State("kari", f"/saker/eksport/{p.jobs['done']}/", "export done"),
        State("kari", f"/saker/eksport/{p.jobs['failed']}/", "export failed"),
        State("kari", "/tilganger/bestill/", "choose, with a system's draft"),
        State("kari", f"/tilganger/bestill/?utkast={p.draft}", "a system's draft opened"),
        State("kari", f"/tilganger/bestill/utkast/{p.draft}/forkast/", "confirm discarding"),
        State("kari", "/tilganger/bestill/?omrade=lonn", "empty"),
        State("kari", "/tilganger/bestill/?omrade=lonn", "errors", order_line_missing),
        State("kari", "/tilganger/bestill/?omrade=lonn", "two lines", order_added_line),
        State("kari", "/tilganger/bestill/?omrade=lonn", "review", order_review),
        State("kari", "/tilganger/bestill/?omrade=lonn", "result", order_sent),
        State("kari", "/tilganger/bestillere/", "filled"),
        State("kari", "/min-side/integrasjoner/", "filled"),
        State("kari", "/min-side/integrasjoner/ny/", "empty"),
        State("kari", "/min-side/integrasjoner/ny/", "errors", submit_empty),
        State("kari", "/min-side/integrasjoner/ny/", "result", integration_registered),
        State("kari", f"{integration}endre/", "filled"),
        State("kari", f"{integration}trekk-tilbake/", "confirm"),
        State("kari", f"{integration}trekk-tilbake/", "result with history", integration_withdrawn),
        # Ola holds fullmakt: appoints orderers; Min side with the why of each role.
        State("ola", "/min-side/", "filled"),
        State("ola", "/tilganger/bestillere/", "errors", appointment_bad_date),
        State("ola", "/tilganger/bestillere/", "result", appointment_sent),
        # Mona works in two organisations: the organisation column and switch.
        State("mona", "/", "filled"),
        State("mona", "/saker/", "filled"),
        State("mona", f"/saker/{p.mona_case}/", "filled"),
        # Lise: fullmakt recorded too late; nobody in her organisation can order payroll.
        State("lise", "/tilganger/bestillere/", "nobody can appoint"),
        State("lise", "/tilganger/bestill/", "refused"),
        State("lise", "/min-side/", "no orderer"),
        # Eva's role has expired.
        State("eva", "/min-side/", "expired role"),
        # Tom is new in Nordlys museum: no cases, nobody who can appoint.
        State("tom", "/", "empty"),
        State("tom", "/saker/", "empty"),
        State("tom", "/tilganger/bestillere/", "nobody at all"),
        State("tom", "/min-side/", "empty"),
        # Ute belongs to no organisation.
        State("ute", "/ingen-virksomhet/", "no membership"),
    ]


# URL names that are not pages a person reads, with the reason.
NOT_PAGES = {
    "portal:logout": "POST only, redirects",
    "portal:organisation_link": "redirects to the direct link",
    "portal:switch_version": "POST only, redirects",
    "portal:switch_organisation": "POST only, redirects",
    "portal:set_language": "POST only, redirects",
    "portal:feedback": "answers inside the page it is sent from (visited as states of /kontakt/)",
    "portal:health": "a JSON health check for the load balancer",
    "direct_link": "redirects to login (its refusal page is visited)",
    "cases:columns": "POST only, redirects to the list (visited as the list's 'every column')",
    "cases:export": "an Excel file",
    "cases:export_download": "an Excel file",
    "cases:follow": "POST only, redirects to the case",
    "cases:attachment": "a file",
    "access:grants_export": "an Excel file",
    "access:fullmakt_form": "an Excel file",
    "old:home": "redirects to old:list",
    "old:other": "redirects to the new version",
    "admin_login": "the staff login, the same form as portal:login",
}


def _unvisited(visited: set[str]) -> list[str]:
    """URL names of the portal that the walk did not show and that are not in NOT_PAGES."""
    names = {
        name
        for route, name, _ in patterns(urlconf="portal.urls")
        if name and (not route.startswith("admin/") or name == "admin_login")
    }
    # The API's addresses answer systems in JSON (or a file), never a page; its
    # documentation page is outside the "api" namespace and is visited.
    return sorted(name for name in names - visited - set(NOT_PAGES) if not name.startswith("api:"))


# --- The walk ---------------------------------------------------------------------


def _log_in(page: Any, username: str) -> None:
    page.goto("/logg-inn/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    _submit(page, LOGIN_BUTTON)


def _axe(page: Any) -> list[str]:
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    result = page.evaluate(
        # Violations only: collecting what passes costs as much again on a long table.
        "async (tags) => await axe.run(document,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        f"axe {v['id']} ({v['help']}): {json.dumps([n['target'] for n in v['nodes']][:4])}"
        for v in result["violations"]
    ]


def _visit(
    page: Any,
    base: str,
    visited: set[str],
    state: State,
    language: str,
    widths: tuple[int, ...],
    axe: bool,
) -> Iterator[str]:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page.goto(state.url)
    if state.act is not None:
        state.act(page)
    with contextlib.suppress(Resolver404):  # the 404 page is no URL pattern's
        visited.add(resolve(urlsplit(page.url).path, urlconf=__name__).view_name)
    where = f"{state.user or 'anonymous'} {state.url} ({state.state}, {language}"
    if DESKTOP in widths and not state.many_columns:
        # As the page arrives, before a disclosure in a table (a column filter) widens it.
        page.set_viewport_size({"width": DESKTOP, "height": 900})
        for problem in page.evaluate(TABLES_FIT):
            yield f"{where}, {DESKTOP} px): {problem}"
    page.evaluate(OPEN_DISCLOSURES)
    for width in widths:
        page.set_viewport_size({"width": width, "height": 900})
        for problem in page.evaluate(CHECK_LAYOUT, MEASURED):
            yield f"{where}, {width} px): {problem}"
        # axe-core at the narrowest width, where tables scroll in their boxes and
        # content stacks; it takes a second a page, too long to repeat at each width.
        if axe and width == widths[0]:
            for problem in _axe(page):
                yield f"{where}, {width} px): {problem}"


def test_every_page_fits_every_width_and_passes_axe(
    chromium: Any, live_server: Any, portal: Portal
) -> None:
    problems: list[str] = []
    visited: set[str] = set()
    read: set[tuple[str, str]] = set()
    walk = states(portal)
    users = list(dict.fromkeys(s.user for s in walk))
    for user in users:
        # Reduced motion: Designsystemet animates a disclosure's height only where
        # motion is welcome, so an opened one is measured at its full size at once.
        context = chromium.new_context(
            locale="nb-NO",
            base_url=live_server.url,
            viewport={"width": 1280, "height": 900},
            reduced_motion="reduce",
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            if user:
                _log_in(page, user)
            for state in (s for s in walk if s.user == user):
                problems += _visit(page, live_server.url, visited, state, "nb", WIDTHS, axe=True)
            for language in OTHER_LANGUAGES:
                # The portal's own words are what changes: each address once.
                for state in (s for s in walk if s.user == user and s.act is None):
                    if (language, state.url) in read:
                        continue
                    read.add((language, state.url))
                    problems += _visit(
                        page,
                        live_server.url,
                        visited,
                        state,
                        language,
                        OTHER_LANGUAGE_WIDTHS,
                        axe=False,
                    )
        finally:
            context.close()
    problems += [
        f"{name}: no state in the walk (add one, or a reason in NOT_PAGES)"
        for name in _unvisited(visited)
    ]
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems)
