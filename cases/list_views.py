"""Innmeldte saker: the case list, the column choice and the Excel export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import exporting
from cases.listing import (
    PAGE_SIZES,
    CasePage,
    build_page,
    case_table,
    clean_columns,
    columns,
    default_columns,
)
from cases.models import Case, ExportJob, ListPreference, extended_categories
from cases.tables import body_html
from portal.dates import today as oslo_today
from portal.db.routing import replica_reads
from portal.models import Organisation, User
from portal.organisations import active_organisation, member_required, user_of
from portal.xlsx import xlsx_download


def chosen_columns(user: User) -> list[str]:
    preference = ListPreference.objects.filter(user=user).first()
    return clean_columns(preference.columns if preference else default_columns())


def list_organisations(request: HttpRequest) -> list[Organisation]:
    """The list shows the active organisation's cases."""
    return [active_organisation(request)]


@member_required
@require_GET
# The page's cases from the replica (if there is one); the gate's answers (asked in
# the middleware and rule 1) and the chosen columns are other models: the primary's.
@replica_reads(Case)
def case_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    organisations = list_organisations(request)
    shown = chosen_columns(user)
    page = build_page(user, organisations, request.GET, shown)
    table = case_table()(page.rows, exclude=[name for name in columns() if name not in shown])
    filter_form = page.filter.form if page.filter else None
    # "Followed by me" is offered to whoever can follow: a person who sees
    # colleagues' cases (utvidet tilgang), or who has the filter on.
    offer_followed = bool(request.GET.get("fulgt")) or any(
        extended_categories(user, organisation) for organisation in organisations
    )
    context = {
        "offer_followed": offer_followed,
        "page": page,
        "table": table,
        "body": body_html(table, page.rows),
        "filter_form": filter_form,
        # Made only when the fragments they show are not in the cache.
        "fragment_key": fragment_key(request, organisations, shown, offer_followed),
        "headers": SimpleLazyObject(lambda: headers(table, page, filter_form, request.GET)),
        "date_ranges": SimpleLazyObject(lambda: date_ranges(filter_form, request.GET)),
        "all_columns": list(columns().items()),
        "chosen": set(shown),
        "links": _links(request.GET, page),
        "page_sizes": PAGE_SIZES,
        "query": request.GET.urlencode(),
        "language": get_language() or "nb",
    }
    return render(request, "cases/list.html", context)


def fragment_key(
    request: HttpRequest, organisations: list[Organisation], shown: list[str], followed: bool
) -> str:
    """Everything the list's filters, column chooser and table head are made of.

    They are the same for everyone who asks the same address in the same
    language and organisation with the same columns on the same day, so they
    are kept (CACHES["fragments"], in each process) rather than made anew for
    every page: about 5 ms of a request. Nothing in them is personal; the
    form's CSRF token is outside them. A subject area renamed in the admin
    shows under its new name within five minutes (the fragments' timeout).
    """
    areas = ",".join(f"{org.pk}:{'+'.join(org.areas)}" for org in organisations)
    parts = [get_language() or "nb", areas, ",".join(shown), str(oslo_today()), str(followed)]
    return "|".join([*parts, request.get_full_path()])


@dataclass
class Header:
    """A column's header: its sort link, and the filter under it in the filter row."""

    name: str
    label: str
    sort_link: str
    sorted: str = ""  # "ascending", "descending" or "" (aria-sort)
    kind: str = ""  # "text", "choice" or "" (no filter in the row; dates are above the table)
    value: str = ""
    invalid: bool = False
    choices: list[tuple[str, str, bool]] = field(default_factory=list)  # value, label, chosen

    @property
    def chosen(self) -> int:
        return sum(1 for *_, chosen in self.choices if chosen)


def headers(table: Any, page: CasePage, form: forms.Form | None, params: QueryDict) -> list[Header]:
    """The header row and the filter row: for each shown column, from its declaration.

    The filter row is read from the filter form's fields rather than by
    rendering each choice as a widget: the row has about fifty checkboxes.
    """
    cells = []
    for bound in table.columns:
        name, column = bound.name, bound.column
        if page.sort_key == name:
            target = name if page.descending else f"-{name}"
            sorted_ = "descending" if page.descending else "ascending"
        else:
            target = f"-{name}" if column.export_kind == "datetime" else name
            sorted_ = ""
        cell = Header(
            name,
            str(bound.header),
            _with(params, sort=target, side=None, etter=None, foer=None),
            sorted_,
        )
        field_ = form.fields.get(name) if form is not None else None
        if form is not None and isinstance(field_, forms.MultipleChoiceField):
            bound_field = form[name]
            sent = {str(v) for v in bound_field.value() or []}
            # Flat choices (no groups) in every choice filter.
            options: Iterable[tuple[Any, Any]] = field_.choices  # type: ignore[assignment]
            cell.kind, cell.invalid = "choice", bool(bound_field.errors)
            cell.choices = [(str(v), str(label), str(v) in sent) for v, label in options]
        elif form is not None and isinstance(field_, forms.CharField):
            bound_field = form[name]
            cell.kind, cell.invalid = "text", bool(bound_field.errors)
            cell.value = str(bound_field.value() or "")
        cells.append(cell)
    return cells


