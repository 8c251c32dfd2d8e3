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
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import exporting
from cases.listing import (
    COLUMNS,
    PAGE_SIZES,
    CasePage,
    Column,
    build_page,
    clean_columns,
    default_columns,
)
from cases.models import ExportJob, ListPreference, extended_categories
from cases.tables import CaseTable, body_html, table_rows
from portal.dates import today as oslo_today
from portal.models import Organisation, User
from portal.organisations import active_organisation, member_required, user_of
from portal.xlsx import xlsx_download


def chosen_columns(user: User, several: bool) -> list[str]:
    preference = ListPreference.objects.filter(user=user).first()
    names = preference.columns if preference else default_columns()
    if several and preference is None:
        names = [*names, "virksomhet"]
    return clean_columns(names, several)


def list_organisations(request: HttpRequest) -> list[Organisation]:
    """The list shows the active organisation's cases."""
    return [active_organisation(request)]


@member_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    organisations = list_organisations(request)
    several = len(request.organisations) > 1  # type: ignore[attr-defined]
    page = build_page(user, organisations, request.GET)
    page.columns = [COLUMNS[key] for key in chosen_columns(user, several)]
    shown = {c.key for c in page.columns}
    table = CaseTable(
        table_rows(page.rows),
        exclude=[key for key in COLUMNS if key not in shown],
    )
    filter_form = page.filter.form if page.filter else None
    context = {
        # "Followed by me" is offered to whoever can follow: a person who sees
        # colleagues' cases (utvidet tilgang), or who has the filter on.
        "offer_followed": bool(request.GET.get("fulgt"))
        or any(extended_categories(user, organisation) for organisation in organisations),
        "page": page,
        "table": table,
        # The cells are already rendered; placing them directly skips
        # django-tables2's per-cell signature inspection (about 0.3 ms a row).
        "body": body_html(table),
        "filter_form": filter_form,
        "column_filters": column_filters(filter_form, page.columns),
        "several": several,
        "all_columns": [c for c in COLUMNS.values() if c.key != "virksomhet" or several],
        "chosen": {c.key for c in page.columns},
        "links": _links(request.GET, page),
        "quick_dates": _quick_dates(request.GET),
        "page_sizes": PAGE_SIZES,
        "query": request.GET.urlencode(),
        "language": get_language() or "nb",
    }
    return render(request, "cases/list.html", context)


@dataclass
class ColumnFilter:
    """What the filter row shows under one column header."""

    column: Column
    kind: str = ""  # "text", "choice" or "" (no filter for this column)
    value: str = ""
    invalid: bool = False
    choices: list[tuple[str, str, bool]] = field(default_factory=list)  # value, label, chosen

    @property
    def chosen(self) -> int:
        return sum(1 for *_, chosen in self.choices if chosen)


def column_filters(form: forms.Form | None, columns: list[Column]) -> list[ColumnFilter]:
    """The filter row, from the filter form's fields and what the user sent.

    Read from the fields directly rather than by rendering each choice as a
    widget: the row has about fifty checkboxes.
    """
    cells = []
    for column in columns:
        cell = ColumnFilter(column)
        # A column has a filter where CaseFilter has a field of the column's key.
        field = form.fields.get(column.key) if form is not None else None
        if form is not None and isinstance(field, forms.MultipleChoiceField | forms.CharField):
            bound = form[column.key]
            cell.invalid = bool(bound.errors)
            if isinstance(field, forms.MultipleChoiceField):
                cell.kind = "choice"
                sent = {str(v) for v in bound.value() or []}
                # Flat choices (no groups) in every choice filter of CaseFilter.
                options: Iterable[tuple[Any, Any]] = field.choices  # type: ignore[assignment]
                cell.choices = [
                    (str(value), str(label), str(value) in sent) for value, label in options
                ]
            else:
                cell.kind = "text"
                cell.value = str(bound.value() or "")
        cells.append(cell)
    return cells


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
    sort_links = {}
    for key in COLUMNS:
        if page.sort_key == key:
            target = key if page.descending else f"-{key}"
        else:
            target = f"-{key}" if COLUMNS[key].kind == "datetime" else key
        sort_links[key] = _with(params, sort=target, side=None, **base)
    links: dict[str, Any] = {"sort": sort_links}
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


def _quick_dates(params: QueryDict) -> dict[str, list[tuple[str, str]]]:
    """ "Last 7 days" and friends as links that fill in real dates (so a shared link keeps them)."""
    today = oslo_today()
    ranges = [
        (_("Last 7 days"), today - dt.timedelta(days=6), today),
        (_("Last 30 days"), today - dt.timedelta(days=29), today),
        (_("This year"), dt.date(today.year, 1, 1), today),
        (_("Last year"), dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
    ]
    result: dict[str, list[tuple[str, str]]] = {}
    for prefix in ("opprettet", "endret"):
        result[prefix] = [
            (
                label,
                _with(
                    params,
                    **{
                        f"{prefix}_fra": start.strftime("%d.%m.%Y"),
                        f"{prefix}_til": end.strftime("%d.%m.%Y"),
                        "side": None,
                        "etter": None,
                        "foer": None,
                    },
                ),
            )
            for label, start, end in ranges
        ]
    return result


@member_required
@require_POST
def choose_columns(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    several = len(request.organisations) > 1  # type: ignore[attr-defined]
    if "standard" in request.POST:
        names = default_columns()
    else:
        names = clean_columns(request.POST.getlist("kolonner"), several)
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
    several = len(request.organisations) > 1  # type: ignore[attr-defined]
    columns = chosen_columns(user, several)
    total = exporting.count_rows(user, organisations, request.GET)
    if total > exporting.EXPORT_INLINE_LIMIT:
        job = exporting.start_job(
            user=user,
            organisation=organisations[0],
            params=request.GET,
            columns=columns,
            language=get_language() or "nb",
        )
        return redirect("cases:export_status", job_id=job.id)
    handle, name = exporting.export_to_file(
        user, organisations, request.GET, columns, language=get_language() or "nb"
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
    # The page is polled while the file is made: only a job that lost its worker costs
    # more than reading it.
    if exporting.is_stale(job):
        exporting.reclaim_stale_jobs()
        job.refresh_from_db()
        if job.state == ExportJob.State.WAITING:
            exporting.run_in_background(job.pk)
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
        },
    )


@member_required
@require_GET
def export_download(request: HttpRequest, job_id: str) -> FileResponse:
    job = _own_job(request, job_id)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404
    return xlsx_download(job.file.open("rb"), job.file_name)
