"""The case list ("innmeldte saker"): filter, sort, count and pages over millions of cases.

The columns, with their filters and sorts, are declared in ``cases.tables``;
this module reads the address and fetches the page. How a page is fetched
(figures in docs/performance.md):

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
   a bookmarked deep page costs an index-only walk, not a heap walk. A
   column sorted by a ranking no index has (subject areas by name) walks its
   field's index value by value instead (``_page_by_ranks``).
5. The page's rows are then read by id, with the joins they need.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Field, Func, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.lookups import GreaterThan, LessThan
from django.http import QueryDict
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases import tables
from cases.filters import CaseFilter
from cases.models import Case
from cases.tables import CaseTable, ListColumn, Ranked, Row, filterset_for, list_columns
from cases.text import OsloYear
from portal.models import Organisation, User

COUNT_LIMIT = 10_000
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
DEFAULT_SORT = "-endret"
MAX_PAGE = 1_000_000
LIST_PARAMS = {"sort", "side", "per_side", "etter", "foer"}


def case_table() -> type[CaseTable]:
    """The list's column declaration (a test may put an extended one in its place)."""
    return tables.CaseTable


def columns() -> dict[str, ListColumn]:
    return list_columns(case_table())


def case_filter_class() -> type[CaseFilter]:
    return filterset_for(case_table())


def default_columns() -> list[str]:
    return [name for name, column in columns().items() if column.shown_by_default]


def clean_columns(names: Sequence[object]) -> list[str]:
    """An allowlisted, ordered list of column names; the always-shown ones are in it."""
    wanted = {n for n in names if isinstance(n, str)}
    return [name for name, column in columns().items() if column.always or name in wanted]


class Unordered(Func):
    """Wraps a sort expression so no index matches it: the planner must filter first.

    COALESCE(x, x) is x for every row, but it is not the indexed expression.
    """

    function = "COALESCE"

    def __init__(self, expression: Combinable) -> None:
        super().__init__(expression, expression)


@dataclass
class CasePage:
    rows: list[Row]
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
    known = {*case_filter_class().base_filters, *LIST_PARAMS}
    unknown = sorted(set(params.keys()) - known)
    if unknown:
        notices.append(
            _("These parts of the address were not understood and are ignored: %(names)s.")
            % {"names": ", ".join(unknown)}
        )
    sort = params.get("sort", DEFAULT_SORT)
    descending = sort.startswith("-")
    sort_key = sort.lstrip("-")
    if sort_key not in columns():
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
    after = read_cursor(params.get("etter"), sort_key, notices)
    before = read_cursor(params.get("foer"), sort_key, notices) if after is None else None
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


def read_cursor(raw: str | None, sort_key: str, notices: list[str]) -> tuple[Any, int] | None:
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
        kind = columns()[sort_key].sort.cursor
        if kind is dt.datetime:
            value = dt.datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("naive")
        elif kind is int:
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
    """Rule 1's cases with the user's filters; a filter in error is left out (and shown)."""
    case_filter = case_filter_class()(
        params, queryset=visible_cases(user, organisations), organisations=organisations, user=user
    )
    return case_filter.qs, case_filter


