"""The API's cases (issue 17, point 4): file, list, read, answer; and the subject areas.

Each endpoint is a thin client of what the portal's pages use: the same forms check the
input (``NewCaseForm``, ``MessageForm``: the same upload checks and messages), the same
services write (``do_create_case``, ``do_add_message`` with the system as actor), the
same rule reads (``Case.objects.visible_to_client``, rule 1 for systems), the same
filters narrow the list (the case list's django-filter set, under the keys of its
address). A system never sees an internal note or an internal attachment.

Changes come by asking, not by webhooks: ``changed_since`` (docs/decisions.md, "The
API": why a pull and not a push).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from django import forms
from django.db.models import F, QuerySet, Value
from django.db.models.lookups import GreaterThan
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from cases.access import attachment_download, get_attachment_for_client, get_case_for_client
from cases.forms import MessageForm, NewCaseForm
from cases.listing import RowValue, case_filter_class, encode_cursor, read_cursor
from cases.models import Attachment, Case, Message, SubjectArea
from cases.services import do_add_message, do_create_case
from portal.api import (
    IDEMPOTENCY_KEY,
    UNKNOWN_FIELD,
    Created,
    as_json,
    client_of,
    documented,
    error_responses,
    idempotent,
    invalid_input,
    keyset_page,
    only_parameters,
)
from portal.models import Area, filing_permission

router = Router(tags=["cases"])

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# The list's own keys; the rest are the case list's filters (``cases.filters``).
LIST_KEYS = {"changed_since", "cursor", "limit"}

Category = Enum("Category", {area.name: str(area) for area in Area}, type=str)  # type: ignore[misc]
Status = Enum("Status", {s.name: str(s) for s in Case.Status}, type=str)  # type: ignore[misc]
Channel = Enum("Channel", {c.name: str(c) for c in Case.Channel}, type=str)  # type: ignore[misc]


# --- Schemas -----------------------------------------------------------------


class SubjectAreaOut(Schema):
    id: int
    category: Category
    name: str


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str


class MessageOut(Schema):
    id: int
    from_customer_centre: bool = Field(description="Written by the customer centre's staff.")
    author: str = Field(description="Who wrote it: the customer centre, a person or a system.")
    body: str
    created_at: dt.datetime
    attachments: list[AttachmentOut]


class CaseSummary(Schema):
    number: str
    category: Category
    subject_area: SubjectAreaOut
    title: str
    status: Status
    status_label: str = Field(description="The status in the language asked for.")
    channel: Channel
    reported_by: str = Field(description="The person or system that reported the case.")
    created_at: dt.datetime
    updated_at: dt.datetime = Field(
        description="Last change: a message, a status, an attachment (what changed_since reads)."
    )
    url: str
    portal_url: str


class CaseOut(CaseSummary):
    description: str
    attachments: list[AttachmentOut] = Field(description="Attachments sent with the case itself.")
    messages: list[MessageOut]


class CaseList(Schema):
    items: list[CaseSummary]
    next: str | None = Field(description="The next page's address, or null on the last page.")


class CaseListQuery(Schema):
    """The case list's filters, with the keys of the portal list's address."""

    changed_since: str | None = Field(
        None,
        description=(
            "Only cases changed at or after this moment (ISO 8601 with its offset, e.g. "
            "2026-12-01T08:00:00+01:00, or Z for UTC; in an address the + is written "
            "%2B). Keep the last item's updated_at and ask again with it: the list is in "
            "order of change, oldest first."
        ),
        json_schema_extra={"format": "date-time"},
    )
    cursor: str | None = Field(None, description="From a `next` link; not to be made by hand.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    nummer: str | None = Field(None, description="Case number, whole or its start.")
    tittel: str | None = Field(None, description="Words in the title.")
    kategori: list[Category] | None = None
    fagomrade: list[int] | None = Field(None, description="Subject area ids.")
    status: list[Status] | None = None
    kanal: list[Channel] | None = None
    innmeldt_av: str | None = Field(None, description="Part of the reporter's name.")
    saksbehandler: str | None = Field(None, description="Part of the case officer's name.")
    opprettet_fra: dt.date | None = Field(None, description="Created from this Oslo date.")
    opprettet_til: dt.date | None = Field(None, description="Created through this Oslo date.")
    endret_fra: dt.date | None = Field(None, description="Changed from this Oslo date.")
    endret_til: dt.date | None = Field(None, description="Changed through this Oslo date.")


# The input's fields are read as text and checked by the portal's own forms, so that
# every reason is the form's, in the reader's language; the schema still says what
# each field takes.


class NewCase(Schema):
    category: str = documented("lonn or regnskap.", enum=[str(a) for a in Area])
    subject_area: str = documented("An id from /subject-areas/, in the category.", type="integer")
    title: str = documented(maxLength=300, minLength=1)
    description: str = documented(maxLength=20_000, minLength=1)


class NewMessage(Schema):
    body: str = documented(maxLength=20_000, minLength=1)


# --- Reading -----------------------------------------------------------------


def _subject_area(area: SubjectArea) -> dict[str, Any]:
    return {"id": area.pk, "category": area.category, "name": area.name}


def _attachment(request: HttpRequest, case: Case, attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": request.build_absolute_uri(
            reverse("api:case_attachment", args=[case.number, attachment.pk])
        ),
    }


def _author(message: Message) -> str:
    if message.from_staff:
        return pgettext("message author", "Customer centre")
    if message.api_client is not None:
        return message.api_client.name
    return str(message.author) if message.author else ""


def _message(request: HttpRequest, case: Case, message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "from_customer_centre": message.from_staff,
        "author": _author(message),
        "body": message.shown_body,
        "created_at": message.created_at,
        "attachments": [
            _attachment(request, case, a) for a in message.attachments.all() if not a.is_internal
        ],
    }


def _summary(request: HttpRequest, case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "category": case.category,
        "subject_area": _subject_area(case.subject_area),
        "title": case.shown_title,
        "status": case.status,
        "status_label": case.get_status_display(),
        "channel": case.channel,
        "reported_by": case.reporter_name,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "url": request.build_absolute_uri(reverse("api:case", args=[case.number])),
        "portal_url": request.build_absolute_uri(case.get_absolute_url()),
    }


def _case(request: HttpRequest, case: Case) -> dict[str, Any]:
    messages = (
        case.messages.filter(is_internal=False)
        .select_related("author", "api_client")
        .prefetch_related("attachments")
    )
    return {
        **_summary(request, case),
        "description": case.shown_description,
        "attachments": [
            _attachment(request, case, a)
            for a in case.attachments.filter(is_internal=False, message__isnull=True)
        ],
        "messages": [_message(request, case, m) for m in messages],
    }


def _only_known_fields(request: HttpRequest, form: forms.Form) -> None:
    """A field or file the form does not take is told, never dropped: a system that
    sends ``attachment`` for ``attachments`` must not lose its file in silence."""
    known = set(form.fields) - {"submission_key"}
    unknown = sorted((set(request.POST) | set(request.FILES)) - known)
    if unknown:
        raise invalid_input({name: [UNKNOWN_FIELD] for name in unknown})


@router.get(
    "/subject-areas/",
    response={200: list[SubjectAreaOut], **error_responses()},
    url_name="subject_areas",
    summary="Subject areas this system may file cases in",
)
def subject_areas(request: HttpRequest) -> list[dict[str, Any]]:
    only_parameters(request)
    client = client_of(request)
    areas = [a for a in client.organisation.areas if client.may(filing_permission(a))]
    return [
        _subject_area(area)
        for area in SubjectArea.objects.filter(is_active=True, category__in=areas)
    ]


@router.get(
    "/cases/",
    response={200: CaseList, **error_responses()},
    url_name="cases",
    summary="The cases this system may read, in order of change",
)
def list_cases(request: HttpRequest, query: Query[CaseListQuery]) -> dict[str, Any]:
    client = client_of(request)
    # The list's filters but "followed by me": a system follows nothing.
    only_parameters(request, LIST_KEYS | set(case_filter_class().base_filters) - {"fulgt"})
    case_filter = case_filter_class()(
        _filter_params(request.GET),
        queryset=Case.objects.visible_to_client(client),
        organisations=[client.organisation],
        user=None,
    )
    case_filter.filters.pop("fulgt", None)
    if not case_filter.is_valid():
        raise invalid_input(case_filter.form.errors)
    cases: QuerySet[Case] = case_filter.qs
    if query.changed_since is not None:
        cases = cases.filter(updated_at__gte=_moment(query.changed_since))
    if query.cursor:
        moment, pk = moment_cursor(query.cursor)
        # Past the cursor as one row comparison, (updated_at, id) > (moment, pk): so it
        # bounds the walk of the list's index and a page deep in the list starts at its
        # cursor. Written as "later, or as late with a higher id", the same condition
        # was checked case by case from the oldest (0.5 s halfway down 500 000 cases).
        cases = cases.filter(
            GreaterThan(RowValue(F("updated_at"), F("id")), RowValue(Value(moment), Value(pk)))
        )
    # The page's ids are found by a walk of the list's covering index alone: it holds
    # what the filters read (status, category, title …), so the walk never visits the
    # table, however many cases a filter passes over (an "aktiv" case is seldom among
    # the oldest). Only the page's own cases are then read, in the same statement.
    walk = cases.order_by("updated_at", "id").values("id")[: query.limit + 1]
    rows = Case.objects.filter(pk__in=walk).select_related("subject_area")
    page, next_link = keyset_page(
        request,
        list(rows.order_by("updated_at", "id")),
        query.limit,
        lambda case: encode_cursor(case.updated_at, case.pk),
    )
    return {"items": [_summary(request, case) for case in page], "next": next_link}


def moment_cursor(raw: str) -> tuple[dt.datetime, int]:
    """The position a `next` link's cursor names, a moment and an id (the case list's
    "endret" sort writes them so), or the 422 why not."""
    position = read_cursor(raw, "endret", [])
    if position is None:
        raise invalid_input({"cursor": [_("This cursor is not one of ours.")]})
    return position


def _moment(text: str) -> dt.datetime:
    """An ISO 8601 moment with its offset (``changed_since``), or the problem why not."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in text.upper():
        raise invalid_input(
            {
                "changed_since": [
                    _(
                        "Give a moment as 2026-12-01T07:00:00Z or 2026-12-01T08:00:00+01:00: "
                        "date, time and offset (in an address, URL-encode the plus sign)."
                    )
                ]
            }
        )
    return moment


