"""The case list's columns, each declared once (django-tables2).

A column of ``CaseTable`` says everything the list, its filters and its
export need to know about it:

- its header (``verbose_name``), and whether it is always shown or shown
  until the user chooses otherwise (the column chooser);
- what it reads from the database (``reads``), its value (``reader``: the
  export's cell) and its cell on the page (``renderer``: that value, escaped,
  or HTML of the column's own);
- how it sorts (``sort``: an expression an index has, walked in the index's
  order, or a ranking of a few values made for the reader, see ``Ranked``),
  which also types its keyset cursor;
- its filter (``filter``: a django-filter ``Filter``, or ``DateRange``'s two),
  which ``filterset_for`` collects into the list's ``FilterSet``;
- its width and kind in the Excel file.

To add a column, declare it on ``CaseTable``; nothing else names it.

The page's cells are made by ``body_html`` with each column's renderer, made
once a request. django-tables2's own way gives the same cells (``render``,
tested) but works each one out anew: for a page of 100 cases and 8 columns
it measured 29 ms through ``table.rows`` and 86 ms through
``{% render_table %}``, against 8 ms this way (docs/decisions.md, "The case
list's columns"). The table declares; the list places.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.db.models import F, IntegerField, Value, When
from django.db.models.expressions import Case as SqlCase
from django.db.models.expressions import Combinable
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cases.filters import (
    CaseFilter,
    ChoicesFilter,
    DateRange,
    NumberFilter,
    PersonNameFilter,
    SubjectAreaFilter,
    TitleFilter,
)
from cases.models import Case, SubjectArea
from cases.text import SortKey, StatusRank, sort_key
from portal.models import Area, language_suffix

Row = dict[str, Any]
EMPTY = "–"

STATUS_COLOURS = {
    "aktiv": "success",
    "under_arbeid": "info",
    "venter_pa_kunde": "warning",
    "utsatt": "neutral",
    "avsluttet": "neutral",
}


# --- How a column sorts -------------------------------------------------------


@dataclass(frozen=True)
class Indexed:
    """Sorted by ``expression``, which an index of cases_case holds after the
    organisation (cases/models.py), so a page is a walk of that index.
    ``cursor`` is the type of the expression's value in a keyset cursor.
    ``follows_time``: a date range lies in one stretch of the index, not
    spread evenly over it: ids and dates, and people's names, whose cases lie
    within the years they worked (cases.listing sorts such a range itself)."""

    expression: Combinable
    cursor: type
    follows_time: bool = False

    walkable: ClassVar[bool] = True

    def order_by(self) -> Combinable:
        return self.expression


@dataclass(frozen=True)
class Ranked:
    """Sorted by where the row's ``field`` falls in ``ranking()``: the few
    values of the field (subject areas, say) in the order the reader expects,
    made per request (their names in the reader's language). No index has that
    order; a large set is paged by walking ``field``'s index one value after
    another (cases.listing). The cursor holds the rank."""

    field: str
    ranking: Callable[[], list[Any]]

    walkable: ClassVar[bool] = False
    cursor: ClassVar[type] = int
    follows_time: ClassVar[bool] = False

    def order_by(self) -> Combinable:
        ranks = self.ranking()
        return SqlCase(
            *[When(**{self.field: value}, then=Value(rank)) for rank, value in enumerate(ranks)],
            default=Value(len(ranks)),
            output_field=IntegerField(),
        )


def subject_areas_by_name() -> list[int]:
    """Subject area ids in the order of their names in the active language (æ, ø, å last)."""
    areas = SubjectArea.objects.only("name_nb", "name_nn", "name_en")
    return [area.pk for area in sorted(areas, key=lambda area: (sort_key(area.name), area.pk))]


# --- Columns ----------------------------------------------------------------------


class ListColumn(tables.Column):
    """A column of the case list: header, cell, filter, sort and export in one place."""

    export_kind = "text"  # how portal.xlsx writes the value: text or datetime

    def __init__(
        self,
        verbose_name: Any,
        *,
        reads: Sequence[str],
        sort: Indexed | Ranked,
        filter: django_filters.Filter | DateRange | None = None,
        width: float = 18,
        always: bool = False,
        shown: bool = True,
        **kwargs: Any,
    ) -> None:
        # empty_values=(): django-tables2 calls ``render`` for every cell (see there).
        super().__init__(
            verbose_name=verbose_name,
            orderable=False,
            default=EMPTY,
            empty_values=(),
            accessor=reads[0],
            **kwargs,
        )
        self.reads = tuple(reads)
        self.sort = sort
        self.filter = filter
        self.width = width
        self.always = always
        self.shown_by_default = shown

    def reader(self) -> Callable[[Row], Any]:
        """The column's value of a row (what the export writes), made once a request."""
        return itemgetter(self.reads[0])

    def renderer(self) -> Callable[[Row], str]:
        """The column's cell of a row on the page, made once a request."""
        read = self.reader()
        return lambda row: conditional_escape(read(row) or EMPTY)

    def render(self, record: Row) -> str:
        """The cell the way django-tables2 asks for it (``table.rows``,
        ``{% render_table %}``): the same as ``renderer``, made anew for each cell.
        The list itself uses ``body_html``, which makes each renderer once."""
        return self.renderer()(record)

    def filters(self, name: str) -> dict[str, django_filters.Filter]:
        """The filters this column adds to the list's FilterSet, by parameter name."""
        if self.filter is None:
            return {}
        if isinstance(self.filter, DateRange):
            return self.filter.filters(name)
        if self.filter.label is None:
            self.filter.label = self.verbose_name
        return {name: self.filter}


class ChoiceColumn(ListColumn):
    """A code shown by its label in the reader's language."""

    def __init__(self, verbose_name: Any, *, choices: Any, **kwargs: Any) -> None:
        super().__init__(verbose_name, **kwargs)
        self.choices = choices

    def reader(self) -> Callable[[Row], Any]:
        labels = {code: str(label) for code, label in self.choices}
        field = self.reads[0]
        return lambda row: labels.get(row[field], row[field])


class StatusColumn(ChoiceColumn):
    def renderer(self) -> Callable[[Row], str]:
        read, field = self.reader(), self.reads[0]
        return lambda row: format_html(
            '<span class="ds-tag" data-size="sm" data-color="{}">{}</span>',
            STATUS_COLOURS.get(row[field], "neutral"),
            read(row),
        )


class MomentColumn(ListColumn):
    """A moment, shown in Oslo time in the active language's short format."""

    export_kind = "datetime"

    def renderer(self) -> Callable[[Row], str]:
        field = self.reads[0]
        return lambda row: date_format(localtime(row[field]), "SHORT_DATETIME_FORMAT")


class InLanguageColumn(ListColumn):
    """Text written in each language (``<field>_nb/_nn/_en`` or ``title``/``title_nn``/...):
    the reader's language, else the bokmål text every row has (portal.models.Localised)."""

    def reader(self) -> Callable[[Row], Any]:
        bokmal, nynorsk, english = self.reads[:3]
        own = {"nn": nynorsk, "en": english}.get(language_suffix(get_language() or "nb"), bokmal)
        return lambda row: row[own] or row[bokmal]


class TitleColumn(InLanguageColumn):
    """The title, linked to the case: the one link of a row, so Tab goes case by case."""

    def renderer(self) -> Callable[[Row], str]:
        read = self.reader()
        return lambda row: format_html(
            '<a class="ds-link" href="{}">{}</a>',
            reverse("cases:detail", args=[row["number"]]),
            read(row),
        )


class CaseTable(tables.Table):
    """The columns of "Innmeldte saker", in the order they are shown."""

    nummer = ListColumn(
        _("Number"),
        reads=["number"],
        sort=Indexed(F("id"), int, follows_time=True),
        filter=NumberFilter(),
        always=True,
    )
    tittel = TitleColumn(
        _("Title"),
        reads=["title", "title_nn", "title_en", "number"],
        sort=Indexed(SortKey("title"), str),
        filter=TitleFilter(),
        width=60,
        always=True,
    )
    kategori = ChoiceColumn(
        _("Category"),
        choices=Area.choices,
        reads=["category"],
        sort=Indexed(F("category"), str),
        filter=ChoicesFilter(field_name="category", choices=Area.choices),
        width=12,
    )
    fagomrade = InLanguageColumn(
        _("Subject area"),
        reads=["subject_area__name_nb", "subject_area__name_nn", "subject_area__name_en"],
        sort=Ranked("subject_area_id", subject_areas_by_name),
        filter=SubjectAreaFilter(field_name="subject_area"),
        width=26,
    )
    status = StatusColumn(
        _("Status"),
        choices=Case.Status.choices,
        reads=["status"],
        sort=Indexed(StatusRank("status"), int),
        filter=ChoicesFilter(field_name="status", choices=Case.Status.choices),
    )
    kanal = ChoiceColumn(
        _("Channel"),
        choices=Case.Channel.choices,
        reads=["channel"],
        sort=Indexed(F("channel"), str),
        filter=ChoicesFilter(field_name="channel", choices=Case.Channel.choices),
        width=16,
        shown=False,
    )
    innmeldt_av = ListColumn(
        _("Reported by"),
        reads=["reporter_name"],
        sort=Indexed(F("reporter_name"), str, follows_time=True),
        filter=PersonNameFilter(field_name="reported_by", among="members"),
        width=24,
    )
    saksbehandler = ListColumn(
        _("Assigned to"),
        reads=["assignee_name"],
        sort=Indexed(F("assignee_name"), str, follows_time=True),
        filter=PersonNameFilter(field_name="assigned_to", among="staff"),
        width=24,
        shown=False,
    )
    opprettet = MomentColumn(
        _("Created"),
        reads=["created_at"],
        sort=Indexed(F("created_at"), dt.datetime, follows_time=True),
        filter=DateRange("created_at", _("Created from"), _("Created to")),
    )
    endret = MomentColumn(
        _("Last changed"),
        reads=["updated_at"],
        sort=Indexed(F("updated_at"), dt.datetime, follows_time=True),
        filter=DateRange("updated_at", _("Last changed from"), _("Last changed to")),
    )

    class Meta:
        orderable = False  # the database sorts (cases.listing); the header links are ours


def list_columns(table: type[CaseTable]) -> dict[str, ListColumn]:
    """The table's columns by name, in order."""
    return {
        name: column
        for name, column in table.base_columns.items()
        if isinstance(column, ListColumn)
    }


_FILTERSETS: dict[type[CaseTable], type[CaseFilter]] = {}


def filterset_for(table: type[CaseTable]) -> type[CaseFilter]:
    """The list's FilterSet: every column's filters, plus those of no column (CaseFilter)."""
    if table not in _FILTERSETS:
        declared: dict[str, Any] = {}
        for name, column in list_columns(table).items():
            declared |= column.filters(name)
        _FILTERSETS[table] = type(f"{table.__name__}Filter", (CaseFilter,), declared)
    return _FILTERSETS[table]


def body_html(table: CaseTable, rows: Sequence[Row]) -> SafeString:
    """The table's body: one row per case, the cells of the table's shown columns in order."""
    columns = [column.column for column in table.columns]
    renderers = [column.renderer() for column in columns if isinstance(column, ListColumn)]
    return SafeString(
        "".join(
            "<tr>" + "".join(f"<td>{render(row)}</td>" for render in renderers) + "</tr>"
            for row in rows
        )
    )
