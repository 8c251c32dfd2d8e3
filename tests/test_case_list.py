"""Innmeldte saker: columns, per-column search, dates, sort, pages, URL state."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from cases import listing
from cases.filters import NumberFilter
from cases.models import Case, ListPreference, SubjectArea, case_number
from portal.models import RoleType, User
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for, grant, make_user


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _case(cast: Cast, title: str, category: str = "lonn", **fields: object) -> Case:
    reporter = fields.pop("reporter", cast.per)
    assert isinstance(reporter, User)
    case = make_case(cast.fjordetaten, reporter, category, title=title)
    if fields:
        Case.objects.filter(pk=case.pk).update(**fields)
        case.refresh_from_db()
    return case


def _numbers(response) -> list[str]:
    return [case["number"] for case in response.context["page"].rows]


@pytest.fixture
def kari_sees_all(cast: Cast) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_ACCOUNTING)


def test_outsider_and_anonymous(cast: Cast) -> None:
    _case(cast, "Hemmelig")
    response = client_for(cast.nina).get("/saker/")
    assert response.status_code == 200
    assert response.context["page"].rows == []
    from django.test import Client

    assert Client().get("/saker/").status_code == 302


def test_plain_member_sees_only_own_cases(cast: Cast) -> None:
    own = _case(cast, "Min sak")
    _case(cast, "Olas sak", reporter=cast.ola)
    assert _numbers(client_for(cast.per).get("/saker/")) == [own.number]


def test_norwegian_search_folds_case_and_accents_but_not_aeoa(
    cast: Cast, kari_sees_all: None
) -> None:
    upper = _case(cast, "LØNN FOR NOVEMBER")
    compound = _case(cast, "Lønnsoppgjøret 2022")
    cafe = _case(cast, "Regning fra Café Ø")
    other = _case(cast, "Lonn uten ø")
    client = client_for(cast.kari)
    assert set(_numbers(client.get("/saker/?tittel=lønn"))) == {upper.number, compound.number}
    assert set(_numbers(client.get("/saker/?tittel=cafe"))) == {cafe.number}
    assert set(_numbers(client.get("/saker/?tittel=CAFÉ"))) == {cafe.number}
    assert other.number not in _numbers(client.get("/saker/?tittel=lønn"))
    assert set(_numbers(client.get("/saker/?tittel=lonn"))) == {other.number}
    # "o" must not find titles that only have "ø".
    only_oe = _case(cast, "Økt sats")
    assert only_oe.number not in _numbers(client.get("/saker/?tittel=o"))


def test_search_is_literal_not_a_pattern(cast: Cast, kari_sees_all: None) -> None:
    percent = _case(cast, "Økning på 5% i trekk")
    _case(cast, "Økning på 50 i trekk")
    assert _numbers(client_for(cast.kari).get("/saker/?tittel=5%25")) == [percent.number]


def test_number_matches_from_the_start_or_exactly(cast: Cast, kari_sees_all: None) -> None:
    case = _case(cast, "Nummersøk")
    client = client_for(cast.kari)
    assert _numbers(client.get(f"/saker/?nummer={case.number}")) == [case.number]
    assert case.number in _numbers(client.get(f"/saker/?nummer={case.number[:8].lower()}"))
    assert _numbers(client.get(f"/saker/?nummer={case.pk}")) == [case.number]
    assert _numbers(client.get(f"/saker/?nummer={case.number[4:]}")) == []


def test_choice_filters_are_multi_select_and_combine_with_and(
    cast: Cast, kari_sees_all: None
) -> None:
    payroll_active = _case(cast, "A", "lonn")
    payroll_closed = _case(cast, "B", "lonn", status="avsluttet")
    accounting_closed = _case(cast, "C", "regnskap", status="avsluttet")
    client = client_for(cast.kari)
    both = _numbers(client.get("/saker/?status=aktiv&status=avsluttet"))
    assert set(both) == {payroll_active.number, payroll_closed.number, accounting_closed.number}
    combined = _numbers(client.get("/saker/?status=avsluttet&kategori=lonn&tittel=b"))
    assert combined == [payroll_closed.number]
    assert _numbers(client.get("/saker/?kategori=regnskap")) == [accounting_closed.number]


def test_reporter_filter_finds_by_name(cast: Cast, kari_sees_all: None) -> None:
    by_ola = _case(cast, "Fra Ola", reporter=cast.ola)
    _case(cast, "Fra Per")
    assert _numbers(client_for(cast.kari).get("/saker/?innmeldt_av=ola")) == [by_ola.number]


def test_date_bounds_are_inclusive_oslo_dates(cast: Cast, kari_sees_all: None) -> None:
    # 23:30 UTC on 10 November is 00:30 on 11 November in Oslo.
    late = _case(cast, "Sen", created_at=dt.datetime(2022, 11, 10, 23, 30, tzinfo=dt.UTC))
    early = _case(cast, "Tidlig", created_at=dt.datetime(2022, 11, 10, 22, 59, tzinfo=dt.UTC))
    client = client_for(cast.kari)
    assert _numbers(client.get("/saker/?opprettet_fra=11.11.2022&opprettet_til=11.11.2022")) == [
        late.number
    ]
    assert _numbers(client.get("/saker/?opprettet_fra=10.11.2022&opprettet_til=10.11.2022")) == [
        early.number
    ]
    assert len(_numbers(client.get("/saker/?opprettet_til=11.11.2022"))) == 2


def test_last_changed_filter(cast: Cast, kari_sees_all: None) -> None:
    old = _case(cast, "Gammel", updated_at=dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC))
    client = client_for(cast.kari)
    assert _numbers(client.get("/saker/?endret_til=31.12.2020")) == [old.number]
    assert old.number not in _numbers(client.get("/saker/?endret_fra=01.01.2021"))


def test_to_date_before_from_date_is_a_clear_error_not_an_empty_list(
    cast: Cast, kari_sees_all: None
) -> None:
    case = _case(cast, "Finnes")
    response = client_for(cast.kari).get(
        "/saker/?opprettet_fra=10.11.2022&opprettet_til=01.11.2022", HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert response.status_code == 200
    assert "til-datoen er før fra-datoen" in response.content.decode().lower()
    assert _numbers(response) == [case.number]
    assert 'value="10.11.2022"' in response.content.decode()


def test_malformed_date_is_an_error_with_the_typed_value_kept(cast: Cast) -> None:
    response = client_for(cast.per).get("/saker/?opprettet_fra=31.02.2022")
    assert response.status_code == 200
    assert response.context["filter_form"].errors
    assert 'value="31.02.2022"' in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "side=abc",
        "side=-1",
        "per_side=1000",
        "sort=passord",
        "hemmelig=1",
        "etter=%%%",
        "etter=WzEsMl0",
        "foer=bm9uc2Vuc2U",
        "status=ukjent",
        "fagomrade=999999",
        "kategori=x&kategori=lonn",
    ],
)
def test_unknown_or_malformed_parameters_never_500(cast: Cast, query: str) -> None:
    _case(cast, "Noe")
    response = client_for(cast.per).get(f"/saker/?{query}")
    assert response.status_code == 200
    page = response.context["page"]
    assert page.notices or response.context["filter_form"].errors


def test_default_sort_is_last_changed_newest_first_with_ties_by_number(
    cast: Cast, kari_sees_all: None
) -> None:
    moment = dt.datetime(2022, 5, 5, 12, tzinfo=dt.UTC)
    tied = [_case(cast, f"Lik {i}", updated_at=moment) for i in range(3)]
    newest = _case(cast, "Nyest")
    numbers = _numbers(client_for(cast.kari).get("/saker/"))
    assert numbers[0] == newest.number
    assert numbers[1:] == [c.number for c in sorted(tied, key=lambda c: c.pk, reverse=True)]


def test_sort_by_title_is_norwegian(cast: Cast, kari_sees_all: None) -> None:
    for title in ["Åpen sak", "ørret", "Zebra", "æble", "alfa", "Énig"]:
        _case(cast, title)
    response = client_for(cast.kari).get("/saker/?sort=tittel")
    titles = [case["title"] for case in response.context["page"].rows]
    assert titles == ["alfa", "Énig", "Zebra", "æble", "ørret", "Åpen sak"]
    descending = client_for(cast.kari).get("/saker/?sort=-tittel")
    assert [c["title"] for c in descending.context["page"].rows] == list(reversed(titles))


def test_every_column_sorts(cast: Cast, kari_sees_all: None) -> None:
    for i in range(3):
        _case(cast, f"Sak {i}", "lonn" if i % 2 else "regnskap")
    client = client_for(cast.kari)
    for key in listing.columns():
        for prefix in ("", "-"):
            response = client.get(f"/saker/?sort={prefix}{key}")
            assert response.status_code == 200
            assert len(response.context["page"].rows) == 3, key


def test_paging_is_stable_and_keyset_pages_equal_counted_pages(
    cast: Cast, kari_sees_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = dt.datetime(2022, 5, 5, 12, tzinfo=dt.UTC)
    for i in range(60):
        _case(cast, f"Sak {i:02d}", updated_at=moment + dt.timedelta(minutes=i % 7))
    # Make the set count as "large" so the index-walk strategies are used.
    monkeypatch.setattr(listing, "COUNT_LIMIT", 10)
    client = client_for(cast.kari)
    counted = [_numbers(client.get(f"/saker/?per_side=25&side={n}")) for n in (1, 2, 3)]
    assert [len(p) for p in counted] == [25, 25, 10]
    assert len(set(itertools.chain(*counted))) == 60
    # Forward with cursors gives the same pages.
    first = client.get("/saker/?per_side=25")
    assert first.context["page"].count_is_lower_bound
    second = client.get("/saker/" + first.context["links"]["next"])
    assert second.context["page"].strategy == "keyset"
    assert _numbers(second) == counted[1]
    third = client.get("/saker/" + second.context["links"]["next"])
    assert _numbers(third) == counted[2]
    # And back again.
    back = client.get("/saker/" + third.context["links"]["previous"])
    assert _numbers(back) == counted[1]


def _varied_cases(cast: Cast, count: int) -> None:
    """Cases that differ in every column, with ties, so each sort has work to do."""
    areas = list(SubjectArea.objects.order_by("pk"))
    statuses = list(Case.Status)
    channels = list(Case.Channel)
    moment = dt.datetime(2022, 5, 5, 12, tzinfo=dt.UTC)
    for i in range(count):
        area = areas[i % len(areas)]
        _case(
            cast,
            f"Sak {i % 9}",
            area.category,
            reporter=cast.ola if i % 3 else cast.per,
            subject_area=area,
            status=statuses[i % len(statuses)],
            channel=channels[i % len(channels)],
            created_at=moment - dt.timedelta(hours=i % 5),
            updated_at=moment + dt.timedelta(minutes=i % 7),
        )


@pytest.mark.parametrize("key", list(listing.columns()))
@pytest.mark.parametrize("prefix", ["", "-"])
def test_every_sort_pages_alike_by_offset_and_by_keyset(
    cast: Cast, kari_sees_all: None, monkeypatch: pytest.MonkeyPatch, key: str, prefix: str
) -> None:
    """The small set's sorted order is the order of the index walks (offset and keyset,
    forward and back), for every column: the same pages, no case twice, none lost."""
    _varied_cases(cast, 45)
    client = client_for(cast.kari)
    client.post("/saker/kolonner/", {"kolonner": list(listing.columns())})
    url = f"/saker/?sort={prefix}{key}&per_side=25"
    whole = _numbers(client.get(f"/saker/?sort={prefix}{key}&per_side=100"))
    assert len(set(whole)) == 45
    monkeypatch.setattr(listing, "COUNT_LIMIT", 10)  # the set now counts as large
    by_offset = [_numbers(client.get(f"{url}&side={n}")) for n in (1, 2)]
    assert by_offset[0] + by_offset[1] == whole
    first = client.get(url)
    assert first.context["page"].strategy != "small set"
    second = client.get("/saker/" + first.context["links"]["next"])
    assert _numbers(second) == whole[25:]
    back = client.get("/saker/" + second.context["links"]["previous"])
    assert _numbers(back) == whole[:25]


def test_subject_area_sorts_by_its_name_in_the_readers_language(
    cast: Cast, kari_sees_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = SubjectArea.objects.create(category="lonn", name_nb="Ørsmå feil", name_en="Zulu")
    second = SubjectArea.objects.create(category="lonn", name_nb="Åpne spørsmål", name_en="Alpha")
    for area in (second, first, second, first):
        _case(cast, area.name_nb, "lonn", subject_area=area)
    client = client_for(cast.kari)

    def names(query: str, language: str) -> list[str]:
        response = client.get(f"/saker/?{query}", HTTP_ACCEPT_LANGUAGE=language)
        return [row["title"] for row in response.context["page"].rows]

    # Bokmål: Ø before Å, as in the Norwegian alphabet; English: Alpha before Zulu.
    norwegian = ["Ørsmå feil", "Ørsmå feil", "Åpne spørsmål", "Åpne spørsmål"]
    english = list(reversed(norwegian))
    assert names("sort=fagomrade", "nb") == norwegian
    assert names("sort=-fagomrade", "nb") == list(reversed(norwegian))
    assert names("sort=fagomrade", "en") == english
    monkeypatch.setattr(listing, "COUNT_LIMIT", 2)  # by the subject area index, value by value
    assert names("sort=fagomrade", "nb") == norwegian
    page = client.get("/saker/?sort=fagomrade").context["page"]
    assert page.strategy == "value by value, in the ranking's order"


def test_count_is_exact_up_to_the_limit_then_over(
    cast: Cast, kari_sees_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(30):
        _case(cast, f"Sak {i}")
    monkeypatch.setattr(listing, "COUNT_LIMIT", 10)
    html = client_for(cast.kari).get("/saker/?per_side=25", HTTP_ACCEPT_LANGUAGE="nb")
    # Counted to 10; the page itself shows there are more than its 25.
    assert "Viser 1–25 av over 25 saker" in html.content.decode()
    monkeypatch.setattr(listing, "COUNT_LIMIT", 100)
    page = client_for(cast.kari).get("/saker/").context["page"]
    assert (page.count, page.count_is_lower_bound) == (30, False)


def test_query_count_is_constant_in_the_number_of_rows(cast: Cast, kari_sees_all: None) -> None:
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client_for(cast.kari).get("/saker/?per_side=100").status_code == 200
        return len(captured)

    _case(cast, "Én")
    few = queries_for_list()
    for i in range(30):
        _case(cast, f"Mange {i}", reporter=cast.ola if i % 2 else cast.per)
    assert queries_for_list() == few


def test_column_choice_is_remembered_and_unknown_names_ignored(cast: Cast) -> None:
    client = client_for(cast.per)
    response = client.post(
        "/saker/kolonner/",
        {"kolonner": ["status", "opprettet", "passord", "__class__"], "next": "/saker/?tittel=x"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/saker/?tittel=x#columns"
    assert ListPreference.objects.get(user=cast.per).columns == [
        "nummer",
        "tittel",
        "status",
        "opprettet",
    ]
    table = client.get("/saker/").context["table"]
    assert [c.name for c in table.columns] == ["nummer", "tittel", "status", "opprettet"]


def test_number_and_title_cannot_be_hidden(cast: Cast) -> None:
    client = client_for(cast.per)
    client.post("/saker/kolonner/", {"kolonner": []})
    assert [c.name for c in client.get("/saker/").context["table"].columns] == ["nummer", "tittel"]


def test_default_columns_can_be_restored(cast: Cast) -> None:
    client = client_for(cast.per)
    client.post("/saker/kolonner/", {"kolonner": ["status"]})
    client.post("/saker/kolonner/", {"standard": "1"})
    assert ListPreference.objects.get(user=cast.per).columns == listing.default_columns()


def test_columns_redirect_stays_on_the_site(cast: Cast) -> None:
    response = client_for(cast.per).post(
        "/saker/kolonner/", {"kolonner": ["status"], "next": "https://evil.example/saker/"}
    )
    assert response["Location"] == "/saker/#columns"


def test_no_organisation_column_the_list_is_one_organisation(cast: Cast) -> None:
    """The list holds the active organisation's cases only; a column would repeat it."""
    for person in (cast.mona, cast.per):
        client = client_for(person)
        client.post("/saker/kolonner/", {"kolonner": ["virksomhet", "status"]})
        response = client.get("/saker/?sort=virksomhet")
        assert [c.name for c in response.context["table"].columns] == [
            "nummer",
            "tittel",
            "status",
        ]
        assert response.context["page"].sort_key == "endret"  # and a notice says why


