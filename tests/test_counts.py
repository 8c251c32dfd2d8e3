"""Every count the user reads is right, grammatical and written the language's way.

"Viser 19951–20000 av over 10 000 saker", "Filen med 20001 saker er klar" and
"Bestilling av tilganger: 1 linjer" were each wrong in their own place; the kind
is a count formatted by hand. So: the counts are checked where they are shown,
at one and at two in all three languages, and the catalogue and the templates
are read for any count that does not go through ngettext / blocktranslate count
or that prints its number without the thousands separator.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils import translation

from access.models import SystemRole
from access.ordering import LineInput, do_submit_order
from cases import exporting, listing
from cases.listing import CasePage
from cases.models import Case, ExportJob
from portal.models import RoleType, User
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for, grant

ROOT = Path(__file__).resolve().parent.parent
NBSP = "\xa0"

# One and two of a thing, in each language: the forms the pages must use.
CASES = {
    "nb": ("1 sak", "2 saker"),
    "nn": ("1 sak", "2 saker"),
    "en": ("1 case", "2 cases"),
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def kari(cast: Cast) -> Client:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_ACCOUNTING)
    return client_for(cast.kari)


def _list_count(html: str) -> str:
    found = re.search(r'class="ds-paragraph list-count" role="status">\s*(.*?)\s*</p>', html, re.S)
    assert found, "the list states its count"
    return " ".join(found.group(1).split())


def _cases(cast: Cast, number: int, reporter: User | None = None) -> list[Case]:
    return [
        make_case(cast.fjordetaten, reporter or cast.per, title=f"Sak {i}") for i in range(number)
    ]


# The case list ---------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
@pytest.mark.parametrize("number", [1, 2])
def test_the_list_count_at_one_and_two_in_every_language(
    cast: Cast, language: str, number: int
) -> None:
    _cases(cast, number)
    html = client_for(cast.per).get("/saker/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert _list_count(html) == CASES[language][number - 1]


def test_a_page_past_the_count_limit_states_what_it_proves(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cases(cast, 30)
    monkeypatch.setattr(listing, "COUNT_LIMIT", 10)
    first = kari.get("/saker/?per_side=25", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    # The first page has passed 25 and there are more: over 25, not "over 10".
    assert _list_count(first) == "Viser 1–25 av over 25 saker"
    last = kari.get("/saker/?per_side=25&side=2", HTTP_ACCEPT_LANGUAGE="nb")
    # The last page knows the exact number, and so how many pages there are.
    assert _list_count(last.content.decode()) == "Viser 26–30 av 30 saker"
    assert last.context["page"].page_count == 2
    past = kari.get("/saker/?per_side=25&side=9", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert _list_count(past) == "Side 9 er etter slutten av listen."


def test_the_plain_member_and_the_outsider_are_counted_their_own_cases(
    cast: Cast, kari: Client
) -> None:
    _cases(cast, 2)
    _cases(cast, 1, reporter=cast.ola)
    count = _list_count(
        client_for(cast.ola).get("/saker/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    )
    assert count == "1 sak"
    outsider = client_for(cast.nina).get("/saker/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert _list_count(outsider) == "Det er ingen saker ennå."
    assert _list_count(kari.get("/saker/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()) == "3 saker"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", f"Viser 19{NBSP}951–20{NBSP}000 av over 20{NBSP}000 saker"),
        ("nn", f"Viser 19{NBSP}951–20{NBSP}000 av over 20{NBSP}000 saker"),
        ("en", "Showing 19,951–20,000 of over 20,000 cases"),
    ],
)
def test_page_400_of_a_large_list_in_every_language(language: str, expected: str) -> None:
    """The issue's own example: 50 a page, page 400, counted only to 10 000."""
    page = CasePage(
        rows=[{}] * 50,
        sort_key="endret",
        descending=True,
        page=400,
        page_size=50,
        count=listing.COUNT_LIMIT,
        count_is_lower_bound=True,
        has_next=True,
        next_cursor=None,
        previous_cursor=None,
    )
    with translation.override(language):
        assert page.summary() == expected


