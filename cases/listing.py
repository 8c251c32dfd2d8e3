"""The case list ("innmeldte saker"): columns, sort, count and pages over millions of cases.

How a page is fetched (figures in docs/performance.md):

1. The visible set (rule 1) with the user's filters.
2. A count that stops at COUNT_LIMIT + 1 rows: exact up to the limit, "over"
   above it. This costs at most a walk over COUNT_LIMIT index entries. A page
   beyond the limit states what it proves (``CasePage.total``).
3. If the set is small (at most COUNT_LIMIT), the page is taken by sorting
   just that set: the order is wrapped so the planner cannot walk a whole
   organisation's index in order and throw rows away, which is what made
   selective filters slow.
4. If the set is large, the page is an index walk in the list's order: by
   keyset (``etter``/``foer`` cursors in the URL, equally fast at any depth)
   when the user pages forward or back, else by an offset over ids only, so
   a bookmarked deep page costs an index-only walk, not a heap walk.
5. The page's rows are then read by id, with the joins they need.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import F, Func, QuerySet
from django.db.models.expressions import Combinable
from django.http import QueryDict
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cases.filters import CaseFilter
from cases.models import Case
from cases.text import OsloYear, SortKey, StatusRank
from portal.models import Area, Organisation, User

COUNT_LIMIT = 10_000
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
DEFAULT_SORT = "-endret"
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    sort_sql: str  # the sort expression in SQL, exactly as its index has it
    kind: str = "text"  # text, datetime or choice: how it is shown and exported
    width: float = 18
    always: bool = False
    default: bool = True

    def sort_expression(self) -> Combinable:
        return SORT_EXPRESSIONS[self.key]


COLUMNS: dict[str, Column] = {
    c.key: c
    for c in [
        Column("nummer", gettext_lazy("Number"), '"cases_case"."id"', width=18, always=True),
        Column(
            "tittel",
            gettext_lazy("Title"),
            'ks_sortkey("cases_case"."title")',
            width=60,
            always=True,
        ),
        Column("kategori", gettext_lazy("Category"), '"cases_case"."category"', "choice", 12),
        Column(
            "fagomrade",
            gettext_lazy("Subject area"),
            '"cases_case"."subject_area_id"',
            "choice",
            26,
        ),
        Column(
            "status", gettext_lazy("Status"), 'ks_status_rank("cases_case"."status")', "choice", 18
        ),
        Column(
            "kanal", gettext_lazy("Channel"), '"cases_case"."channel"', "choice", 16, default=False
        ),
        Column(
            "innmeldt_av", gettext_lazy("Reported by"), '"cases_case"."reporter_name"', width=24
        ),
        Column(
            "saksbehandler",
            gettext_lazy("Assigned to"),
            '"cases_case"."assignee_name"',
            width=24,
            default=False,
        ),
        Column("opprettet", gettext_lazy("Created"), '"cases_case"."created_at"', "datetime", 18),
        Column("endret", gettext_lazy("Last changed"), '"cases_case"."updated_at"', "datetime", 18),
        Column(
            "virksomhet",
            gettext_lazy("Organisation"),
            '"cases_case"."organisation_id"',
            "choice",
            30,
        ),
    ]
}

SORT_EXPRESSIONS: dict[str, Combinable] = {
    "nummer": F("id"),
    "tittel": SortKey("title"),
    "kategori": F("category"),
    "fagomrade": F("subject_area_id"),
    "status": StatusRank("status"),
    "kanal": F("channel"),
    "innmeldt_av": F("reporter_name"),
    "saksbehandler": F("assignee_name"),
    "opprettet": F("created_at"),
    "endret": F("updated_at"),
    "virksomhet": F("organisation_id"),
}

KNOWN_PARAMS = {
    *CaseFilter.base_filters.keys(),
    "sort",
    "side",
    "per_side",
    "etter",
    "foer",
}


def default_columns() -> list[str]:
    return [c.key for c in COLUMNS.values() if c.default and c.key != "virksomhet"]


def clean_columns(names: Sequence[object], several_organisations: bool) -> list[str]:
    """An allowlisted, ordered list of column keys; number and title are always in it."""
    wanted = {n for n in names if isinstance(n, str)}
    return [
        key
        for key, column in COLUMNS.items()
        if (column.always or key in wanted) and (key != "virksomhet" or several_organisations)
    ]


class Unordered(Func):
    """Wraps a sort expression so no index matches it: the planner must filter first.

    COALESCE(x, x) is x for every row, but it is not the indexed expression.
    """

    function = "COALESCE"

    def __init__(self, expression: Combinable) -> None:
        super().__init__(expression, expression)


@dataclass
class CasePage:
    rows: list[Case]
    columns: list[Column]
    sort_key: str
    descending: bool
    page: int
    page_size: int
    count: int  # exact when not count_is_lower_bound
    count_is_lower_bound: bool
    has_next: bool
    next_cursor: str | None
    previous_cursor: str | None
    notices: list[str] = field(default_factory=list)
    filter: CaseFilter | None = None
    strategy: str = ""

    @property
    def is_filtered(self) -> bool:
        """Whether a filter narrows the list (so an empty list is the filters' doing)."""
        if self.filter is None:
            return False
        form = self.filter.form
        return bool(form.errors) or any(
            value not in (None, "", [], (), False)
            for value in getattr(form, "cleaned_data", {}).values()
        )

    @property
    def has_no_cases_at_all(self) -> bool:
        """An empty first page with no filter: there is nothing to list (yet)."""
        return not self.rows and self.page == 1 and not self.is_filtered

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1 if self.rows else 0

    @property
    def total(self) -> int:
        """The number of cases the list states: exact, or one it is known to exceed.

        Past COUNT_LIMIT the count only says "over COUNT_LIMIT"; a page further on
        proves more: there are at least as many cases as its last row's place,
        and when it is the last page, exactly that many.
        """
        if not self.count_is_lower_bound:
            return self.count
        return max(self.count, self.last_index)

    @property
    def total_is_lower_bound(self) -> bool:
        return self.count_is_lower_bound and (self.has_next or self.last_index <= self.count)

    @property
    def page_count(self) -> int | None:
        if self.total_is_lower_bound:
            return None
        return max(1, -(-self.total // self.page_size))

    def summary(self) -> str:
        """What the list says about its count, in the active language."""
        if not self.rows:
            if self.page > 1 and self.count:
                return _("Page %(page)s is past the end of the list.") % {
                    "page": number_format(self.page, force_grouping=True)
                }
            if self.has_no_cases_at_all:
                return _("There are no cases yet.")
            return _("No cases match the filters.")
        total = self.total
        shown = {
            "first": number_format(self.first_index, force_grouping=True),
            "last": number_format(self.last_index, force_grouping=True),
            "total": number_format(total, force_grouping=True),
        }
        if self.total_is_lower_bound:
            text = ngettext(
                "Showing %(first)s–%(last)s of over %(total)s case",
                "Showing %(first)s–%(last)s of over %(total)s cases",
                total,
            )
        elif self.first_index == 1 and self.last_index == total:
            text = ngettext("%(total)s case", "%(total)s cases", total)
        else:
            text = ngettext(
                "Showing %(first)s–%(last)s of %(total)s case",
                "Showing %(first)s–%(last)s of %(total)s cases",
                total,
            )
        return text % shown


@dataclass
class ListRequest:
    """What the URL asks for, each value checked; what could not be read becomes a notice."""

    sort_key: str
    descending: bool
    page: int
    page_size: int
    after: tuple[Any, int] | None
    before: tuple[Any, int] | None
    notices: list[str]


def read_request(params: QueryDict) -> ListRequest:
    notices: list[str] = []
    unknown = sorted(set(params.keys()) - KNOWN_PARAMS)
    if unknown:
        notices.append(
            _("These parts of the address were not understood and are ignored: %(names)s.")
            % {"names": ", ".join(unknown)}
        )
    sort = params.get("sort", DEFAULT_SORT)
    descending = sort.startswith("-")
    sort_key = sort.lstrip("-")
    if sort_key not in COLUMNS:
        notices.append(
            _("The list cannot be sorted by “%(key)s”; it is sorted by last changed.")
            % {"key": sort_key}
        )
        sort_key, descending = DEFAULT_SORT.lstrip("-"), True
    page_size = DEFAULT_PAGE_SIZE
    if "per_side" in params:
        try:
            page_size = int(params.get("per_side", ""))
            if page_size not in PAGE_SIZES:
                raise ValueError
        except ValueError:
            notices.append(_("Cases per page can be 25, 50 or 100; showing 50."))
            page_size = DEFAULT_PAGE_SIZE
    page = 1
    if "side" in params:
        try:
            page = int(params.get("side", ""))
            if not 1 <= page <= MAX_PAGE:
                raise ValueError
        except ValueError:
            notices.append(_("The page number could not be read; showing the first page."))
            page = 1
    after = _read_cursor(params.get("etter"), sort_key, notices)
    before = _read_cursor(params.get("foer"), sort_key, notices) if after is None else None
    return ListRequest(sort_key, descending, page, page_size, after, before, notices)


def encode_cursor(value: Any, pk: int) -> str:
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    raw = json.dumps([value, pk], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# A cursor the list wrote is a few dozen characters; anything much longer is not
# ours, and is refused before it is decoded (a deep JSON nesting costs recursion).
MAX_CURSOR_CHARS = 600
BIGINT = 2**63


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a cursor value")


def _read_cursor(raw: str | None, sort_key: str, notices: list[str]) -> tuple[Any, int] | None:
    if not raw:
        return None
    try:
        if len(raw) > MAX_CURSOR_CHARS:
            raise ValueError("too long")
        decoded = json.loads(
            base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)),
            parse_constant=_no_constants,  # no Infinity or NaN
        )
        if not isinstance(decoded, list) or len(decoded) != 2:
            raise ValueError("not [value, id]")
        value, pk = decoded
        if not _is_bigint(pk):
            raise ValueError("id")
        kind = COLUMNS[sort_key].kind
        if kind == "datetime":
            value = dt.datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("naive")
        elif sort_key in {"nummer", "fagomrade", "status", "virksomhet"}:
            if not _is_bigint(value):
                raise ValueError("not an integer key")
        elif not isinstance(value, str):
            raise ValueError("not a text key")
    except (ValueError, TypeError, RecursionError, UnicodeDecodeError):
        notices.append(
            _("The page position in the address could not be read; the page is counted instead.")
        )
        return None
    return value, pk


def _is_bigint(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -BIGINT <= value < BIGINT


def visible_cases(user: User, organisations: list[Organisation]) -> QuerySet[Case]:
    """Rule 1 over the organisations in view (normally just the active one)."""
    querysets = [Case.objects.visible_to(user, org) for org in organisations]
    if not querysets:
        return Case.objects.none()
    combined = querysets[0]
    for queryset in querysets[1:]:
        combined = combined | queryset
    return combined


def filtered_cases(
    user: User, organisations: list[Organisation], params: QueryDict
) -> tuple[QuerySet[Case], CaseFilter]:
    visible = visible_cases(user, organisations)
    case_filter = CaseFilter(params, queryset=visible, organisations=organisations, user=user)
    # Errors are shown next to their inputs; the other filters still apply.
    if case_filter.is_valid():
        return case_filter.qs, case_filter
    valid_data = {k: v for k, v in params.lists() if k not in case_filter.form.errors}
    applied = CaseFilter(
        QueryDict(urlencode(valid_data, doseq=True)),
        queryset=visible,
        organisations=organisations,
        user=user,
    )
    return applied.qs, case_filter


# What each column reads from the database: for the page's cases (build_page,
# shown by cases.tables) and for the export's rows (cases.exporting).
COLUMN_FIELDS: dict[str, tuple[str, ...]] = {
    "nummer": ("number",),
    "tittel": ("title", "title_nn", "title_en"),
    "kategori": ("category",),
    "fagomrade": ("subject_area__name_nb", "subject_area__name_nn", "subject_area__name_en"),
    "status": ("status",),
    "kanal": ("channel",),
    "innmeldt_av": ("reporter_name",),
    "saksbehandler": ("assignee_name",),
    "opprettet": ("created_at",),
    "endret": ("updated_at",),
    "virksomhet": ("organisation__name",),
}
SHOWN_FIELDS = tuple(field for fields in COLUMN_FIELDS.values() for field in fields)


def choice_labels() -> dict[str, dict[str, str]]:
    """The name each code of a choice column is shown by, in the active language."""
    return {
        key: {code: str(label) for code, label in choices}
        for key, choices in (
            ("kategori", Area.choices),
            ("status", Case.Status.choices),
            ("kanal", Case.Channel.choices),
        )
    }


def build_page(user: User, organisations: list[Organisation], params: QueryDict) -> CasePage:
    request = read_request(params)
    queryset, case_filter = filtered_cases(user, organisations, params)
    column = COLUMNS[request.sort_key]
    expression = column.sort_expression()
    count = queryset.order_by().values("pk")[: COUNT_LIMIT + 1].count()
    is_lower_bound = count > COUNT_LIMIT
    count = min(count, COUNT_LIMIT)
    has_filters = any(k in case_filter.base_filters for k, v in params.items() if v)

    ids: list[int]
    keys: list[Any]
    if not is_lower_bound:
        strategy = "small set, sorted after filtering" if has_filters else "small set"
        sort_by = Unordered(expression) if has_filters else expression
        ids, keys = _page_by_offset(queryset, sort_by, request)
    elif (year := _one_created_year(case_filter, request.sort_key)) is not None:
        # Up to a year of "opprettet", newest change first: the year's cases in
        # last-changed order from their own index (migration cases 0009). The
        # year is compared as a range (y <= year <= y), not with "=", so the
        # order (year, last changed) is one only that index gives: with "=" the
        # planner would see the last-changed index as giving it too, and walk
        # that past every case changed since.
        strategy = "one year of opprettet, in last-changed order"
        in_year = queryset.alias(created_year=OsloYear("created_at")).filter(
            created_year__gte=year, created_year__lte=year
        )
        ids, keys = _page_by_offset(in_year, expression, request, first=OsloYear("created_at"))
    elif _narrow_date_range_across_the_sort(case_filter, request.sort_key):
        # A year of one date, listed in the order of another: walking the sort's
        # index would pass every case outside the range. Take the range from its
        # own index, then sort it (a year of the largest organisation is ~50 000).
        strategy = "date range first, then sorted"
        ids, keys = _page_by_offset(queryset, Unordered(expression), request)
    elif request.after or request.before:
        strategy = "keyset"
        ids, keys = _page_by_keyset(queryset, column, expression, request)
    else:
        strategy = "offset over ids"
        ids, keys = _page_by_offset(queryset, expression, request)

    has_next = len(ids) > request.page_size
    ids, keys = ids[: request.page_size], keys[: request.page_size]
    if request.before:
        has_next = True  # we came back from a later page
    rows_by_id = {
        case.pk: case
        for case in Case.objects.filter(pk__in=ids)
        .select_related("subject_area", "organisation")
        .only(*SHOWN_FIELDS)
    }
    rows = [rows_by_id[pk] for pk in ids if pk in rows_by_id]
    return CasePage(
        rows=rows,
        columns=[],
        sort_key=request.sort_key,
        descending=request.descending,
        page=request.page,
        page_size=request.page_size,
        count=count,
        count_is_lower_bound=is_lower_bound,
        has_next=has_next,
        next_cursor=encode_cursor(keys[-1], ids[-1]) if ids else None,
        previous_cursor=encode_cursor(keys[0], ids[0]) if ids else None,
        notices=request.notices,
        filter=case_filter,
        strategy=strategy,
    )


NARROW_RANGE_DAYS = 366


def _narrow_date_range_across_the_sort(case_filter: CaseFilter, sort_key: str) -> bool:
    for prefix in ("opprettet", "endret"):
        start, end = case_filter.date_bounds(prefix)
        if start and end and 0 <= (end - start).days <= NARROW_RANGE_DAYS and sort_key != prefix:
            return True
    return False


def _one_created_year(case_filter: CaseFilter, sort_key: str) -> int | None:
    """The Oslo year that holds the whole "opprettet" range, for a last-changed order."""
    if sort_key != "endret":
        return None
    start, end = case_filter.date_bounds("opprettet")
    if start and end and start <= end and start.year == end.year:
        return int(start.year)
    return None


def list_ordering(
    expression: Combinable, descending: bool, first: Combinable | None = None
) -> list[Any]:
    by: Any = expression
    order = [by.desc(), F("id").desc()] if descending else [by.asc(), F("id").asc()]
    return order if first is None else [first.asc(), *order]  # type: ignore[attr-defined]


def _page_by_offset(
    queryset: QuerySet[Case],
    expression: Combinable,
    request: ListRequest,
    first: Combinable | None = None,
) -> tuple[list[int], list[Any]]:
    offset = (request.page - 1) * request.page_size
    rows = list(
        queryset.annotate(sort_value=expression)
        .order_by(*list_ordering(expression, request.descending, first))
        .values_list("id", "sort_value")[offset : offset + request.page_size + 1]
    )
    return [r[0] for r in rows], [r[1] for r in rows]


def _page_by_keyset(
    queryset: QuerySet[Case], column: Column, expression: Combinable, request: ListRequest
) -> tuple[list[int], list[Any]]:
    cursor = request.after or request.before
    assert cursor is not None
    forward = request.after is not None
    # Going forward in a descending list means smaller keys; going back, larger.
    smaller = request.descending == forward
    operator = "<" if smaller else ">"
    descending = request.descending if forward else not request.descending
    page = queryset.extra(  # noqa: S610 - the SQL is ours (COLUMNS); values are parameters
        where=[f'({column.sort_sql}, "cases_case"."id") {operator} (%s, %s)'],
        params=[cursor[0], cursor[1]],
    )
    rows = list(
        page.annotate(sort_value=expression)
        .order_by(*list_ordering(expression, descending))
        .values_list("id", "sort_value")[: request.page_size + 1]
    )
    if not forward:
        extra = rows[request.page_size :]
        rows = list(reversed(rows[: request.page_size])) + extra
    return [r[0] for r in rows], [r[1] for r in rows]
