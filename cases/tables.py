"""The case list's table (django-tables2).

Sorting and paging happen in the database (cases.listing), so the table is
told neither to order nor to paginate. The table declares the columns (their
order and which are shown); the cells are prepared in one pass over the
page's cases (``table_rows``) and the view places them directly, because
django-tables2's per-cell machinery costs about 25 µs a cell and a page of
100 cases has a thousand cells.
"""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils import dateformat
from django.utils.formats import get_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from cases.listing import COLUMNS, choice_labels
from cases.models import Case
from portal.dates import OSLO

_NUMBER_SLOT = "SAK-0-0"  # stands in for a case number in the link, replaced per row

STATUS_COLOURS = {
    "aktiv": "success",
    "under_arbeid": "info",
    "venter_pa_kunde": "warning",
    "utsatt": "neutral",
    "avsluttet": "neutral",
}


def table_rows(cases: list[Case]) -> list[dict[str, Any]]:
    """Every column's shown value for each case, in one pass.

    What is the same for every row is worked out once: the choice labels in
    the active language (Django's ``get_FOO_display`` rebuilds its lookup on
    every call), the date format and the case link (one ``reverse``).
    """
    labels = choice_labels()
    categories, statuses, channels = labels["kategori"], labels["status"], labels["kanal"]
    moment_format = get_format("SHORT_DATETIME_FORMAT")
    pattern = strftime_pattern(moment_format)
    link = reverse("cases:detail", args=[_NUMBER_SLOT])

    def when(moment: Any) -> str:
        local = moment.astimezone(OSLO)
        return local.strftime(pattern) if pattern else dateformat.format(local, moment_format)

    rows = []
    for case in cases:
        url = link.replace(_NUMBER_SLOT, case.number)
        rows.append(
            {
                # One link per row (the title), so Tab moves from case to case.
                "nummer": case.number,
                "tittel": format_html('<a class="ds-link" href="{}">{}</a>', url, case.shown_title),
                "kategori": categories.get(case.category, case.category),
                "fagomrade": case.subject_area.name,
                "status": format_html(
                    '<span class="ds-tag" data-size="sm" data-color="{}">{}</span>',
                    STATUS_COLOURS.get(case.status, "neutral"),
                    statuses.get(case.status, case.status),
                ),
                "kanal": channels.get(case.channel, case.channel),
                "innmeldt_av": case.reporter_name or "–",
                "saksbehandler": case.assignee_name or "–",
                "opprettet": when(case.created_at),
                "endret": when(case.updated_at),
                "virksomhet": case.organisation.name,
            }
        )
    return rows


class CaseTable(tables.Table):
    nummer = tables.Column(verbose_name=COLUMNS["nummer"].label)
    tittel = tables.Column(verbose_name=COLUMNS["tittel"].label)
    kategori = tables.Column(verbose_name=COLUMNS["kategori"].label)
    fagomrade = tables.Column(verbose_name=COLUMNS["fagomrade"].label)
    status = tables.Column(verbose_name=COLUMNS["status"].label)
    kanal = tables.Column(verbose_name=COLUMNS["kanal"].label)
    innmeldt_av = tables.Column(verbose_name=COLUMNS["innmeldt_av"].label)
    saksbehandler = tables.Column(verbose_name=COLUMNS["saksbehandler"].label)
    opprettet = tables.Column(verbose_name=COLUMNS["opprettet"].label)
    endret = tables.Column(verbose_name=COLUMNS["endret"].label)
    virksomhet = tables.Column(verbose_name=COLUMNS["virksomhet"].label)

    class Meta:
        orderable = False
        sequence = tuple(COLUMNS)


def body_html(table: CaseTable) -> SafeString:
    """The table's body: one row per case, the cells of the table's columns in order.

    Built here rather than by a template loop over a thousand cells (a few
    milliseconds a page); every cell is escaped unless it is already safe HTML.
    """
    keys = [column.name for column in table.columns]
    rows = (
        "<tr>" + "".join(f"<td>{conditional_escape(row[key])}</td>" for key in keys) + "</tr>"
        for row in table.data
    )
    return SafeString("".join(rows))


# Django date format characters that strftime writes the same way.
_STRFTIME = {"d": "%d", "m": "%m", "Y": "%Y", "y": "%y", "H": "%H", "i": "%M", "s": "%S"}


def strftime_pattern(django_format: str) -> str | None:
    """``django_format`` as a strftime pattern, or None if it uses other characters.

    For "d.m.Y H:i" (portal.formats) strftime is ten times faster than Django's
    formatter, which looks every character up anew.
    """
    pattern = []
    for char in django_format:
        if char in _STRFTIME:
            pattern.append(_STRFTIME[char])
        elif char.isalpha() or char in "\\%":
            return None
        else:
            pattern.append(char)
    return "".join(pattern)