def test_page_numbers_have_the_thousands_separator(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "COUNT_LIMIT", 10_000)
    _cases(cast, 1)
    html = kari.get("/saker/?side=1200", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert f"Side 1{NBSP}200 er etter slutten av listen." in html


# The export -------------------------------------------------------------------------


def test_a_background_export_states_its_real_row_count(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The export counts only as far as the limit to choose the background: the
    # finished page must not state that capped figure ("20001").
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 3)
    _cases(cast, 7)
    kari.get("/saker/eksport.xlsx")
    job = ExportJob.objects.get()
    waiting = kari.get(f"/saker/eksport/{job.pk}/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Eksporten har flere enn 3 saker" in waiting
    exporting.run_job(job.pk)
    done = kari.get(f"/saker/eksport/{job.pk}/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Filen med 7 saker er klar." in done


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", "Filen med 1 sak er klar."),
        ("nn", "Fila med 1 sak er klar."),
        ("en", "The file with 1 case is ready."),
    ],
)
def test_an_export_of_one_case_says_so_in_every_language(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch, language: str, expected: str
) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    _cases(cast, 1)
    kari.get("/saker/eksport.xlsx")
    job = ExportJob.objects.get()
    exporting.run_job(job.pk)
    html = kari.get(f"/saker/eksport/{job.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert expected in html


def test_the_progress_states_rows_with_the_thousands_separator(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    _cases(cast, 1)
    kari.get("/saker/eksport.xlsx")
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportJob.State.RUNNING, rows_done=12_000, rows_total=22_593
    )
    html = kari.get(f"/saker/eksport/{job.pk}/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert f"12{NBSP}000 av 22{NBSP}593 rader er skrevet." in html
    # Another person's export states nothing, to the plain member or the outsider.
    for other in (cast.per, cast.nina):
        assert client_for(other).get(f"/saker/eksport/{job.pk}/").status_code == 404


# The title of an order ------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "title"),
    [(1, "Bestilling av tilganger: 1 linje"), (2, "Bestilling av tilganger: 2 linjer")],
)
def test_an_orders_case_title_counts_its_lines(cast: Cast, lines: int, title: str) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    role = SystemRole.objects.get(code="lonnsmedarbeider")
    people = [cast.per, cast.ola][:lines]
    order = do_submit_order(
        actor=cast.kari,
        organisation=cast.fjordetaten,
        area="lonn",
        lines=[
            LineInput(system_role=role, action="grant", valid_from=dt.date(2030, 12, 1), person=p)
            for p in people
        ],
    )
    assert order.case.title == title


# The kind: every count goes through the plural machinery -----------------------------

# Placeholders that stand for a number of things (a count), whatever follows them.
COUNT_NAMES = {"count", "counter", "total", "rows", "done", "limit", "lines", "files", "n"}
# An integer placeholder followed by a word is a count of that word, unless the word is
# a unit written the same for one and many.
INTEGER_BEFORE_WORD = re.compile(r"%\((\w+)\)d ([A-Za-zæøåÆØÅ]+)")
UNITS = {"MB", "KB", "GB", "kB", "px"}
PLACEHOLDER_NAME = re.compile(r"%\((\w+)\)[sd]")


def _counts_without_plural(entries: list[polib.POEntry]) -> list[str]:
    found = []
    for entry in entries:
        if not entry.msgid or entry.msgid_plural:
            continue
        names = set(PLACEHOLDER_NAME.findall(entry.msgid))
        words = [w for _name, w in INTEGER_BEFORE_WORD.findall(entry.msgid) if w not in UNITS]
        if names & COUNT_NAMES or words:
            found.append(entry.msgid)
    return found


def test_the_catalogue_has_no_count_outside_ngettext() -> None:
    catalogue = polib.pofile(str(ROOT / "locale/nb/LC_MESSAGES/django.po"))
    assert _counts_without_plural(list(catalogue)) == []


def test_the_catalogue_check_finds_a_count_built_by_hand() -> None:
    """The check itself, on the strings the issue found."""
    entries = [
        polib.POEntry(msgid="Order of access: %(count)d lines"),
        polib.POEntry(msgid="The file with %(rows)s cases is ready."),
        polib.POEntry(msgid="Use at most %(size)d characters."),
        polib.POEntry(msgid="News on case %(number)s"),
        polib.POEntry(msgid="The file is larger than %(megabytes)d MB."),
        polib.POEntry(msgid="%(count)s case", msgid_plural="%(count)s cases"),
    ]
    assert _counts_without_plural(entries) == [
        "Order of access: %(count)d lines",
        "The file with %(rows)s cases is ready.",
        "Use at most %(size)d characters.",
    ]


BLOCK = re.compile(
    r"{%\s*blocktranslate\b(?P<args>[^%]*)%}(?P<body>.*?){%\s*endblocktranslate\s*%}", re.S
)


def _raw_counters(text: str) -> list[str]:
    """blocktranslate count blocks that print the count itself: "20000", not "20 000"."""
    found = []
    for block in BLOCK.finditer(text):
        counter = re.search(r"\bcount\s+(\w+)\s*=", block.group("args"))
        if counter and re.search(r"{{\s*" + counter.group(1) + r"\s*}}", block.group("body")):
            found.append(block.group(0))
    return found


def test_no_template_prints_a_count_without_the_thousands_separator() -> None:
    """The count picks the plural form; the number shown is a formatted copy of it
    (``with shown=n|floatformat:"0g"``), so 20 000 is "20 000" in Norwegian."""
    offenders = {
        str(path.relative_to(ROOT)): _raw_counters(path.read_text())
        for path in (ROOT / "templates").rglob("*.html")
    }
    assert {path: blocks for path, blocks in offenders.items() if blocks} == {}
    # And the check finds one.
    assert _raw_counters(
        "{% blocktranslate count counter=n %}{{ counter }} case{% plural %}"
        "{{ counter }} cases{% endblocktranslate %}"
    )
