"""The case list's planner tricks hold: each query uses the index it was written for.

The list is fast at five million cases because each of its queries lets
PostgreSQL take one particular index (cases.listing, cases.search, the
migrations that built them). Nothing else notices when one stops doing so: the
answers stay right, only slow. These tests ask ``/saker/`` as a person would,
capture the SQL the list really ran, and read its plan (``EXPLAIN (FORMAT
JSON)``):

- a selective filter is sorted after filtering: the sort is wrapped in
  ``COALESCE`` so no index has its order, and the filter's index is used;
- one year of "opprettet" in last-changed order walks the Oslo-year index
  (migration cases 0009), and a number prefix the number's pattern index;
- the organisation is sent as a bigint, so the trigram index (organisation +
  title) narrows by organisation inside the index;
- a long rare word asks the trigram index for its three rarest pieces only,
  a common one walks the list's own index in order;
- subject areas by name walk case_org_subject one area after another;
- keyset and deep offset pages walk the list's index without sorting.

The data: one organisation of 12 000 cases from ``generate_cases`` (its
skewed titles, dates over two years, the title pieces sampled), analysed, in
one transaction for the module, rolled back at its end. The list treats a
set over COUNT_LIMIT (10 000) as large; it is lowered to 1 000 here so that
these 12 000 cases have sets of both kinds (a year, a subject area, the
organisation) in the proportions of the bench data. The planner decides on
the real rows and their statistics; nothing turns a plan type off.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from cases import listing
from cases.listing import CasePage
from cases.models import Case
from cases.search import INDEX_PIECES, rare_pieces
from cases.text import OsloYear, fold
from portal.db.roles import as_owner
from portal.demo import org_number
from portal.models import Membership, Organisation, User
from tests.conftest import client_for

# Every test reads the module's data (below), each in a transaction of its own.
pytestmark = pytest.mark.django_db

CASES = 12_000
YEARS = 2
LARGE = 1_000  # COUNT_LIMIT for these tests (see above)
PLAIN_FILTER = ("kanal", "telefon")  # about 8 % of the cases
RARE_WORD = "kvartalsavstemming"  # in a handful of titles (generate_cases.RARE_WORDS)
COMMON_WORD = "lønn"  # in about half of them


@dataclass
class Planned:
    organisation: Organisation
    viewer: User  # utvidet tilgang in both areas: sees every case
    per: User  # a plain member: sees the cases he reported
    nina: User  # a member of another organisation only
    kystdir: Organisation


@pytest.fixture(scope="module")
def planned(django_db_setup: None, django_db_blocker: Any) -> Iterator[Planned]:
    # As the owner: generate_cases drops and rebuilds indexes, and ANALYZE is the owner's.
    with django_db_blocker.unblock(), as_owner():
        with transaction.atomic():
            call_command(
                "generate_cases",
                *("--cases", str(CASES), "--organisations", "1", "--users", "200"),
                *("--years", str(YEARS)),
                stdout=StringIO(),
            )
            organisation = Organisation.objects.get(slug="bench-org-001")
            per_pk = (
                Case.objects.filter(organisation=organisation, reported_by__isnull=False)
                .values("reported_by")
                .annotate(cases=Count("id"))
                .order_by("-cases", "reported_by")[0]["reported_by"]
            )
            kystdir = Organisation.objects.create(
                name="Kystdirektoratet", org_number=org_number("98100002"), slug="kystdirektoratet"
            )
            nina = User.objects.create_user(username="nina", first_name="Nina")
            Membership.objects.create(user=nina, organisation=kystdir)
            yield Planned(
                organisation=organisation,
                viewer=User.objects.get(username="bench-viewer-001"),
                per=User.objects.get(pk=per_pk),
                nina=nina,
                kystdir=kystdir,
            )
            transaction.set_rollback(True)
        # The row counts ANALYZE wrote into pg_class outlive the rollback: count anew.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")


@pytest.fixture(autouse=True)
def _large_above_a_thousand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listing, "COUNT_LIMIT", LARGE)


# --- Reading plans --------------------------------------------------------------------


@dataclass
class Listed:
    page: CasePage
    sql: list[str]  # every statement that read cases_case


def ask(user: User, **params: str) -> Listed:
    client = client_for(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/saker/?{urlencode(params)}")
    assert response.status_code == 200
    sql = [q["sql"] for q in captured.captured_queries if '"cases_case"' in q["sql"]]
    return Listed(response.context["page"], sql)


def page_query(listed: Listed) -> str:
    """The statement that takes the page's ids in the list's order."""
    (sql,) = [s for s in listed.sql if 'AS "sort_value"' in s]
    return sql


def plan_of(sql: str) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (row,) = cursor.fetchall()
    document = row[0] if isinstance(row[0], list) else json.loads(row[0])
    plan: dict[str, Any] = document[0]["Plan"]
    return plan


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def indexes_of(plan: dict[str, Any]) -> set[str]:
    return {node["Index Name"] for node in nodes(plan) if "Index Name" in node}


def scans_of(plan: dict[str, Any], index: str) -> list[dict[str, Any]]:
    return [node for node in nodes(plan) if node.get("Index Name") == index]


def sorts_in(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [node for node in nodes(plan) if node["Node Type"] in ("Sort", "Incremental Sort")]


def shown(plan: dict[str, Any], depth: int = 0) -> str:
    """The plan as EXPLAIN prints it, roughly, for a failing assertion's message."""
    parts = [plan["Node Type"], plan.get("Index Name", ""), plan.get("Index Cond", "")]
    parts += [plan.get("Filter", ""), ", ".join(plan.get("Sort Key", []))]
    line = "  " * depth + " ".join(part for part in parts if part)
    return "\n".join([line, *(shown(child, depth + 1) for child in plan.get("Plans", []))])


