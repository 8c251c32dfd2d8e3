"""Issue 17: a system drafts an access order, an authorised orderer submits it (rule 3).

A machine never passes rule 3: it only drafts (``access.drafts.do_draft_order``),
and the person who opens the draft in the portal submits it through the order
form, when rule 3 is asked of them (``do_submit_draft``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation

from access.drafts import (
    DraftLineInput,
    DraftRefused,
    DuplicateDraft,
    do_draft_order,
    draft_data,
    get_draft_for_client,
)
from access.models import Order, OrderDraft, SystemRole
from cases.models import Case
from portal.dates import OSLO
from portal.models import ApiClient, AuditEvent, Organisation, RoleType, User
from portal.services import Refused
from tests.conftest import Cast, grant

# 17.11.2022 23:59 Oslo, and 18.11.2022 00:00 Oslo (17.11.2022 23:00 UTC): rule 3's edge.
LAST_MINUTE_BEFORE = dt.datetime(2022, 11, 17, 23, 59, tzinfo=OSLO)
FIRST_MINUTE_OF_CONTROL = dt.datetime(2022, 11, 17, 23, 0, tzinfo=dt.UTC)
ORDER_PAGE = "/tilganger/bestill/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def english() -> Any:
    # The services speak the active language; these tests read their English.
    with translation.override("en"):
        yield


@pytest.fixture
def orderers(cast: Cast) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    grant(cast.mona, cast.fjordetaten, RoleType.ACCOUNTING_ORDERER, dt.date(2022, 1, 1))


def register(
    organisation: Organisation,
    by: User,
    permissions: list[str] | None = None,
    name: str = "HR-systemet",
) -> ApiClient:
    return ApiClient.objects.create(
        organisation=organisation,
        client_id=f"client-{uuid.uuid4()}",
        name=name,
        permissions=[ApiClient.Permission.DRAFT_ORDERS] if permissions is None else permissions,
        registered_by=by,
    )


@pytest.fixture
def hr(cast: Cast) -> ApiClient:
    """Fjordetaten's HR system, registered to draft orders."""
    return register(cast.fjordetaten, cast.kari)


def line(**fields: Any) -> DraftLineInput:
    values: dict[str, Any] = {
        "system_role": "lonnssystem/lonnsmedarbeider",
        "action": "grant",
        "valid_from": "2030-12-01",
        "person_email": "per@example.no",
    }
    values.update(fields)
    return DraftLineInput(**values)


def draft(
    client: ApiClient, area: str = "lonn", *lines: DraftLineInput, **extra: Any
) -> OrderDraft:
    return do_draft_order(
        actor=client,
        organisation=client.organisation,
        area=area,
        lines=list(lines) or [line()],
        comment=extra.pop("comment", "Ny i lønnsseksjonen"),
        **extra,
    )


# The system's side: drafting.


def test_a_registered_system_drafts_an_order_with_an_audit_event_naming_it(
    cast: Cast, hr: ApiClient
) -> None:
    made = draft(
        hr,
        "lonn",
        line(),
        line(
            person_email="",
            new_person_name="Nils Ny",
            new_person_email="nils@example.no",
            employee_number="10042",
            system_role="reise-og-utlegg/attestant-reise",
        ),
    )
    assert made.state == OrderDraft.State.WAITING
    assert made.api_client == hr
    lines = list(made.lines.order_by("id"))
    assert lines[0].person == cast.per
    assert lines[1].new_person_name == "Nils Ny"
    assert lines[1].valid_from == dt.date(2030, 12, 1)
    event = AuditEvent.objects.get(action="order_draft.created")
    assert event.api_client == hr
    assert event.actor is None
    assert event.organisation == cast.fjordetaten
    assert event.after is not None
    assert event.after["client_id"] == hr.client_id
    assert not Order.objects.exists()  # a draft is not an order
    assert not Case.objects.exists()


def test_a_retried_request_with_the_same_key_makes_no_second_draft(hr: ApiClient) -> None:
    key = uuid.uuid4()
    first = draft(hr, submission_key=key)
    with pytest.raises(DuplicateDraft) as again:
        draft(hr, submission_key=key)
    assert again.value.draft == first
    assert OrderDraft.objects.count() == 1


def test_a_system_without_the_permission_is_refused(cast: Cast) -> None:
    filer = register(cast.fjordetaten, cast.kari, [ApiClient.Permission.FILE_PAYROLL])
    with pytest.raises(Refused, match="not registered to draft"):
        draft(filer)
    assert not OrderDraft.objects.exists()
    assert not AuditEvent.objects.filter(action="order_draft.created").exists()


def test_a_withdrawn_registration_drafts_nothing(cast: Cast, hr: ApiClient) -> None:
    hr.withdrawn_at, hr.withdrawn_by = timezone.now(), cast.kari
    hr.save()
    with pytest.raises(Refused, match="not registered for the organisation"):
        draft(hr)
    assert not OrderDraft.objects.exists()