def _filter_params(params: QueryDict) -> QueryDict:
    """The case list's filters from the query (ISO dates are read as the list reads them)."""
    filters = params.copy()
    for key in LIST_KEYS:
        filters.pop(key, None)
    return filters


@router.get(
    "/cases/{number}/",
    response={200: CaseOut, **error_responses()},
    url_name="case",
    summary="One case, with its messages",
)
def read_case(request: HttpRequest, number: str) -> dict[str, Any]:
    case = get_case_for_client(client_of(request), number)
    return _case(request, case)


@router.get(
    "/cases/{number}/attachments/{attachment_id}/",
    response=error_responses(),
    url_name="case_attachment",
    summary="An attachment's file",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, with its own content type",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def download_attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    attachment = get_attachment_for_client(client_of(request), number, attachment_id)
    return attachment_download(attachment)


# --- Writing -----------------------------------------------------------------


@router.post(
    "/cases/",
    response={201: CaseOut, **error_responses(write=True)},
    url_name="file_case",
    summary="File a case (multipart/form-data, with attachments)",
)
def file_case(
    request: HttpRequest,
    data: Form[NewCase],
    attachments: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> HttpResponse:
    client = client_of(request)

    def write() -> Created:
        form = NewCaseForm(request.POST, request.FILES, organisation=client.organisation)
        _only_known_fields(request, form)
        if not form.is_valid():
            raise invalid_input(form.errors)
        case = do_create_case(
            actor=client,
            organisation=client.organisation,
            subject_area=form.cleaned_data["subject_area"],
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            uploads=form.cleaned_data["attachments"],
        )
        body = _case(request, case)
        return Created(201, as_json(CaseOut(**body)), body["url"])

    return idempotent(request, write)


@router.post(
    "/cases/{number}/messages/",
    response={201: MessageOut, **error_responses(write=True)},
    url_name="add_message",
    summary="Write in a case (multipart/form-data, with attachments)",
)
def add_message(
    request: HttpRequest,
    number: str,
    data: Form[NewMessage],
    attachments: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> HttpResponse:
    client = client_of(request)
    case = get_case_for_client(client, number)

    def write() -> Created:
        form = MessageForm(request.POST, request.FILES)
        _only_known_fields(request, form)
        if not form.is_valid():
            raise invalid_input(form.errors)
        message = do_add_message(
            actor=client,
            case=case,
            body=form.cleaned_data["body"],
            uploads=form.cleaned_data["attachments"],
        )
        body = as_json(MessageOut(**_message(request, case, message)))
        return Created(201, body, request.build_absolute_uri(reverse("api:case", args=[number])))

    return idempotent(request, write)