# --- The tricks -------------------------------------------------------------------------


def test_a_selective_filter_is_sorted_after_filtering_through_its_own_index(
    planned: Planned,
) -> None:
    listed = ask(planned.viewer, **dict([PLAIN_FILTER]))
    assert listed.page.strategy == "small set, sorted after filtering"
    sql = page_query(listed)
    assert "COALESCE(" in sql
    plan = plan_of(sql)
    # The channel's index finds the few cases; then they are sorted, not the whole
    # organisation walked in last-changed order with the channel checked on each.
    assert "case_org_channel" in indexes_of(plan), shown(plan)
    assert not indexes_of(plan) & {"case_org_updated", "case_org_updated_cover"}, shown(plan)
    (sort,) = sorts_in(plan)
    assert sort["Sort Key"][0].startswith("(COALESCE(updated_at, updated_at)) DESC"), shown(plan)


def test_an_open_status_is_counted_and_paged_from_the_open_cases_index(
    planned: Planned,
) -> None:
    """Cases still open are a few per cent of an organisation's (migration cases 0022):
    neither the count nor the page reads the whole organisation's list index."""
    listed = ask(planned.viewer, status="aktiv")
    assert listed.page.rows
    counts = [sql for sql in listed.sql if "COUNT(" in sql]
    assert counts
    for sql in [page_query(listed), *counts]:
        plan = plan_of(sql)
        assert "case_org_open_status" in indexes_of(plan), shown(plan)
        assert not indexes_of(plan) & {"case_org_updated", "case_org_updated_cover"}, shown(plan)


def test_one_year_of_opprettet_walks_the_oslo_year_index(planned: Planned) -> None:
    year = busiest_year(planned.organisation)
    listed = ask(planned.viewer, opprettet_fra=f"01.01.{year}", opprettet_til=f"31.12.{year}")
    assert listed.page.strategy == "one year of opprettet, in last-changed order"
    plan = plan_of(page_query(listed))
    assert "case_org_created_year_upd" in indexes_of(plan), shown(plan)
    assert not sorts_in(plan), shown(plan)  # the index gives the order
    assert len(listed.page.rows) == listing.DEFAULT_PAGE_SIZE


