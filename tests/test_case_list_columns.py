"""A column of the case list is declared once (cases.tables.CaseTable).

The test adds a column in one place, a subclass of the table with one more
declaration, and finds it everywhere a column shows: the header and its sort
link, the cells, the filter row, the sort with its keyset paging, the column
chooser and the Excel export. The outsider and the plain member see it on
what they may see only.
"""

from __future__ import annotations

import io
from pathlib import Path

import django_filters
import pytest
from django.db.models import F
from openpyxl import load_workbook

from cases import listing, tables
from cases.models import Case
from cases.tables import CaseTable, Indexed, ListColumn
from portal.models import RoleType
from tests.cases_helpers import bytes_of, make_case
from tests.conftest import Cast, client_for, grant


class WithDescription(CaseTable):
    beskrivelse = ListColumn(
        "Beskrivelse",
        reads=["description"],
        sort=Indexed(F("description"), str),
        filter=django_filters.CharFilter(field_name="description", lookup_expr="icontains"),
        width=40,
        shown=False,
    )


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def with_description(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "CaseTable", WithDescription)


def _case(cast: Cast, title: str, description: str, reporter=None) -> Case:
    case = make_case(cast.fjordetaten, reporter or cast.per, "lonn", title=title)
    Case.objects.filter(pk=case.pk).update(description=description)
    return case


def _numbers(response) -> list[str]:
    return [row["number"] for row in response.context["page"].rows]


def test_a_column_declared_once_shows_everywhere(
    cast: Cast, with_description: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    for i, letter in enumerate("dbeac" * 6):  # 30 cases, five descriptions
        _case(cast, f"Sak {i}", f"Tekst {letter}")
    kari = client_for(cast.kari)

    # The chooser offers it (not shown until chosen), and remembers the choice.
    html = kari.get("/saker/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert 'id="col-beskrivelse" name="kolonner" value="beskrivelse"' in html
    assert "Tekst a" not in html
    kari.post("/saker/kolonner/", {"kolonner": ["beskrivelse"]})

    # Header with its sort link, filter input under it, and the cells.
    response = kari.get("/saker/?per_side=100", HTTP_ACCEPT_LANGUAGE="nb")
    html = response.content.decode()
    assert [c.name for c in response.context["table"].columns] == [
        "nummer",
        "tittel",
        "beskrivelse",
    ]
    assert 'sort=beskrivelse">Beskrivelse</a>' in html
    assert 'name="beskrivelse" value="" form="case-filter"' in html
    assert "<td>Tekst a</td>" in html

    # The filter.
    filtered = kari.get("/saker/?beskrivelse=tekst+a")
    assert len(_numbers(filtered)) == 6
    assert {row["description"] for row in filtered.context["page"].rows} == {"Tekst a"}

    # The sort, the same by sorting the set and by walking it with cursors.
    whole = _numbers(kari.get("/saker/?sort=beskrivelse&per_side=100"))
    in_order = Case.objects.order_by("description", "id").values_list("number", flat=True)
    assert whole == list(in_order)
    monkeypatch.setattr(listing, "COUNT_LIMIT", 5)
    first = kari.get("/saker/?sort=beskrivelse&per_side=25")
    second = kari.get("/saker/" + first.context["links"]["next"])
    assert second.context["page"].strategy == "keyset"
    assert _numbers(first) + _numbers(second) == whole

    # The export: its header and values, in the list's order.
    exported = kari.get("/saker/eksport.xlsx?sort=beskrivelse", HTTP_ACCEPT_LANGUAGE="nb")
    sheet = load_workbook(io.BytesIO(bytes_of(exported))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Nummer", "Tittel", "Beskrivelse")
    assert [row[0] for row in rows[1:]] == whole
    assert rows[1][2] == "Tekst a"


def test_the_added_column_shows_only_what_rule_1_lets_a_person_see(
    cast: Cast, with_description: None
) -> None:
    _case(cast, "Pers sak", "Pers tekst")
    _case(cast, "Olas sak", "Olas tekst", reporter=cast.ola)
    for person, expected in ((cast.per, ["Pers tekst"]), (cast.nina, [])):
        client = client_for(person)
        client.post("/saker/kolonner/", {"kolonner": ["beskrivelse"]})
        response = client.get("/saker/?sort=beskrivelse&beskrivelse=tekst")
        assert response.status_code == 200
        assert [row["description"] for row in response.context["page"].rows] == expected
        assert "Olas tekst" not in response.content.decode()


def test_django_tables2_renders_the_same_cells_as_the_list(cast: Cast) -> None:
    """``body_html`` is a faster way to the cells django-tables2 gives (``render``)."""
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    _case(cast, "Første <sak> & co", "Tekst")
    _case(cast, "Olas sak", "Tekst", reporter=cast.ola)
    kari = client_for(cast.kari)
    kari.post("/saker/kolonner/", {"kolonner": list(listing.columns())})
    response = kari.get("/saker/", HTTP_ACCEPT_LANGUAGE="nb")
    table = response.context["table"]
    by_django_tables2 = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    assert str(response.context["body"]) == by_django_tables2
    assert "Første &lt;sak&gt; &amp; co" in by_django_tables2