def test_a_system_of_a_deactivated_organisation_drafts_nothing(cast: Cast, hr: ApiClient) -> None:
    Organisation.objects.filter(pk=cast.fjordetaten.pk).update(is_active=False)
    with pytest.raises(Refused, match="not registered for the organisation"):
        draft(hr)
    assert not OrderDraft.objects.exists()


def test_a_system_cannot_draft_for_another_organisation(cast: Cast, hr: ApiClient) -> None:
    with pytest.raises(Refused, match="not registered for the organisation"):
        do_draft_order(actor=hr, organisation=cast.kystdir, area="lonn", lines=[line()])
    assert not OrderDraft.objects.exists()


def test_an_area_the_organisation_does_not_buy_is_refused(cast: Cast, hr: ApiClient) -> None:
    Organisation.objects.filter(pk=cast.fjordetaten.pk).update(buys_accounting=False)
    hr.organisation.refresh_from_db()
    accounting = line(system_role="regnskapssystem/attestant")
    with pytest.raises(Refused, match="does not buy accounting"):
        draft(hr, "regnskap", accounting)
    # Nor through the customer centre: accounting's extended access is accounting's.
    with pytest.raises(DraftRefused) as refused:
        draft(hr, "kundesenter", line(system_role="kundesenter/utvidet-tilgang-regnskap"))
    assert [p.field for p in refused.value.problems] == ["system_role"]
    with pytest.raises(Refused, match="Choose the area"):
        draft(hr, "hemmelig")
    assert not OrderDraft.objects.exists()


def test_bad_lines_get_one_reason_each_and_nothing_is_stored(cast: Cast, hr: ApiClient) -> None:
    SystemRole.objects.filter(code="lonnsleder").update(is_active=False)
    with pytest.raises(DraftRefused) as refused:
        draft(
            hr,
            "lonn",
            line(),  # fine
            line(system_role="regnskapssystem/attestant"),  # another area's role
            line(system_role="lonnssystem/lonnsleder"),  # no longer active
            line(person_email="nina@example.no"),  # not a member of Fjordetaten
            line(valid_from="2020-01-01"),  # in the past
            line(valid_from="i morgen"),  # not a date
            line(action="give"),  # neither grant nor remove
            line(person_email="", new_person_name="Nils Ny"),  # someone new, half named
            line(person_email="", system_role="kundesenter/utvidet-tilgang-lonn"),
        )
    problems = {(p.line, p.field) for p in refused.value.problems}
    assert not any(p.line == 1 for p in refused.value.problems)
    assert (2, "system_role") in problems
    assert (3, "system_role") in problems
    assert (4, "person_email") in problems
    assert (5, "valid_from") in problems
    assert (6, "valid_from") in problems
    assert (7, "action") in problems
    assert {(8, "new_person_email"), (8, "employee_number")} <= problems
    # The customer centre's roles in a payroll draft are not the area's.
    assert (9, "system_role") in problems
    messages = {(p.line, p.field): p.message for p in refused.value.problems}
    assert "nina@example.no" in messages[(4, "person_email")]
    assert messages[(5, "valid_from")] == "The date cannot be in the past."
    assert not OrderDraft.objects.exists()
    assert not AuditEvent.objects.filter(action="order_draft.created").exists()


def test_the_reasons_are_in_the_language_asked_for(cast: Cast, hr: ApiClient) -> None:
    with translation.override("nb"), pytest.raises(DraftRefused) as refused:
        draft(hr, "lonn", line(valid_from="2020-01-01"))
    assert refused.value.problems[0].message == "Datoen kan ikke være tilbake i tid."


def test_no_lines_or_too_many_lines_are_refused(hr: ApiClient) -> None:
    with pytest.raises(Refused, match="at least one line"):
        do_draft_order(actor=hr, organisation=hr.organisation, area="lonn", lines=[])
    with pytest.raises(Refused, match="at most 30 lines"):
        draft(hr, "lonn", *[line()] * 31)
    assert not OrderDraft.objects.exists()


def test_the_system_reads_back_its_own_drafts_only(cast: Cast, hr: ApiClient) -> None:
    made = draft(hr)
    data = draft_data(get_draft_for_client(hr, made.pk))
    assert data["state"] == "waiting"
    assert data["lines"][0]["person_email"] == "per@example.no"
    assert data["lines"][0]["system_role"] == "lonnssystem/lonnsmedarbeider"
    other = register(cast.fjordetaten, cast.kari, name="Saksbehandlingssystemet")
    elsewhere = register(cast.kystdir, cast.nina)
    from django.http import Http404

    for stranger in (other, elsewhere):
        with pytest.raises(Http404):
            get_draft_for_client(stranger, made.pk)
    hr.withdrawn_at, hr.withdrawn_by = timezone.now(), cast.kari
    hr.save()
    with pytest.raises(Http404):
        get_draft_for_client(hr, made.pk)