def build_page(
    user: User, organisations: list[Organisation], params: QueryDict, shown: Sequence[str]
) -> CasePage:
    """The page the address asks for, with what the ``shown`` columns read."""
    request = read_request(params)
    queryset, case_filter = filtered_cases(user, organisations, params)
    column = columns()[request.sort_key]
    sort = column.sort
    count = queryset.order_by().values("pk")[: COUNT_LIMIT + 1].count()
    is_lower_bound = count > COUNT_LIMIT
    count = min(count, COUNT_LIMIT)
    has_filters = any(k in case_filter.filters for k, v in params.items() if v)

    ids: list[int]
    keys: list[Any]
    if not is_lower_bound:
        strategy = "small set, sorted after filtering" if has_filters else "small set"
        expression = sort.order_by()
        sort_by = Unordered(expression) if has_filters and sort.walkable else expression
        ids, keys = _page_by_offset(queryset, sort_by, request)
    elif isinstance(sort, Ranked):
        strategy = "value by value, in the ranking's order"
        ids, keys = _page_by_ranks(queryset, sort, request)
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
        ids, keys = _page_by_offset(in_year, sort.order_by(), request, first=OsloYear("created_at"))
    elif sort.follows_time and _narrow_date_range_across_the_sort(case_filter, request.sort_key):
        # A year of one date, listed in the order of another: walking the sort's
        # index would pass every case outside the range, as both follow time
        # (Indexed.follows_time). Take the range from its own index, then sort
        # it (a year of the largest organisation is ~50 000). In an order that
        # does not follow time (title, status) the range's cases are spread
        # along the sort's index: more than COUNT_LIMIT of them fill a page
        # within a few thousand entries (10 ms), where sorting a year by title
        # took 0.8 s.
        strategy = "date range first, then sorted"
        ids, keys = _page_by_offset(queryset, Unordered(sort.order_by()), request)
    elif request.after or request.before:
        strategy = "keyset"
        ids, keys = _page_by_keyset(queryset, sort.order_by(), request)
    else:
        strategy = "offset over ids"
        ids, keys = _page_by_offset(queryset, sort.order_by(), request)

    has_next = len(ids) > request.page_size
    ids, keys = ids[: request.page_size], keys[: request.page_size]
    if request.before:
        has_next = True  # we came back from a later page
    return CasePage(
        rows=read_rows(ids, [columns()[name] for name in shown]),
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


def read_rows(ids: list[int], shown: Sequence[ListColumn]) -> list[Row]:
    """The page's cases, in the order of ``ids``, as what the columns read."""
    fields = {"id", *(field for column in shown for field in column.reads)}
    by_id = {row["id"]: row for row in Case.objects.filter(pk__in=ids).values(*fields)}
    return [by_id[pk] for pk in ids if pk in by_id]


NARROW_RANGE_DAYS = 366


def _narrow_date_range_across_the_sort(case_filter: CaseFilter, sort_key: str) -> bool:
    for name in ("opprettet", "endret"):
        start, end = case_filter.date_bounds(name)
        if start and end and 0 <= (end - start).days <= NARROW_RANGE_DAYS and sort_key != name:
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


class RowValue(Func):
    """``ROW(a, b)``: compared with another row, PostgreSQL reads it as an index
    bound on (a, b), so a keyset page starts right at its cursor."""

    function = "ROW"
    output_field = Field()


def _page_by_keyset(
    queryset: QuerySet[Case], expression: Combinable, request: ListRequest
) -> tuple[list[int], list[Any]]:
    cursor = request.after or request.before
    assert cursor is not None
    forward = request.after is not None
    # Going forward in a descending list means smaller keys; going back, larger.
    smaller = request.descending == forward
    descending = request.descending if forward else not request.descending
    compare = LessThan if smaller else GreaterThan
    past_cursor = compare(
        RowValue(expression, F("id")), RowValue(Value(cursor[0]), Value(cursor[1]))
    )
    rows = list(
        queryset.filter(past_cursor)
        .annotate(sort_value=expression)
        .order_by(*list_ordering(expression, descending))
        .values_list("id", "sort_value")[: request.page_size + 1]
    )
    if not forward:
        extra = rows[request.page_size :]
        rows = list(reversed(rows[: request.page_size])) + extra
    return [r[0] for r in rows], [r[1] for r in rows]


def _page_by_ranks(
    queryset: QuerySet[Case], sort: Ranked, request: ListRequest
) -> tuple[list[int], list[Any]]:
    """A page of a large set in a ranking no index has (subject areas by name).

    The ranked values are taken one after another, each value's cases from
    the index on (organisation, value, id), until the page is full: usually
    one or two queries. An offset skips whole values by counting them; a
    cursor (rank, id) starts at its value, past its id.
    """
    cursor = request.after or request.before
    forward = request.before is None
    descending = request.descending if forward else not request.descending
    ranked = list(enumerate(sort.ranking()))
    if descending:
        ranked.reverse()
    skip = 0 if cursor else (request.page - 1) * request.page_size
    wanted = request.page_size + 1
    rows: list[tuple[int, int]] = []
    for rank, value in ranked:
        if cursor is not None and (rank > cursor[0] if descending else rank < cursor[0]):
            continue  # before the cursor's value
        cases = queryset.filter(**{sort.field: value})
        if cursor is not None and rank == cursor[0]:
            cases = cases.filter(**{"id__lt" if descending else "id__gt": cursor[1]})
        if skip:
            in_value = cases.order_by().count()
            if in_value <= skip:
                skip -= in_value
                continue
        ids = cases.order_by("-id" if descending else "id").values_list("id", flat=True)
        rows += [(pk, rank) for pk in ids[skip : skip + wanted - len(rows)]]
        skip = 0
        if len(rows) >= wanted:
            break
    if not forward:
        extra = rows[request.page_size :]
        rows = list(reversed(rows[: request.page_size])) + extra
    return [r[0] for r in rows], [r[1] for r in rows]