def busiest_year(organisation: Organisation) -> int:
    counted = (
        Case.objects.filter(organisation=organisation)
        .values(year=OsloYear("created_at"))
        .annotate(cases=Count("id"))
        .order_by("-cases")
    )
    top = counted[0]
    assert top["cases"] > LARGE
    return int(top["year"])


@pytest.mark.parametrize("typed", ["whole", "digits"])
def test_a_number_prefix_reads_the_number_index(planned: Planned, typed: str) -> None:
    """A number's start ("SAK-2026-000012", up to ten cases) or a case's id in
    digits: from the pattern index Django makes for the unique number (migration
    cases 0006), for digits with the id's own index beside it. (Digits that could
    be a year are that year as well: the next test.)"""
    case = Case.objects.filter(organisation=planned.organisation).order_by("-id")[0]
    assert len(str(case.pk)) > 4
    text = case.number[:-1] if typed == "whole" else str(case.pk)
    listed = ask(planned.viewer, nummer=text)
    assert case.number in {row["number"] for row in listed.page.rows}
    for sql in listed.sql[:2]:  # the count, then the page
        plan = plan_of(sql)
        pattern_index = {name for name in indexes_of(plan) if name.endswith("_like")}
        assert pattern_index, shown(plan)
        assert not sorts_in(plan) or "COALESCE(" in sql, shown(plan)


def test_a_number_typed_up_to_its_year_reads_the_years_index(planned: Planned) -> None:
    """ "SAK-2023" is the Oslo year 2023 of opprettet (cases.filters.NumberFilter):
    counted from the organisation's created index, and listed, newest change
    first, from the (organisation, Oslo year, last changed) index, never from
    the number index, which holds every organisation's numbers."""
    year = busiest_year(planned.organisation)
    listed = ask(planned.viewer, nummer=f"SAK-{year}")
    assert listed.page.strategy == "one year of opprettet, in last-changed order"
    assert {row["number"][:8] for row in listed.page.rows} == {f"SAK-{year}"}
    count, page = (plan_of(sql) for sql in listed.sql[:2])
    assert "case_org_created_cover" in indexes_of(count), shown(count)
    assert "case_org_created_year_upd" in indexes_of(page), shown(page)
    for plan in (count, page):
        assert not {name for name in indexes_of(plan) if name.endswith("_like")}, shown(plan)
    assert not sorts_in(page), shown(page)


def test_the_organisation_is_compared_inside_the_trigram_index(planned: Planned) -> None:
    listed = ask(planned.viewer, tittel=RARE_WORD)
    sql = page_query(listed)
    # Sent as a bigint: as a smaller integer type the btree_gin part of the index
    # could not compare it, and every organisation's titles would be read.
    assert f'"organisation_id" = ({planned.organisation.pk})::bigint' in sql
    plan = plan_of(sql)
    (scan,) = scans_of(plan, "case_org_title_folded_trgm")
    assert "organisation_id = " in scan["Index Cond"], shown(plan)


def test_a_rare_long_word_asks_the_trigram_index_for_its_rarest_pieces(
    planned: Planned,
) -> None:
    pieces = rare_pieces(fold(RARE_WORD))
    assert len(pieces) == INDEX_PIECES  # a sample was taken, and the word is rare
    listed = ask(planned.viewer, tittel=RARE_WORD)
    assert listed.page.rows
    assert all(RARE_WORD in fold(row["title"]) for row in listed.page.rows)
    plan = plan_of(page_query(listed))
    (scan,) = scans_of(plan, "case_org_title_folded_trgm")
    asked = sorted(piece for piece in pieces if f"'%{piece}%'" in scan["Index Cond"])
    assert asked == sorted(pieces), shown(plan)
    assert scan["Index Cond"].count("~~") == INDEX_PIECES, shown(plan)
    # The whole word is checked on those candidates only.
    checked = [node for node in nodes(plan) if "strpos" in node.get("Filter", "")]
    assert checked, shown(plan)