def test_list_shows_the_active_organisation(cast: Cast) -> None:
    fjord = make_case(cast.fjordetaten, cast.mona, title="I Fjordetaten")
    kyst = make_case(cast.kystdir, cast.mona, title="I Kystdirektoratet")
    client = client_for(cast.mona)
    client.post("/virksomhet/bytt/", {"organisation": cast.fjordetaten.pk})
    assert _numbers(client.get("/saker/")) == [fjord.number]
    client.post("/virksomhet/bytt/", {"organisation": cast.kystdir.pk})
    assert _numbers(client.get("/saker/")) == [kyst.number]


MATRIX_FILTERS = ["", "tittel=sak", "status=aktiv", "kategori=lonn", "opprettet_fra=01.01.2000"]


@pytest.mark.parametrize("query", MATRIX_FILTERS)
@pytest.mark.parametrize("sort", ["-endret", "tittel", "status", "-nummer", "innmeldt_av"])
def test_the_list_never_shows_a_case_the_user_may_not_see(
    cast: Cast, query: str, sort: str
) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    cases = {
        "per_lonn": _case(cast, "Per sak lønn", "lonn"),
        "per_regnskap": _case(cast, "Per sak regnskap", "regnskap"),
        "ola_lonn": _case(cast, "Ola sak lønn", "lonn", reporter=cast.ola),
        "ola_regnskap": _case(cast, "Ola sak regnskap", "regnskap", reporter=cast.ola),
        "nina": make_case(cast.kystdir, cast.nina, title="Nina sak"),
    }
    allowed = {
        "per": {"per_lonn", "per_regnskap"},
        "ola": {"ola_lonn", "ola_regnskap"},
        "kari": {"per_lonn", "ola_lonn"},
        "nina": {"nina"},
    }
    for who, names in allowed.items():
        shown = set(_numbers(client_for(getattr(cast, who)).get(f"/saker/?sort={sort}&{query}")))
        permitted = {cases[name].number for name in names}
        assert shown <= permitted, f"{who} saw {shown - permitted}"
    # Staff are members of no organisation: the gate's page, no list at all.
    assert client_for(cast.siv).get(f"/saker/?sort={sort}&{query}").status_code == 403


