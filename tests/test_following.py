"""Følg: following a case one sees, and finding the followed cases again.

Kari holds utvidet tilgang lønn and sees her colleagues' payroll cases; she can
follow them and find them with the list's "Followed by me" (``fulgt=on``). Per
reported his own cases: he is told about them anyway, and the page says so
instead of hiding the button without a word. Ola (plain member) and Nina
(another organisation) neither see nor follow Per's case.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases import listing
from cases.models import Case, Follower
from portal.models import RoleType
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for, grant


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def kari(cast: Cast) -> Client:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    return client_for(cast.kari)


@pytest.fixture
def cases(cast: Cast) -> list[Case]:
    return [make_case(cast.fjordetaten, cast.per, title=f"Lønn {i}") for i in range(5)]


def _numbers(response) -> list[str]:
    return sorted(case["number"] for case in response.context["page"].rows)


def test_the_reporter_is_told_on_the_page_that_they_get_news_anyway(
    cast: Cast, cases: list[Case]
) -> None:
    client = client_for(cast.per)
    html = client.get(f"/saker/{cases[0].number}/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Du meldte inn denne saken, og får derfor e-post når det er nytt i den." in html
    assert f"/saker/{cases[0].number}/folg/" not in html
    # Posting anyway explains it and stores nothing.
    answer = client.post(f"/saker/{cases[0].number}/folg/", HTTP_ACCEPT_LANGUAGE="nb", follow=True)
    assert "Du meldte inn denne saken" in answer.content.decode()
    assert not Follower.objects.exists()


def test_a_colleague_with_extended_access_follows_and_finds_the_case_again(
    cast: Cast, kari: Client, cases: list[Case]
) -> None:
    page = kari.get(f"/saker/{cases[1].number}/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert f'action="/saker/{cases[1].number}/folg/"' in page
    for case in (cases[1], cases[3]):
        kari.post(f"/saker/{case.number}/folg/")
    followed = kari.get("/saker/?fulgt=on")
    assert _numbers(followed) == sorted([cases[1].number, cases[3].number])
    # The case page links to them, and the unfollow takes the case off the list.
    page = kari.get(f"/saker/{cases[1].number}/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert 'href="/saker/?fulgt=on"' in page
    kari.post(f"/saker/{cases[1].number}/folg/")
    assert _numbers(kari.get("/saker/?fulgt=on")) == [cases[3].number]


def test_followed_by_me_is_a_checkbox_of_the_filter_form_kept_in_the_address(
    cast: Cast, kari: Client, cases: list[Case]
) -> None:
    kari.post(f"/saker/{cases[2].number}/folg/")
    html = kari.get("/saker/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    form = re.search(r'<form id="case-filter".*?</form>', html, re.S)
    assert form is not None
    checkbox = re.search(r'<input[^>]*name="fulgt"[^>]*>', form.group(0))
    assert checkbox is not None
    assert 'type="checkbox"' in checkbox.group(0)
    assert "checked" not in checkbox.group(0)
    assert '<label class="ds-label" data-weight="regular" for="id_fulgt">Fulgt av meg' in html
    on = kari.get("/saker/?fulgt=on", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    checked = re.search(r'<input[^>]*name="fulgt"[^>]*>', on)
    assert checked is not None
    assert "checked" in checked.group(0)
    # Sorting and paging keep it; "clear all filters" drops it.
    context = kari.get("/saker/?fulgt=on").context
    links = context["links"]
    assert all("fulgt=on" in header.sort_link for header in context["headers"])
    assert "fulgt" not in links["reset"]


def test_followed_by_me_keeps_the_other_filters(
    cast: Cast, kari: Client, cases: list[Case]
) -> None:
    for case in cases[:3]:
        kari.post(f"/saker/{case.number}/folg/")
    # Closed: one followed case and one that is not; the title matches all five.
    Case.objects.filter(pk__in=[cases[0].pk, cases[4].pk]).update(status=Case.Status.CLOSED)
    both = kari.get("/saker/?fulgt=on&status=avsluttet")
    assert _numbers(both) == [cases[0].number]
    titled = kari.get("/saker/?fulgt=on&tittel=Lønn")
    assert _numbers(titled) == sorted(case.number for case in cases[:3])


def test_the_export_follows_the_same_filter(cast: Cast, kari: Client, cases: list[Case]) -> None:
    import io

    from openpyxl import load_workbook

    from tests.cases_helpers import bytes_of

    kari.post(f"/saker/{cases[4].number}/folg/")
    response = kari.get("/saker/eksport.xlsx?fulgt=on")
    content = bytes_of(response) if response.streaming else response.content
    rows = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [cases[4].number]


def test_a_follower_who_lost_extended_access_finds_nothing(cast: Cast, cases: list[Case]) -> None:
    # Followed while she had access; the filter never widens what rule 1 shows.
    Follower.objects.create(case=cases[0], user=cast.ola)
    ola = client_for(cast.ola)
    assert _numbers(ola.get("/saker/?fulgt=on")) == []
    assert ola.get(f"/saker/{cases[0].number}/").status_code == 404


def test_the_plain_member_is_not_offered_a_filter_that_cannot_match(
    cast: Cast, cases: list[Case]
) -> None:
    html = client_for(cast.per).get("/saker/").content.decode()
    assert 'name="fulgt"' not in html
    # A bookmarked address still says what it filters, so it can be unticked.
    html = client_for(cast.per).get("/saker/?fulgt=on").content.decode()
    assert 'name="fulgt"' in html


def test_outsider_and_plain_colleague_neither_follow_nor_see_followed_cases(
    cast: Cast, kari: Client, cases: list[Case]
) -> None:
    kari.post(f"/saker/{cases[0].number}/folg/")
    for person in (cast.nina, cast.ola):
        client = client_for(person)
        assert client.post(f"/saker/{cases[0].number}/folg/").status_code == 404
        assert client.get(f"/saker/{cases[0].number}/").status_code == 404
        assert _numbers(client.get("/saker/?fulgt=on")) == []
    assert list(Follower.objects.values_list("user__username", flat=True)) == ["kari"]


def test_followed_by_me_costs_no_more_queries_than_any_filter(
    cast: Cast, kari: Client, cases: list[Case]
) -> None:
    def queries(query: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert kari.get(f"/saker/?{query}").status_code == 200
        return len(captured)

    kari.post(f"/saker/{cases[0].number}/folg/")
    assert queries("fulgt=on") <= queries("status=aktiv")


def test_the_followed_filter_reads_the_persons_follows_from_their_index(
    cast: Cast, kari: Client, cases: list[Case]
) -> None:
    """The person's followed ids come from the (user, case) index (migration cases 0012)."""
    kari.post(f"/saker/{cases[0].number}/folg/")
    queryset, _filter = listing.filtered_cases(cast.kari, [cast.fjordetaten], QueryDict("fulgt=on"))
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        # The tables are tiny here; without this the planner would just read them.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "follower_user_case" in plan
