"""The API's access orders (issue 17, point 4): a system drafts, an orderer submits.

A system never orders: it drafts an order (``access.drafts.do_draft_order``), which an
authorised orderer of the organisation sees on the order page, changes if need be, and
submits as their own (rule 3 asked of them, ``access.ordering.do_submit_order``). The
system reads its drafts back to see whether each was submitted or discarded; what the
order became is the orderer's case, which the system reads only if its registration
lets it read that case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from access.drafts import (
    DraftLineInput,
    DraftRefused,
    area_roles,
    do_draft_order,
    draft_data,
    drafts_of_client,
    get_draft_for_client,
    offered_areas,
)
from access.models import System
from cases.api import moment_cursor
from cases.listing import encode_cursor
from portal.api import (
    IDEMPOTENCY_KEY,
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
from portal.models import ApiClient

router = Router(tags=["access orders"])

AREAS = [str(area) for area in System.Area]
DRAFTS_PER_PAGE = 50
MAX_DRAFTS_PER_PAGE = 100


class OrderRoleOut(Schema):
    code: str = Field(description="What a draft's line names: <system code>/<role code>.")
    area: str
    system: str
    role: str


class DraftLineIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is told, not dropped

    # Read as text and checked by the order form's own rules (``do_draft_order``), so
    # every reason is the form's, in the reader's language.
    system_role: str = documented("A code from /order-roles/ of the draft's area.")
    action: str = documented("grant or remove.", enum=["grant", "remove"])
    valid_from: str = documented("From this date (YYYY-MM-DD); not in the past.", format="date")
    person_email: str = documented(
        "An existing member of the organisation, by their e-mail; or leave it empty and "
        "name a new person with the three fields below.",
        "",
    )
    new_person_name: str = documented("", "")
    new_person_email: str = documented("", "")
    employee_number: str = documented("", "")


class NewDraft(Schema):
    model_config = ConfigDict(extra="forbid")

    area: str = documented("lonn, regnskap or kundesenter.", enum=AREAS)
    comment: str = documented("To the orderer and the customer centre.", "", maxLength=2000)
    lines: list[DraftLineIn] = documented("1 to 30 lines.", minItems=1, maxItems=30)


class DraftLineOut(Schema):
    system_role: str
    action: Literal["grant", "remove"]
    valid_from: dt.date
    person_email: str
    new_person_name: str
    new_person_email: str
    employee_number: str


class OrderLinesOut(Schema):
    pending: int
    done: int
    rejected: int


class DraftOut(Schema):
    id: int
    area: str
    state: Literal["waiting", "submitted", "discarded"] = Field(
        description="waiting for an orderer; submitted as their order; or discarded."
    )
    created_at: dt.datetime
    ended_at: dt.datetime | None
    order_lines: OrderLinesOut | None = Field(
        description=(
            "Once submitted: the order's lines counted by state (the orderer may have "
            "changed them). All decided when pending is 0."
        )
    )
    comment: str
    lines: list[DraftLineOut]
    url: str


class DraftList(Schema):
    items: list[DraftOut]
    next: str | None = Field(description="The next page's address, or null on the last page.")


class DraftListQuery(Schema):
    cursor: str | None = Field(None, description="From a `next` link; not to be made by hand.")
    limit: int = Field(DRAFTS_PER_PAGE, ge=1, le=MAX_DRAFTS_PER_PAGE)


def _draft(request: HttpRequest, draft: Any) -> dict[str, Any]:
    return {
        **draft_data(draft),
        "url": request.build_absolute_uri(reverse("api:order_draft", args=[draft.pk])),
    }


@router.get(
    "/order-roles/",
    response={200: list[OrderRoleOut], **error_responses()},
    url_name="order_roles",
    summary="The roles a draft's lines may name, for the areas the organisation buys",
)
def order_roles(request: HttpRequest) -> list[dict[str, Any]]:
    only_parameters(request)
    client = client_of(request)
    found = []
    for area in offered_areas(client.organisation):
        for role in area_roles(area):
            found.append(
                {
                    "code": f"{role.system.code}/{role.code}",
                    "area": area,
                    "system": str(role.system),
                    "role": role.name,
                }
            )
    return found


@router.get(
    "/order-drafts/",
    response={200: DraftList, **error_responses()},
    url_name="order_drafts",
    summary="The drafts this system made, newest first",
)
def list_drafts(request: HttpRequest, query: Query[DraftListQuery]) -> dict[str, Any]:
    only_parameters(request, {"cursor", "limit"})
    drafts = drafts_of_client(client_of(request))
    if query.cursor:
        moment, pk = moment_cursor(query.cursor)
        drafts = drafts.filter(Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=pk))
    page, next_link = keyset_page(
        request,
        list(drafts.order_by("-created_at", "-id")[: query.limit + 1]),
        query.limit,
        lambda draft: encode_cursor(draft.created_at, draft.pk),
    )
    return {"items": [_draft(request, draft) for draft in page], "next": next_link}


@router.get(
    "/order-drafts/{draft_id}/",
    response={200: DraftOut, **error_responses()},
    url_name="order_draft",
    summary="One draft: waiting, submitted or discarded",
)
def read_draft(request: HttpRequest, draft_id: int) -> dict[str, Any]:
    return _draft(request, get_draft_for_client(client_of(request), draft_id))


@router.post(
    "/order-drafts/",
    response={201: DraftOut, **error_responses(write=True)},
    url_name="draft_order",
    summary="Draft an access order for an authorised orderer to submit",
)
def draft_order(
    request: HttpRequest, data: NewDraft, idempotency_key: str | None = IDEMPOTENCY_KEY
) -> HttpResponse:
    client: ApiClient = client_of(request)

    def write() -> Created:
        try:
            draft = do_draft_order(
                actor=client,
                organisation=client.organisation,
                area=data.area,
                lines=[DraftLineInput(**line.model_dump()) for line in data.lines],
                comment=data.comment,
            )
        except DraftRefused as refused:
            errors: dict[str, list[str]] = {}
            for problem in refused.problems:
                if problem.line == 0:  # the draft itself
                    name = problem.field or "__all__"
                else:
                    name = f"lines[{problem.line}]" + (f".{problem.field}" if problem.field else "")
                errors.setdefault(name, []).append(problem.message)
            raise invalid_input(errors or {"__all__": [refused.reason]}, refused.reason) from None
        body = _draft(request, draft)
        return Created(201, as_json(DraftOut(**body)), body["url"])

    return idempotent(request, write)