def test_a_narrow_date_range_across_the_sort_is_taken_from_its_own_index(
    cast: Cast, kari_sees_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(15):
        _case(cast, f"År {i}", created_at=dt.datetime(2023, 3, 1 + i, 12, tzinfo=dt.UTC))
    _case(cast, "Utenfor", created_at=dt.datetime(2021, 3, 1, 12, tzinfo=dt.UTC))
    monkeypatch.setattr(listing, "COUNT_LIMIT", 10)
    response = client_for(cast.kari).get(
        "/saker/?opprettet_fra=01.01.2023&opprettet_til=31.12.2023&per_side=25"
    )
    page = response.context["page"]
    assert page.strategy == "one year of opprettet, in last-changed order"
    assert len(page.rows) == 15
    assert [c["updated_at"] for c in page.rows] == sorted(
        (c["updated_at"] for c in page.rows), reverse=True
    )
    # Across two years, or in another order that follows time: the range
    # first, then sorted.
    for query in (
        "opprettet_fra=01.07.2022&opprettet_til=30.06.2023",
        "opprettet_fra=01.01.2023&opprettet_til=31.12.2023&sort=innmeldt_av",
        "opprettet_fra=01.01.2023&opprettet_til=31.12.2023&sort=-nummer",
    ):
        page = client_for(cast.kari).get(f"/saker/?{query}&per_side=25").context["page"]
        assert page.strategy == "date range first, then sorted"
        assert len(page.rows) == 15
    # An order that does not follow time walks its own index.
    query = "opprettet_fra=01.01.2023&opprettet_til=31.12.2023&sort=tittel&per_side=25"
    page = client_for(cast.kari).get(f"/saker/?{query}").context["page"]
    assert page.strategy == "offset over ids"
    assert [c["title"] for c in page.rows] == sorted(f"År {i}" for i in range(15))


@pytest.mark.parametrize(
    "typed",
    [
        "SAK-2023",
        "sak-2023-",
        "SAK-202",
        "SAK-20",
        "SAK-2",
        "SAK-",
        "SAK-20-",
        "2023",
        "SAK-2023-00",
    ],
)
def test_a_number_typed_up_to_its_year_finds_what_the_number_starts_with(
    cast: Cast, kari_sees_all: None, monkeypatch: pytest.MonkeyPatch, typed: str
) -> None:
    """ "SAK-2023" is asked as the Oslo year 2023 of opprettet: the same cases."""
    moments = [
        dt.datetime(2019, 6, 1, 12, tzinfo=dt.UTC),
        dt.datetime(2022, 12, 31, 22, 30, tzinfo=dt.UTC),  # 23:30 in Oslo: 2022
        dt.datetime(2022, 12, 31, 23, 30, tzinfo=dt.UTC),  # 00:30 in Oslo: 2023
        dt.datetime(2023, 12, 31, 23, 30, tzinfo=dt.UTC),  # 00:30 in Oslo: 2024
        dt.datetime(2025, 2, 1, 12, tzinfo=dt.UTC),
    ]
    cases = []
    for moment in moments:
        case = _case(cast, f"Sak fra {moment:%Y-%m-%d %H}", created_at=moment)
        Case.objects.filter(pk=case.pk).update(number=case_number(case.pk, moment))
        cases.append(Case.objects.get(pk=case.pk))
    olas = _case(cast, "Olas", created_at=moments[2], reporter=cast.ola)
    Case.objects.filter(pk=olas.pk).update(number=case_number(olas.pk, moments[2]))
    nina = make_case(cast.kystdir, cast.nina, title="Nina")
    text = typed.upper()
    numbered = [*cases, Case.objects.get(pk=olas.pk)]
    starts = (f"SAK-{text}",) if text.isdigit() else (text,)
    expected = {c.number for c in numbered if c.number.startswith(starts)}
    expected |= {c.number for c in numbered if text.isdigit() and c.pk == int(text)}
    for limit in (10_000, 1):  # a small set, and one counted past the limit
        monkeypatch.setattr(listing, "COUNT_LIMIT", limit)
        response = client_for(cast.kari).get("/saker/", {"nummer": typed})
        assert set(_numbers(response)) == expected, limit
    # The plain member finds only their own; the other organisation's member none of these.
    own = {n for n in expected if Case.objects.get(number=n).reported_by == cast.per}
    assert set(_numbers(client_for(cast.per).get("/saker/", {"nummer": typed}))) == own
    assert _numbers(client_for(cast.nina).get("/saker/", {"nummer": typed})) in ([], [nina.number])


@pytest.mark.parametrize(
    ("typed", "years"),
    [
        ("SAK-2023", (2023, 2023)),
        ("SAK-2023-", (2023, 2023)),
        ("SAK-202", (2020, 2029)),
        ("SAK-0", (1, 999)),
        ("SAK-9", (9000, 9998)),
        ("SAK-20-", None),
        ("SAK-2023-0", None),
        ("2023", None),
    ],
)
def test_the_years_a_numbers_start_stands_for(typed: str, years: object) -> None:
    assert NumberFilter.years(typed) == years


def test_a_year_of_numbers_in_last_changed_order_reads_the_years_index(
    cast: Cast, kari_sees_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = dt.datetime(2023, 5, 1, 12, tzinfo=dt.UTC)
    for i in range(3):
        case = _case(cast, f"Nr {i}", created_at=moment)
        Case.objects.filter(pk=case.pk).update(number=case_number(case.pk, moment))
    _case(cast, "I år")
    monkeypatch.setattr(listing, "COUNT_LIMIT", 1)
    page = client_for(cast.kari).get("/saker/?nummer=SAK-2023").context["page"]
    assert page.strategy == "one year of opprettet, in last-changed order"
    assert sorted(c["title"] for c in page.rows) == ["Nr 0", "Nr 1", "Nr 2"]


def test_one_year_of_opprettet_is_an_oslo_year(
    cast: Cast, kari_sees_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = [
        # 00:30 on 1 January 2023 in Oslo, and 00:30 on 31 December.
        _case(cast, "Nyttår", created_at=dt.datetime(2022, 12, 31, 23, 30, tzinfo=dt.UTC)),
        _case(cast, "Nyttårsaften", created_at=dt.datetime(2023, 12, 30, 23, 30, tzinfo=dt.UTC)),
    ]
    # 00:30 on 1 January 2024 in Oslo.
    _case(cast, "Neste år", created_at=dt.datetime(2023, 12, 31, 23, 30, tzinfo=dt.UTC))
    _case(cast, "Olas", created_at=dt.datetime(2023, 6, 1, tzinfo=dt.UTC), reporter=cast.ola)
    monkeypatch.setattr(listing, "COUNT_LIMIT", 1)
    query = "/saker/?opprettet_fra=01.01.2023&opprettet_til=31.12.2023"
    page = client_for(cast.kari).get(query).context["page"]
    assert page.strategy == "one year of opprettet, in last-changed order"
    assert {c["title"] for c in page.rows} == {"Nyttår", "Nyttårsaften", "Olas"}
    # The plain member sees their own of those; the other organisation's member none.
    assert {c["number"] for c in client_for(cast.per).get(query).context["page"].rows} == {
        c.number for c in inside
    }
    assert client_for(cast.nina).get(query).context["page"].rows == []


def test_subject_area_filter_with_labels_in_the_users_language(
    cast: Cast, kari_sees_all: None
) -> None:
    first, second = SubjectArea.objects.filter(category="lonn").order_by("position")[:2]
    one = _case(cast, "Første", subject_area=first)
    two = _case(cast, "Andre", subject_area=second)
    _case(cast, "Regnskap", "regnskap")
    kari = client_for(cast.kari)
    assert _numbers(kari.get(f"/saker/?fagomrade={first.pk}")) == [one.number]
    both = kari.get(f"/saker/?fagomrade={first.pk}&fagomrade={second.pk}")
    assert set(_numbers(both)) == {one.number, two.number}
    english = kari.get("/saker/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    norwegian = kari.get("/saker/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert escape(f"Payroll: {first.name_en}") in english
    assert escape(f"Lønn: {first.name_nb}") in norwegian


def test_plain_member_filtering_by_subject_area_sees_only_own(cast: Cast) -> None:
    area = SubjectArea.objects.filter(category="lonn").first()
    assert area is not None
    own = _case(cast, "Min", subject_area=area)
    _case(cast, "Olas", subject_area=area, reporter=cast.ola)
    assert _numbers(client_for(cast.per).get(f"/saker/?fagomrade={area.pk}")) == [own.number]
    assert _numbers(client_for(cast.nina).get(f"/saker/?fagomrade={area.pk}")) == []


def test_cells_and_filter_values_are_escaped(cast: Cast, kari_sees_all: None) -> None:
    title = '<img src=x onerror="alert(1)"> & co'
    _case(cast, title)
    html = (
        client_for(cast.kari)
        .get("/saker/", {"innmeldt_av": '"><script>alert(2)</script>'})
        .content.decode()
    )
    assert "<img src=x" not in html
    assert "<script>alert(2)" not in html
    assert "&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html
    html = client_for(cast.kari).get("/saker/").content.decode()
    assert escape(title) in html
    assert "<img src=x" not in html


def test_list_shows_moments_in_oslo_time(cast: Cast, kari_sees_all: None) -> None:
    moment = dt.datetime(2022, 11, 10, 23, 30, tzinfo=dt.UTC)  # 00:30 on 11.11 in Oslo
    _case(cast, "Midnatt", created_at=moment, updated_at=moment)
    summer = dt.datetime(2023, 6, 30, 22, 5, tzinfo=dt.UTC)  # 00:05 on 1.7 in Oslo (CEST)
    _case(cast, "Sommer", created_at=summer, updated_at=summer)
    for person in (cast.kari, cast.per):
        html = client_for(person).get("/saker/").content.decode()
        assert "11.11.2022 00:30" in html
        assert "01.07.2023 00:05" in html
    assert "11.11.2022 00:30" not in client_for(cast.nina).get("/saker/").content.decode()


def test_the_date_filters_show_the_dates_shape_in_the_readers_words(cast: Cast) -> None:
    for language, shape in [("nb", "dd.mm.åååå"), ("nn", "dd.mm.åååå"), ("en", "dd.mm.yyyy")]:
        html = client_for(cast.per).get("/saker/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert html.count(f'placeholder="{shape}"') == 4, language
    assert client_for(make_user("outsider")).get("/saker/").status_code == 403


def test_an_empty_list_says_whether_the_filters_emptied_it(cast: Cast) -> None:
    """No cases at all: say so and offer to report one; none that match: blame the filters."""
    empty = client_for(cast.per).get("/saker/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "There are no cases yet." in empty
    assert 'href="/saker/ny/"' in empty
    assert "No cases match the filters." not in empty
    make_case(cast.fjordetaten, cast.per, title="Feriepenger")
    filtered = client_for(cast.per).get("/saker/?tittel=ingenting", HTTP_ACCEPT_LANGUAGE="en")
    assert "No cases match the filters." in filtered.content.decode()
    assert client_for(make_user("outsider")).get("/saker/").status_code == 403


def test_a_page_past_the_end_offers_the_first_page_not_page_99_of_1(cast: Cast) -> None:
    make_case(cast.fjordetaten, cast.per)
    html = client_for(cast.per).get("/saker/?side=99", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Page 99 is past the end of the list." in html
    assert "Page 99 of" not in html
    assert 'rel="prev"' not in html
    assert "First page" in html
    assert client_for(make_user("outsider")).get("/saker/?side=99").status_code == 403