@dataclass
class DateRangeFields:
    """A column's from- and to-date, with quick choices that fill in real dates."""

    label: str
    start: forms.BoundField
    end: forms.BoundField
    quick: list[tuple[str, str]]


def date_ranges(form: forms.Form | None, params: QueryDict) -> list[DateRangeFields]:
    """The date filters above the table: one group for each column with a DateRange."""
    if form is None:
        return []
    today = oslo_today()
    quick = [
        (_("Last 7 days"), today - dt.timedelta(days=6), today),
        (_("Last 30 days"), today - dt.timedelta(days=29), today),
        (_("This year"), dt.date(today.year, 1, 1), today),
        (_("Last year"), dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
    ]
    groups = []
    for name, column in columns().items():
        start_name, end_name = f"{name}_fra", f"{name}_til"
        if not isinstance(form.fields.get(start_name), forms.DateField):
            continue
        links = [
            (
                label,
                _with(
                    params,
                    **{start_name: f"{start:%d.%m.%Y}", end_name: f"{end:%d.%m.%Y}"},
                    side=None,
                    etter=None,
                    foer=None,
                ),
            )
            for label, start, end in quick
        ]
        label = str(column.verbose_name)
        groups.append(DateRangeFields(label, form[start_name], form[end_name], links))
    return groups


def _with(params: QueryDict, **changes: Any) -> str:
    """The list's address with some parameters changed (None removes one)."""
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = str(value)
    return "?" + query.urlencode() if query else "?"


def _links(params: QueryDict, page: CasePage) -> dict[str, Any]:
    base = {key: None for key in ("etter", "foer")}
    links: dict[str, Any] = {}
    if page.page > 1:
        links["previous"] = _with(params, side=page.page - 1, foer=page.previous_cursor, etter=None)
        links["first"] = _with(params, side=None, **base)
    if page.has_next:
        links["next"] = _with(params, side=page.page + 1, etter=page.next_cursor, foer=None)
    links["page_size"] = {
        size: _with(params, per_side=size, side=None, **base) for size in PAGE_SIZES
    }
    links["reset"] = "?" + urlencode({k: params[k] for k in ("sort", "per_side") if k in params})
    return links


@member_required
@require_POST
def choose_columns(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if "standard" in request.POST:
        names = default_columns()
    else:
        names = clean_columns(request.POST.getlist("kolonner"))
    ListPreference.objects.update_or_create(user=user, defaults={"columns": names})
    messages.success(request, _("The columns are saved. They apply to the Excel export too."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}) or not target.startswith(
        reverse("cases:list")
    ):
        target = reverse("cases:list")
    # Back at the columns chooser (not the top of the page): the fragment makes
    # its button the next Tab stop; with htmx, portal.js focuses it.
    return redirect(f"{target}#columns")


@member_required
@require_GET
def export(request: HttpRequest) -> HttpResponse | FileResponse:
    user = user_of(request)
    organisations = list_organisations(request)
    shown = chosen_columns(user)
    total = exporting.count_rows(user, organisations, request.GET)
    if total > exporting.EXPORT_INLINE_LIMIT:
        job = exporting.start_job(
            user=user,
            organisation=organisations[0],
            params=request.GET,
            columns=shown,
            language=get_language() or "nb",
        )
        return redirect("cases:export_status", job_id=job.id)
    with replica_reads(Case):
        handle, name = exporting.export_to_file(
            user, organisations, request.GET, shown, language=get_language() or "nb"
        )
    return xlsx_download(handle, name)


def _own_job(request: HttpRequest, job_id: str) -> ExportJob:
    """One of the person's own exports, while the access it was made with still holds;
    404 otherwise (and once it has been deleted, EXPORT_KEEP_HOURS after it was made)."""
    job = (
        ExportJob.objects.filter(pk=job_id, user=user_of(request))
        .select_related("organisation")
        .first()
    )
    if job is None or not exporting.may_download(request.user, job):
        raise Http404
    return job


@member_required
@require_GET
def export_status(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _own_job(request, job_id)
    template = (
        "cases/_export_progress.html"
        if request.headers.get("HX-Request")
        else "cases/export_status.html"
    )
    return render(
        request,
        template,
        {
            "job": job,
            "back": reverse("cases:list") + ("?" + job.query if job.query else ""),
            "inline_limit": exporting.EXPORT_INLINE_LIMIT,
            "next_try": exporting.next_try(job),
            "max_tries": exporting.EXPORT_MAX_ATTEMPTS,
        },
    )


@member_required
@require_GET
def export_download(request: HttpRequest, job_id: str) -> FileResponse:
    job = _own_job(request, job_id)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404
    return xlsx_download(job.file.open("rb"), job.file_name)