def test_a_common_word_walks_the_list_index_in_its_order(planned: Planned) -> None:
    listed = ask(planned.viewer, tittel=COMMON_WORD)
    assert listed.page.count_is_lower_bound
    plan = plan_of(page_query(listed))
    (scan,) = scans_of(plan, "case_org_updated_cover")
    assert scan["Node Type"] == "Index Only Scan", shown(plan)
    assert not sorts_in(plan), shown(plan)


def test_subject_areas_by_name_walk_each_area_in_its_index(planned: Planned) -> None:
    listed = ask(planned.viewer, sort="fagomrade")
    assert listed.page.strategy == "value by value, in the ranking's order"
    walks = [sql for sql in listed.sql if '"subject_area_id" = ' in sql and "LIMIT" in sql]
    assert walks
    for sql in walks:
        plan = plan_of(sql)
        assert indexes_of(plan) == {"case_org_subject"}, shown(plan)
        assert not sorts_in(plan), shown(plan)


@pytest.mark.parametrize(
    ("sort", "index"),
    [("-endret", "case_org_updated"), ("tittel", "case_org_title_sort")],
)
def test_a_keyset_page_starts_at_its_cursor_in_the_sort_index(
    planned: Planned, sort: str, index: str
) -> None:
    first = ask(planned.viewer, sort=sort)
    assert first.page.next_cursor
    listed = ask(planned.viewer, sort=sort, side="2", etter=first.page.next_cursor)
    assert listed.page.strategy == "keyset"
    sql = page_query(listed)
    assert "OFFSET" not in sql
    plan = plan_of(sql)
    # (The last-changed order has two indexes, the narrow one and the covering one.)
    (scan,) = [node for node in nodes(plan) if node.get("Index Name", "").startswith(index)]
    # The cursor is a bound of the index walk (ROW(key, id) < ROW(...)), not a filter.
    assert "ROW(" in scan["Index Cond"], shown(plan)
    assert not sorts_in(plan), shown(plan)
    assert not {row["id"] for row in listed.page.rows} & {row["id"] for row in first.page.rows}


def test_a_deep_page_is_an_index_only_walk_of_the_narrow_index(planned: Planned) -> None:
    listed = ask(planned.viewer, side="40")
    assert listed.page.strategy == "offset over ids"
    plan = plan_of(page_query(listed))
    (scan,) = scans_of(plan, "case_org_updated")
    assert scan["Node Type"] == "Index Only Scan", shown(plan)
    assert not sorts_in(plan), shown(plan)


# --- Who sees what --------------------------------------------------------------------


def test_plain_member_gets_his_own_cases_through_the_reporter_index(planned: Planned) -> None:
    listed = ask(planned.per)
    own = Case.objects.filter(organisation=planned.organisation, reported_by=planned.per)
    assert listed.page.count == own.count()
    assert {row["number"] for row in listed.page.rows} <= set(own.values_list("number", flat=True))
    for sql in listed.sql:
        assert f'"reported_by_id" = {planned.per.pk}' in sql or '"id" IN (' in sql, sql
    plan = plan_of(page_query(listed))
    assert "case_reporter_updated" in indexes_of(plan), shown(plan)


def test_plain_member_gets_404_for_a_colleagues_case(planned: Planned) -> None:
    colleagues = Case.objects.filter(organisation=planned.organisation).exclude(
        reported_by=planned.per
    )
    case = colleagues.first()
    assert case is not None
    response = client_for(planned.per).get(case.get_absolute_url())
    assert response.status_code == 404


def test_outsider_gets_an_empty_list_and_no_sql_about_the_organisation(
    planned: Planned,
) -> None:
    listed = ask(planned.nina, tittel=RARE_WORD)
    assert listed.page.rows == []
    assert listed.page.count == 0
    for sql in listed.sql:
        assert f'"organisation_id" = ({planned.kystdir.pk})::bigint' in sql, sql
        assert f'"organisation_id" = ({planned.organisation.pk})::bigint' not in sql, sql


def test_outsider_gets_404_for_the_organisations_case(planned: Planned) -> None:
    case = Case.objects.filter(organisation=planned.organisation).first()
    assert case is not None
    response = client_for(planned.nina).get(case.get_absolute_url())
    assert response.status_code == 404
