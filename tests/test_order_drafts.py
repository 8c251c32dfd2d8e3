"""Issue 17: a system drafts an access order, an authorised orderer submits it (rule 3).

A machine never passes rule 3: it only drafts (``access.drafts.do_draft_order``),
and the person who opens the draft in the portal submits it through the order
form, when rule 3 is asked of them (``do_submit_draft``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from access.drafts import (
    DraftEnded,
    DraftLineInput,
    DraftRefused,
    DuplicateDraft,
    do_draft_order,
    do_submit_draft,
    draft_data,
    get_draft_for_client,
    waiting_drafts_for,
)
from access.models import Order, OrderDraft, SystemRole
from access.ordering import LineInput, OrderRefused
from cases.models import Case
from portal.dates import OSLO
from portal.models import ApiClient, AuditEvent, Organisation, RoleType, User
from portal.services import Refused
from tests.conftest import Cast, client_for, grant
from tests.processes import second_connection, wait_for, waiting_on_a_lock

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


# The portal's side: the orderer sees, opens, sends or discards.


def _send(
    client: Client,
    made: OrderDraft,
    step: str = "submit",
    key: uuid.UUID | None = None,
    **changes: Any,
) -> Any:
    """Post the order form as it was prefilled from ``made`` (with ``changes`` to line 1)."""
    data: dict[str, object] = {
        "utkast": made.pk,
        "omrade": made.area,
        "step": step,
        "submission_key": str(key or uuid.uuid4()),
        "comment": made.comment,
        "form-TOTAL_FORMS": str(made.lines.count()),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "30",
    }
    for index, drafted in enumerate(made.lines.order_by("id")):
        values = {
            "person": drafted.person_id or "",
            "new_person_name": drafted.new_person_name,
            "new_person_email": drafted.new_person_email,
            "employee_number": drafted.employee_number,
            "system_role": drafted.system_role_id,
            "action": drafted.action,
            "valid_from": f"{drafted.valid_from:%d.%m.%Y}",
        }
        if index == 0:
            values.update(changes)
        for name, value in values.items():
            data[f"form-{index}-{name}"] = value
    return client.post(ORDER_PAGE, data, HTTP_ACCEPT_LANGUAGE="nb")


def _page(client: Client, address: str = ORDER_PAGE) -> Any:
    return client.get(address, HTTP_ACCEPT_LANGUAGE="nb")


def test_an_orderer_sees_the_draft_opens_it_prefilled_and_sends_it(
    cast: Cast, orderers: None, hr: ApiClient
) -> None:
    made = draft(hr)
    kari = client_for(cast.kari)
    listing = _page(kari).content.decode()
    assert "Utkast fra integrasjoner" in listing
    assert "HR-systemet" in listing
    assert "1 linje" in listing
    # The area's form lists the area's drafts too; another area's form does not.
    assert "HR-systemet" in _page(kari, f"{ORDER_PAGE}?omrade=lonn").content.decode()
    assert "HR-systemet" not in _page(kari, f"{ORDER_PAGE}?omrade=kundesenter").content.decode()
    opened = _page(kari, f"{ORDER_PAGE}?utkast={made.pk}")
    assert opened.status_code == 200
    assert opened.context["formset"].forms[0].initial["person"] == cast.per.pk
    assert opened.context["form"].initial["comment"] == "Ny i lønnsseksjonen"
    assert f'name="utkast" value="{made.pk}"' in opened.content.decode()
    review = _send(kari, made, step="review")
    assert review.status_code == 200
    assert f'name="utkast" value="{made.pk}"' in review.content.decode()
    sent = _send(kari, made)
    order = Order.objects.get()
    assert sent.status_code == 302
    assert sent["Location"] == order.case.get_absolute_url()
    assert order.ordered_by == cast.kari  # the person orders, never the system
    made.refresh_from_db()
    assert made.state == OrderDraft.State.SUBMITTED
    assert made.order == order
    assert made.ended_by == cast.kari
    assert AuditEvent.objects.filter(action="order.submitted", actor=cast.kari).exists()
    event = AuditEvent.objects.get(action="order_draft.submitted")
    assert event.actor == cast.kari
    assert "HR-systemet" not in _page(kari).content.decode()  # it waits no more


def test_the_orderer_changes_a_line_before_sending(
    cast: Cast, orderers: None, hr: ApiClient
) -> None:
    made = draft(hr)
    response = _send(client_for(cast.kari), made, person=cast.eva.pk)
    assert response.status_code == 302
    (ordered,) = Order.objects.get().lines.all()
    assert ordered.person == cast.eva
    assert made.lines.get().person == cast.per  # what the system sent is kept as it was


@pytest.mark.parametrize(
    ("moment", "plain_member_may"),
    [(LAST_MINUTE_BEFORE, True), (FIRST_MINUTE_OF_CONTROL, False)],
    ids=["17.11.2022-23:59-Oslo", "18.11.2022-00:00-Oslo"],
)
def test_rule_3_decides_whether_a_plain_member_may_send_a_payroll_draft(
    cast: Cast, orderers: None, hr: ApiClient, moment: dt.datetime, plain_member_may: bool
) -> None:
    with time_machine.travel(moment, tick=False):
        made = draft(hr)
        per = client_for(cast.per)
        listed = "HR-systemet" in _page(per).content.decode()
        opened = _page(per, f"{ORDER_PAGE}?utkast={made.pk}")
        sent = _send(per, made)
    made.refresh_from_db()
    assert listed is plain_member_may
    if plain_member_may:
        assert opened.status_code == 200
        assert sent.status_code == 302
        assert Order.objects.get().ordered_by == cast.per
        assert made.state == OrderDraft.State.SUBMITTED
    else:
        assert opened.status_code == 403
        assert "autorisert bestiller lønn" in opened.content.decode()
        assert sent.status_code == 403
        assert "autorisert bestiller lønn" in sent.content.decode()
        assert not Order.objects.exists()
        assert not Case.objects.exists()
        assert made.state == OrderDraft.State.WAITING
        # The service itself asks rule 3 of the person, whatever the view did.
        with time_machine.travel(moment, tick=False), pytest.raises(OrderRefused):
            do_submit_draft(actor=cast.per, draft=made, lines=_inputs(made))
        assert not Order.objects.exists()


def _inputs(made: OrderDraft) -> list[LineInput]:
    return [LineInput.of(line) for line in made.lines.all()]


def test_an_accounting_draft_is_for_the_accounting_orderer_on_any_date(
    cast: Cast, orderers: None, hr: ApiClient
) -> None:
    with time_machine.travel(LAST_MINUTE_BEFORE, tick=False):
        made = draft(hr, "regnskap", line(system_role="regnskapssystem/attestant"))
        for person in (cast.per, cast.kari):  # Kari orders payroll, not accounting
            assert "HR-systemet" not in _page(client_for(person)).content.decode()
            assert _page(client_for(person), f"{ORDER_PAGE}?utkast={made.pk}").status_code == 403
            assert _send(client_for(person), made).status_code == 403
        assert _send(client_for(cast.mona), made).status_code == 302
    assert Order.objects.get().ordered_by == cast.mona


def test_the_outsider_gets_404_and_never_sees_the_draft(
    cast: Cast, orderers: None, hr: ApiClient
) -> None:
    made = draft(hr)
    grant(cast.nina, cast.kystdir, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    nina = client_for(cast.nina)
    assert "HR-systemet" not in _page(nina).content.decode()
    assert _page(nina, f"{ORDER_PAGE}?utkast={made.pk}").status_code == 404
    assert _send(nina, made).status_code == 404
    discard = f"/tilganger/bestill/utkast/{made.pk}/forkast/"
    assert nina.get(discard).status_code == 404
    assert nina.post(discard).status_code == 404
    # The same 404 for a draft that does not exist, and for one that is not a number.
    kari = client_for(cast.kari)
    assert _page(kari, f"{ORDER_PAGE}?utkast={made.pk + 1000}").status_code == 404
    assert _page(kari, f"{ORDER_PAGE}?utkast=x").status_code == 404
    assert _page(kari, f"{ORDER_PAGE}?utkast={10**20}").status_code == 404
    assert kari.get(f"/tilganger/bestill/utkast/{10**20}/forkast/").status_code == 404
    assert kari.post(f"/tilganger/bestill/utkast/{made.pk + 1000}/forkast/").status_code == 404
    made.refresh_from_db()
    assert made.state == OrderDraft.State.WAITING
    anonymous = Client().get(f"{ORDER_PAGE}?utkast={made.pk}")
    assert anonymous.status_code == 302


def test_the_plain_member_cannot_discard_a_payroll_draft(
    cast: Cast, orderers: None, hr: ApiClient
) -> None:
    made = draft(hr)
    per = client_for(cast.per)
    address = f"/tilganger/bestill/utkast/{made.pk}/forkast/"
    page = per.get(address, HTTP_ACCEPT_LANGUAGE="nb")
    assert page.status_code == 403
    assert "autorisert bestiller lønn" in page.content.decode()
    assert per.post(address).status_code == 403
    made.refresh_from_db()
    assert made.state == OrderDraft.State.WAITING
    assert not AuditEvent.objects.filter(action="order_draft.discarded").exists()


def test_a_deactivated_organisation_sends_and_discards_nothing(
    cast: Cast, orderers: None, hr: ApiClient
) -> None:
    made = draft(hr)
    Organisation.objects.filter(pk=cast.fjordetaten.pk).update(is_active=False)
    kari = client_for(cast.kari)
    assert _page(kari, f"{ORDER_PAGE}?utkast={made.pk}").status_code == 403
    assert _send(kari, made).status_code == 403
    assert kari.post(f"/tilganger/bestill/utkast/{made.pk}/forkast/").status_code == 403
    made.refresh_from_db()
    with pytest.raises(OrderRefused):
        do_submit_draft(actor=cast.kari, draft=made, lines=_inputs(made))
    assert not Order.objects.exists()
    assert made.state == OrderDraft.State.WAITING


def test_a_withdrawn_registrations_drafts_are_not_offered(
    cast: Cast, orderers: None, hr: ApiClient
) -> None:
    made = draft(hr)
    hr.withdrawn_at, hr.withdrawn_by = timezone.now(), cast.kari
    hr.save()
    kari = client_for(cast.kari)
    assert "HR-systemet" not in _page(kari).content.decode()
    assert _page(kari, f"{ORDER_PAGE}?utkast={made.pk}").status_code == 404
    assert _send(kari, made).status_code == 404
    assert not Order.objects.exists()


def test_an_orderer_discards_a_draft_after_confirming(
    cast: Cast, orderers: None, hr: ApiClient
) -> None:
    made = draft(hr)
    kari = client_for(cast.kari)
    address = f"/tilganger/bestill/utkast/{made.pk}/forkast/"
    confirm = kari.get(address, HTTP_ACCEPT_LANGUAGE="nb")
    assert confirm.status_code == 200
    assert "Per Testesen" in confirm.content.decode()
    made.refresh_from_db()
    assert made.state == OrderDraft.State.WAITING  # GET only asks
    done = kari.post(address, HTTP_ACCEPT_LANGUAGE="nb")
    assert done.status_code == 302
    made.refresh_from_db()
    assert made.state == OrderDraft.State.DISCARDED
    assert made.ended_by == cast.kari
    assert made.order is None
    event = AuditEvent.objects.get(action="order_draft.discarded")
    assert event.actor == cast.kari
    listing = _page(kari).content.decode()
    assert "Utkastet fra HR-systemet er forkastet." in listing
    assert "Utkast fra integrasjoner" not in listing
    again = _page(kari, f"{ORDER_PAGE}?utkast={made.pk}")
    assert again.status_code == 409
    assert "forkastet av Kari Testesen" in again.content.decode()
    assert _send(kari, made).status_code == 409
    assert kari.post(address).status_code == 409
    assert not Order.objects.exists()
    assert AuditEvent.objects.filter(action="order_draft.discarded").count() == 1


def test_a_draft_is_sent_once_whoever_clicks_twice(
    cast: Cast, orderers: None, hr: ApiClient
) -> None:
    made = draft(hr)
    grant(cast.ola, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    kari = client_for(cast.kari)
    key = uuid.uuid4()
    first = _send(kari, made, key=key)
    again = _send(kari, made, key=key)  # the double click: the same form twice
    order = Order.objects.get()
    assert first["Location"] == again["Location"] == order.case.get_absolute_url()
    second_orderer = _send(client_for(cast.ola), made)
    assert second_orderer.status_code == 409
    assert "sendt av Kari Testesen" in second_orderer.content.decode()
    assert order.case.number in second_orderer.content.decode()
    assert Order.objects.count() == 1
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(action="order_draft.submitted").count() == 1
    with pytest.raises(DraftEnded):
        do_submit_draft(actor=cast.ola, draft=made, lines=_inputs(made))


def test_the_waiting_list_is_read_in_a_few_queries(
    cast: Cast, orderers: None, hr: ApiClient, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        draft(hr, "lonn", line(), line(person_email="eva@example.no"))
    with django_assert_max_num_queries(4):
        shown = waiting_drafts_for(cast.kari, cast.fjordetaten)
    assert len(shown) == 5


def _activity() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT wait_event_type, left(query, 120) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return repr(cursor.fetchall())


def _send_from_another_thread(browser: Client, made: OrderDraft) -> int:
    """One orderer's browser: its own request, on its own database connection."""
    try:
        return int(_send(browser, made).status_code)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_two_orderers_sending_at_once_make_one_order(
    cast: Cast, orderers: None, hr: ApiClient
) -> None:
    made = draft(hr)
    grant(cast.ola, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    kari, ola = client_for(cast.kari), client_for(cast.ola)  # logged in before the lock
    # The pool outside: leaving the block releases the held lock before the pool waits.
    with ThreadPoolExecutor(2) as pool, second_connection() as hold:
        # Kari's submission is held at its order's case, the draft already locked...
        hold.execute("LOCK TABLE cases_case IN SHARE MODE")
        karis = pool.submit(_send_from_another_thread, kari, made)
        wait_for(
            lambda: waiting_on_a_lock('%INSERT INTO "cases_case"%') or karis.done(),
            timeout=20,
            what=_activity,
        )
        assert not karis.done(), karis.result()
        # ...when Ola sends the same draft: he waits for the draft's lock.
        olas = pool.submit(_send_from_another_thread, ola, made)
        wait_for(
            # pg_stat_activity cuts long statements: the FOR UPDATE at the end is not seen.
            lambda: waiting_on_a_lock('SELECT "access_orderdraft"."id"%') or olas.done(),
            timeout=20,
            what=_activity,
        )
        assert not olas.done(), olas.result()
        hold.rollback()  # Kari's submission goes on and commits; then Ola's turn
        assert karis.result(60) == 302
        assert olas.result(60) == 409
    order = Order.objects.get()
    assert order.ordered_by == cast.kari
    made.refresh_from_db()
    assert made.order == order
    assert made.ended_by == cast.kari
    assert Case.objects.count() == 1
