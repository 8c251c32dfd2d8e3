"""The case list's table (django-tables2): how each column shows a case.

Sorting and paging are done in the database by cases.listing, so the table
itself is told not to order or paginate.
"""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from cases.listing import COLUMNS
from cases.models import Case


class DateTimeColumn(tables.Column):
    def render(self, value: Any) -> str:
        return date_format(value.astimezone(), "SHORT_DATETIME_FORMAT")


class CaseTable(tables.Table):
    nummer = tables.Column(accessor="number", linkify=lambda record: record.get_absolute_url())
    tittel = tables.Column(accessor="title")
    kategori = tables.Column(accessor="category")
    fagomrade = tables.Column(accessor="subject_area")
    status = tables.Column(accessor="status")
    kanal = tables.Column(accessor="channel")
    innmeldt_av = tables.Column(accessor="reporter_name", default="–")
    saksbehandler = tables.Column(accessor="assignee_name", default="–")
    opprettet = DateTimeColumn(accessor="created_at")
    endret = DateTimeColumn(accessor="updated_at")
    virksomhet = tables.Column(accessor="organisation__name")

    class Meta:
        orderable = False
        sequence = tuple(COLUMNS)

    def render_tittel(self, value: str, record: Case) -> SafeString:
        return format_html('<a class="ds-link" href="{}">{}</a>', record.get_absolute_url(), value)

    def render_kategori(self, record: Case) -> str:
        return str(record.get_category_display())

    def render_fagomrade(self, record: Case) -> str:
        return record.subject_area.name(get_language() or "nb")

    def render_status(self, record: Case) -> SafeString:
        return format_html(
            '<span class="ds-tag" data-size="sm" data-color="{}">{}</span>',
            STATUS_COLOURS.get(record.status, "neutral"),
            record.get_status_display(),
        )

    def render_kanal(self, record: Case) -> str:
        return str(record.get_channel_display())


STATUS_COLOURS = {
    "aktiv": "success",
    "under_arbeid": "info",
    "venter_pa_kunde": "warning",
    "utsatt": "neutral",
    "avsluttet": "neutral",
}
