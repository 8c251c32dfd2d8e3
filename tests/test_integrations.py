"""Issue 17, point 3: the organisation decides which of its systems may use the API.

Kari (autorisert bestiller lønn) and Ola (fullmakt) register Fjordetaten's systems on
Min side, change them and withdraw them; Per (a plain member) is told whom to ask,
and his forged POSTs store nothing; Nina (another organisation) never sees
Fjordetaten's registrations. Every change is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from access.integrations import (
    do_change_client,
    do_register_client,
    do_withdraw_client,
    may_manage_integrations,
    offered_permissions,
)
from portal.audit_text import action_label, changes_summary
from portal.dates import today as oslo_today
from portal.demo import org_number
from portal.models import ApiClient, AuditEvent, Organisation, RoleAssignment, RoleType
from portal.organisations import client_in_force
from portal.services import Refused, do_end_role
from tests.conftest import Cast, client_for, grant, make_user

LIST = "/min-side/integrasjoner/"
NEW = "/min-side/integrasjoner/ny/"


def _change(client: ApiClient) -> str:
    return f"/min-side/integrasjoner/{client.pk}/endre/"


def _withdraw(client: ApiClient) -> str:
    return f"/min-side/integrasjoner/{client.pk}/trekk-tilbake/"


@pytest.fixture
def roles(cast: Cast) -> dict[str, RoleAssignment]:
    return {
        "kari": grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER),
        "ola": grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT),
    }


@pytest.fixture
def hr_system(cast: Cast, roles: dict) -> ApiClient:
    return do_register_client(
        actor=cast.kari,
        organisation=cast.fjordetaten,
        client_id="hr-1",
        name="HR-systemet",
        permissions=[ApiClient.Permission.FILE_PAYROLL, ApiClient.Permission.READ_OWN],
    )


def _register(client: Client, language: str = "nb", **overrides: Any) -> Any:
    data: dict[str, Any] = {
        "name": "Personalsystemet",
        "client_id": "0c4a2f5e-7b1d-4f7a-9a0e-2d5c1b3e8f61",
        "permissions": ["file_lonn", "read_own"],
    }
    data.update(overrides)
    return client.post(NEW, data, HTTP_ACCEPT_LANGUAGE=language)


# --- Who may ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["kari", "ola"])
def test_orderer_or_fullmakt_holder_registers_a_system(cast: Cast, roles: dict, who: str) -> None:
    person = getattr(cast, who)
    response = _register(client_for(person))
    assert response.status_code == 302
    assert response["Location"] == LIST
    registered = ApiClient.objects.get()
    assert registered.organisation == cast.fjordetaten
    assert registered.client_id == "0c4a2f5e-7b1d-4f7a-9a0e-2d5c1b3e8f61"
    assert registered.name == "Personalsystemet"
    assert registered.permissions == ["file_lonn", "read_own"]
    assert registered.registered_by == person
    assert client_in_force(registered, cast.fjordetaten)
    event = AuditEvent.objects.get(action="api_client.registered")
    assert event.actor == person
    assert event.organisation == cast.fjordetaten
    assert event.before is None
    assert event.after == {
        "api_client": registered.pk,
        "client_id": "0c4a2f5e-7b1d-4f7a-9a0e-2d5c1b3e8f61",
        "name": "Personalsystemet",
        "permissions": ["file_lonn", "read_own"],
    }
    page = client_for(person).get(LIST, HTTP_ACCEPT_LANGUAGE="nb")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Personalsystemet" in html
    assert "Melde inn saker om lønn" in html
    assert str(person) in html  # registered by


def test_an_accounting_orderer_may_manage_too(cast: Cast) -> None:
    grant(cast.mona, cast.fjordetaten, RoleType.ACCOUNTING_ORDERER)
    assert may_manage_integrations(cast.mona, cast.fjordetaten)
    assert client_for(cast.mona).get(LIST).status_code == 200


def test_extended_access_or_a_contact_role_is_not_enough(cast: Cast) -> None:
    grant(cast.per, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    grant(cast.per, cast.fjordetaten, "kontaktperson-it-teknisk")
    assert not may_manage_integrations(cast.per, cast.fjordetaten)


def test_plain_member_is_refused_and_told_whom_to_ask(cast: Cast, hr_system: ApiClient) -> None:
    per = client_for(cast.per)
    for address in (LIST, NEW, _change(hr_system), _withdraw(hr_system)):
        response = per.get(address, HTTP_ACCEPT_LANGUAGE="nb")
        assert response.status_code == 403, address
        html = response.content.decode()
        assert "Du kan ikke administrere virksomhetens integrasjoner" in html
        assert "Kari Testesen" in html
        assert "Ola Testesen" in html
        assert "HR-systemet" not in html  # nothing of the registrations


def test_with_nobody_to_ask_the_refusal_shows_how_to_get_an_orderer(cast: Cast) -> None:
    html = client_for(cast.per).get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nobody in your organisation holds one of these roles now." in html
    assert "/tilganger/bestillere/" in html


def test_forged_post_by_a_plain_member_stores_nothing(cast: Cast, hr_system: ApiClient) -> None:
    per = client_for(cast.per)
    events = AuditEvent.objects.count()
    assert _register(per).status_code == 403
    changed = per.post(
        _change(hr_system), {"name": "Mitt system", "permissions": ["read_lonn", "file_lonn"]}
    )
    assert changed.status_code == 403
    assert per.post(_withdraw(hr_system), {"confirm": "yes"}).status_code == 403
    hr_system.refresh_from_db()
    assert hr_system.name == "HR-systemet"
    assert hr_system.permissions == ["file_lonn", "read_own"]
    assert hr_system.withdrawn_at is None
    assert ApiClient.objects.count() == 1
    assert AuditEvent.objects.count() == events
    # The services say no as well, whatever a view would have done.
    with translation.override("en"), pytest.raises(Refused, match="fullmakt holder"):
        do_register_client(
            actor=cast.per,
            organisation=cast.fjordetaten,
            client_id="per-1",
            name="Pers",
            permissions=["read_own"],
        )
    with pytest.raises(Refused):
        do_change_client(actor=cast.per, client=hr_system, name="X", permissions=["read_own"])
    with pytest.raises(Refused):
        do_withdraw_client(actor=cast.per, client=hr_system)


def test_outsider_never_reaches_another_organisations_registrations(
    cast: Cast, hr_system: ApiClient
) -> None:
    # Nina may manage Kystdirektoratet's systems, and Fjordetaten's are not found.
    grant(cast.nina, cast.kystdir, RoleType.FULLMAKT)
    nina = client_for(cast.nina)
    listing = nina.get(LIST)
    assert listing.status_code == 200
    assert "HR-systemet" not in listing.content.decode()
    assert nina.get(_change(hr_system)).status_code == 404
    assert nina.get(_withdraw(hr_system)).status_code == 404
    assert nina.post(_withdraw(hr_system), {"confirm": "yes"}).status_code == 404
    missing = ApiClient(pk=hr_system.pk + 1000)
    assert nina.get(_change(missing)).status_code == 404  # the same answer as for none
    with pytest.raises(Refused):
        do_withdraw_client(actor=cast.nina, client=hr_system)
    hr_system.refresh_from_db()
    assert hr_system.withdrawn_at is None


def test_anonymous_and_someone_without_an_organisation(cast: Cast, hr_system: ApiClient) -> None:
    for address in (LIST, NEW, _change(hr_system)):
        response = Client().get(address)
        assert response.status_code == 302
        assert response["Location"].startswith("/logg-inn/")
    loner = make_user("ute")
    response = client_for(loner).get(LIST)
    assert response.status_code == 403
    assert "portal/no_membership.html" in [t.name for t in response.templates]


def test_member_of_a_deactivated_organisation_cannot_manage_integrations(
    cast: Cast, hr_system: ApiClient
) -> None:
    cast.fjordetaten.is_active = False
    cast.fjordetaten.save()
    kari = client_for(cast.kari)
    assert kari.get(LIST).status_code == 403
    assert _register(kari).status_code == 403
    assert kari.post(_withdraw(hr_system), {"confirm": "yes"}).status_code == 403
    assert not may_manage_integrations(cast.kari, cast.fjordetaten)
    with pytest.raises(Refused):
        do_withdraw_client(actor=cast.kari, client=hr_system)
    with pytest.raises(Refused):
        do_register_client(
            actor=cast.kari,
            organisation=cast.fjordetaten,
            client_id="hr-2",
            name="Nytt",
            permissions=["read_own"],
        )
    hr_system.refresh_from_db()
    assert hr_system.withdrawn_at is None
    assert ApiClient.objects.count() == 1


def test_an_orderer_whose_role_ended_is_refused(cast: Cast, roles: dict) -> None:
    do_end_role(
        actor=None,
        assignment=roles["kari"],
        valid_to=oslo_today() - dt.timedelta(days=1),
        basis=RoleAssignment.Basis.STAFF,
    )
    assert not may_manage_integrations(cast.kari, cast.fjordetaten)
    assert _register(client_for(cast.kari)).status_code == 403
    assert not ApiClient.objects.exists()


def test_min_side_links_to_the_integrations_for_those_who_may(cast: Cast, roles: dict) -> None:
    for person, shown in ((cast.kari, True), (cast.ola, True), (cast.per, False)):
        html = client_for(person).get("/min-side/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
        assert (LIST in html) is shown, person
        assert ("Administrer virksomhetens integrasjoner" in html) is shown, person


# --- What is accepted ------------------------------------------------------------------


def test_a_client_id_in_force_cannot_be_registered_twice(cast: Cast, hr_system: ApiClient) -> None:
    response = _register(client_for(cast.ola), client_id="hr-1", name="Et annet navn")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Klient-ID-en hr-1 er allerede registrert for Fjordetaten, som HR-systemet." in html
    assert 'value="Et annet navn"' in html  # what was typed is kept
    assert ApiClient.objects.count() == 1
    with translation.override("en"), pytest.raises(Refused, match="already registered"):
        do_register_client(
            actor=cast.ola,
            organisation=cast.fjordetaten,
            client_id="hr-1",
            name="Igjen",
            permissions=["read_own"],
        )
    # Another organisation may register the same client (a supplier's system, say).
    grant(cast.nina, cast.kystdir, RoleType.FULLMAKT)
    assert _register(client_for(cast.nina), client_id="hr-1").status_code == 302
    assert ApiClient.objects.filter(client_id="hr-1").count() == 2


def test_a_permission_of_an_area_not_bought_is_refused(db: None) -> None:
    archive = Organisation.objects.create(
        name="Statens arkivtjeneste",
        org_number=org_number("98100004"),
        slug="arkiv",
        buys_accounting=False,
    )
    lise = make_user("lise", archive)
    grant(lise, archive, RoleType.FULLMAKT)
    assert [p.value for p in offered_permissions(archive)] == [
        "file_lonn",
        "read_own",
        "read_lonn",
        "draft_orders",
    ]
    lise_client = client_for(lise)
    form = lise_client.get(NEW, HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert 'value="file_lonn"' in form
    assert 'value="file_regnskap"' not in form
    assert 'value="read_regnskap"' not in form
    response = _register(lise_client, permissions=["file_lonn", "read_regnskap"])
    assert response.status_code == 400
    assert (
        "Statens arkivtjeneste kjøper ikke regnskap hos oss, så et system kan ikke få "
        "«Lese alle virksomhetens saker om regnskap»." in response.content.decode()
    )
    assert not ApiClient.objects.exists()
    with translation.override("en"), pytest.raises(Refused, match="does not buy accounting"):
        do_register_client(
            actor=lise,
            organisation=archive,
            client_id="x",
            name="X",
            permissions=["file_regnskap"],
        )


BAD_INPUT = [
    ({"name": ""}, "Navn på systemet: Feltet er påkrevet."),
    ({"name": "   "}, "Navn på systemet: Feltet er påkrevet."),
    ({"name": "a\x07b"}, "Navn på systemet: Navnet kan ikke inneholde kontrolltegn."),
    ({"name": "x" * 101}, "Navn på systemet: "),
    ({"client_id": ""}, "Klient-ID i Maskinporten: Feltet er påkrevet."),
    ({"client_id": "hr 1"}, "Klient-ID i Maskinporten: Skriv klient-ID-en nøyaktig slik"),
    ({"client_id": "ærlig"}, "Klient-ID i Maskinporten: Skriv klient-ID-en nøyaktig slik"),
    ({"client_id": "9" * 101}, "Klient-ID i Maskinporten: "),
    ({"permissions": []}, "Hva kan systemet gjøre?: Velg minst én ting systemet kan gjøre."),
    ({"permissions": ["root"]}, "Hva kan systemet gjøre?: Velg et gyldig valg."),
]


@pytest.mark.parametrize(("overrides", "error"), BAD_INPUT)
def test_bad_input_keeps_what_was_typed_and_stores_nothing(
    cast: Cast, roles: dict, overrides: dict, error: str
) -> None:
    typed: dict[str, Any] = {
        "name": "Lønnsrobot",
        "client_id": "robot-7",
        "permissions": ["draft_orders"],
    }
    typed.update(overrides)
    response = _register(client_for(cast.kari), **typed)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert error in html.replace("&quot;", '"')
    if "name" not in overrides:
        assert 'value="Lønnsrobot"' in html
    if "permissions" not in overrides:
        assert re.search(r'<input[^>]*value="draft_orders"[^>]*checked', html)
    assert not ApiClient.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="api_client.").exists()


def test_the_summary_links_each_error_to_its_input(cast: Cast, roles: dict) -> None:
    response = _register(client_for(cast.kari), name="", client_id="", permissions=[])
    html = response.content.decode()
    for input_id in ("id_name", "id_client_id", "id_permissions_0"):
        assert f'href="#{input_id}"' in html
        assert f'id="{input_id}"' in html
    # Each checkbox is described by its plain explanation, inside a fieldset with a legend.
    assert 'aria-describedby="id_permissions_0_help"' in html
    assert 'id="id_permissions_0_help"' in html
    assert "<legend" in html


# --- Change and withdraw ---------------------------------------------------------------


def test_change_writes_before_and_after_and_keeps_the_client_id(
    cast: Cast, hr_system: ApiClient
) -> None:
    ola = client_for(cast.ola)
    page = ola.get(_change(hr_system), HTTP_ACCEPT_LANGUAGE="nb")
    assert page.status_code == 200
    assert 'name="client_id"' not in page.content.decode()
    response = ola.post(
        _change(hr_system),
        {"name": "HR-systemet (ny)", "permissions": ["read_own", "read_lonn"], "client_id": "x"},
    )
    assert response.status_code == 302
    hr_system.refresh_from_db()
    assert hr_system.name == "HR-systemet (ny)"
    assert hr_system.permissions == ["read_own", "read_lonn"]
    assert hr_system.client_id == "hr-1"
    event = AuditEvent.objects.get(action="api_client.changed")
    assert event.actor == cast.ola
    assert event.before == {
        "api_client": hr_system.pk,
        "client_id": "hr-1",
        "name": "HR-systemet",
        "permissions": ["file_lonn", "read_own"],
    }
    assert event.after == {
        "api_client": hr_system.pk,
        "client_id": "hr-1",
        "name": "HR-systemet (ny)",
        "permissions": ["read_own", "read_lonn"],
    }


def test_changing_nothing_writes_nothing(cast: Cast, hr_system: ApiClient) -> None:
    response = client_for(cast.kari).post(
        _change(hr_system),
        {"name": "HR-systemet", "permissions": ["read_own", "file_lonn"]},
        HTTP_ACCEPT_LANGUAGE="nb",
        follow=True,
    )
    assert "Ingenting ble endret." in response.content.decode()
    assert not AuditEvent.objects.filter(action="api_client.changed").exists()


def test_bad_input_on_change_keeps_what_was_typed(cast: Cast, hr_system: ApiClient) -> None:
    response = client_for(cast.kari).post(
        _change(hr_system), {"name": "Nytt navn", "permissions": []}, HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert response.status_code == 400
    assert 'value="Nytt navn"' in response.content.decode()
    hr_system.refresh_from_db()
    assert hr_system.name == "HR-systemet"


def test_withdraw_asks_first_then_withdraws_for_good(cast: Cast, hr_system: ApiClient) -> None:
    kari = client_for(cast.kari)
    confirm = kari.get(_withdraw(hr_system), HTTP_ACCEPT_LANGUAGE="nb")
    assert confirm.status_code == 200
    assert "Trekke tilbake HR-systemet?" in confirm.content.decode()
    assert kari.post(_withdraw(hr_system)).status_code == 200  # not confirmed: asked again
    hr_system.refresh_from_db()
    assert hr_system.withdrawn_at is None

    response = kari.post(_withdraw(hr_system), {"confirm": "yes"})
    assert response.status_code == 302
    hr_system.refresh_from_db()
    assert hr_system.withdrawn_at is not None
    assert hr_system.withdrawn_by == cast.kari
    assert not client_in_force(hr_system, cast.fjordetaten)
    event = AuditEvent.objects.get(action="api_client.withdrawn")
    assert event.before is not None
    assert "withdrawn_at" not in event.before
    assert event.after is not None
    assert event.after["withdrawn_at"] == hr_system.withdrawn_at.isoformat()
    assert event.after["client_id"] == "hr-1"

    # It cannot be changed or withdrawn again...
    assert kari.get(_change(hr_system)).status_code == 302
    refused = kari.post(_change(hr_system), {"name": "Z", "permissions": ["read_own"]})
    assert refused.status_code == 302
    with translation.override("en"), pytest.raises(Refused, match="cannot be changed"):
        do_change_client(actor=cast.kari, client=hr_system, name="Z", permissions=["read_own"])
    with translation.override("en"), pytest.raises(Refused, match="already withdrawn"):
        do_withdraw_client(actor=cast.kari, client=hr_system)
    hr_system.refresh_from_db()
    assert hr_system.name == "HR-systemet"
    assert AuditEvent.objects.filter(action__startswith="api_client.").count() == 2


def test_withdrawn_is_history_and_the_client_id_can_be_registered_anew(
    cast: Cast, hr_system: ApiClient
) -> None:
    do_withdraw_client(actor=cast.ola, client=hr_system)
    response = _register(client_for(cast.kari), client_id="hr-1", name="HR-systemet igjen")
    assert response.status_code == 302
    again = ApiClient.objects.get(withdrawn_at__isnull=True)
    assert again.pk != hr_system.pk
    assert again.client_id == "hr-1"
    hr_system.refresh_from_db()
    assert hr_system.withdrawn_at is not None  # the old one stays withdrawn
    page = client_for(cast.kari).get(LIST, HTTP_ACCEPT_LANGUAGE="nb")
    assert [c.pk for c in page.context["in_force"]] == [again.pk]
    assert [c.pk for c in page.context["withdrawn"]] == [hr_system.pk]
    html = page.content.decode()
    assert "Registreringer som er trukket tilbake" in html
    assert "Ola Testesen" in html  # who withdrew it


def test_the_list_page_says_how_to_connect_a_system(cast: Cast, roles: dict, settings) -> None:
    settings.MASKINPORTEN_SCOPES = ["dfo:kundesenter"]
    html = client_for(cast.kari).get(LIST, HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "<code>dfo:kundesenter</code>" in html
    assert 'href="/api/v1/docs"' in html
    assert client_for(cast.kari).get("/api/v1/docs").status_code == 200  # the link leads somewhere
    assert "Maskinporten" in html
    assert "Ingen systemer er registrert." in html


def test_the_list_warns_of_cases_a_system_reports_that_nobody_here_sees(
    cast: Cast, hr_system: ApiClient
) -> None:
    warning = "Ingen i Fjordetaten ser sakene HR-systemet melder inn om lønn"
    kari = client_for(cast.kari)
    assert warning in kari.get(LIST, HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    nn = kari.get(LIST, HTTP_ACCEPT_LANGUAGE="nn").content.decode()
    assert "Ingen i Fjordetaten ser sakene HR-systemet melder inn om løn" in nn
    # A role of someone deactivated counts for nothing (the gate): still unseen.
    gone = make_user("gone", cast.fjordetaten)
    grant(gone, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    gone.is_active = False
    gone.save()
    assert warning in kari.get(LIST, HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    # Someone of another organisation with the role does not help either.
    grant(cast.nina, cast.kystdir, RoleType.EXTENDED_PAYROLL)
    assert warning in kari.get(LIST, HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    grant(cast.per, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    assert warning not in kari.get(LIST, HTTP_ACCEPT_LANGUAGE="nb").content.decode()


def test_a_system_that_only_reads_or_drafts_gets_no_warning(cast: Cast, roles: dict) -> None:
    do_register_client(
        actor=cast.kari,
        organisation=cast.fjordetaten,
        client_id="reader",
        name="Leseren",
        permissions=["read_own", "draft_orders"],
    )
    html = client_for(cast.kari).get(LIST, HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Leseren" in html
    assert "ser sakene" not in html


def test_the_list_asks_the_same_number_of_queries_for_many_registrations(
    cast: Cast, roles: dict, django_assert_max_num_queries: Any
) -> None:
    kari = client_for(cast.kari)
    do_register_client(
        actor=cast.kari,
        organisation=cast.fjordetaten,
        client_id="one",
        name="En",
        permissions=["read_own"],
    )
    with CaptureQueriesContext(connection) as one:
        kari.get(LIST)
    for number in range(5):
        client = do_register_client(
            actor=cast.ola if number % 2 else cast.kari,
            organisation=cast.fjordetaten,
            client_id=f"many-{number}",
            name=f"System {number}",
            permissions=["read_own"],
        )
        if number % 2:
            do_withdraw_client(actor=cast.ola, client=client)
    with django_assert_max_num_queries(len(one.captured_queries)):
        kari.get(LIST)


# --- The audit trail in words ----------------------------------------------------------


def test_the_audit_trail_reads_the_events_in_norwegian(cast: Cast, hr_system: ApiClient) -> None:
    do_change_client(
        actor=cast.kari,
        client=hr_system,
        name="HR-systemet",
        permissions=["read_own", "draft_orders"],
    )
    event = AuditEvent.objects.get(action="api_client.changed")
    with translation.override("nb"):
        assert action_label("api_client.registered") == "System registrert for API-et"
        assert action_label("api_client.withdrawn") == (
            "Systemets registrering for API-et trukket tilbake"
        )
        assert changes_summary(event.before, event.after, event.action) == [
            (
                "kan",
                "Melde inn saker om lønn; Lese sakene det har meldt inn, og skrive i dem"
                " → Lese sakene det har meldt inn, og skrive i dem; "
                "Lage utkast til tilgangsbestillinger",
            )
        ]
    with translation.override("nn"):
        assert action_label("api_client.changed") == "Registreringa av systemet for API-et endra"


def test_the_audit_page_of_the_admin_shows_the_events(cast: Cast, hr_system: ApiClient) -> None:
    cast.siv.is_superuser = True
    cast.siv.save()
    response = client_for(cast.siv).get("/admin/portal/auditevent/", HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 200
    html = response.content.decode()
    assert "System registrert for API-et" in html
    assert ">api_client.registered<" not in html  # the code only in a filter's address


# --- Nobody gives a system more than they could get a person -------------------------


def test_an_area_s_permissions_need_that_area_s_orderer_or_fullmakt(
    cast: Cast, roles: dict[str, RoleAssignment]
) -> None:
    """Kari orders payroll only: she may not let a system read or file accounting cases
    (she could not see them herself); Ola holds fullmakt and may."""
    with pytest.raises(Refused, match="regnskap"):
        do_register_client(
            actor=cast.kari,
            organisation=cast.fjordetaten,
            client_id="okonomi",
            name="Økonomisystemet",
            permissions=[ApiClient.Permission.READ_ACCOUNTING],
        )
    forged = _register(client_for(cast.kari), permissions=["read_regnskap"])
    assert forged.status_code == 400
    assert not ApiClient.objects.filter(permissions__contains=["read_regnskap"]).exists()
    page = client_for(cast.kari).get(NEW).content.decode()
    assert 'value="read_lonn"' in page
    assert 'value="read_regnskap"' not in page
    made = do_register_client(
        actor=cast.ola,
        organisation=cast.fjordetaten,
        client_id="okonomi",
        name="Økonomisystemet",
        permissions=[ApiClient.Permission.READ_ACCOUNTING, ApiClient.Permission.READ_OWN],
    )
    assert made.permissions == ["read_own", "read_regnskap"]


def test_what_someone_else_granted_stays_when_kari_changes_the_rest(
    cast: Cast, roles: dict[str, RoleAssignment]
) -> None:
    system = do_register_client(
        actor=cast.ola,
        organisation=cast.fjordetaten,
        client_id="okonomi",
        name="Økonomisystemet",
        permissions=[ApiClient.Permission.READ_ACCOUNTING],
    )
    page = client_for(cast.kari).get(_change(system)).content.decode()
    assert "Lese alle virksomhetens saker om regnskap" in page  # named, not a checkbox
    assert 'value="read_regnskap"' not in page
    response = client_for(cast.kari).post(
        _change(system), {"name": "Økonomi", "permissions": ["read_own"]}
    )
    assert response.status_code == 302
    system.refresh_from_db()
    assert (system.name, system.permissions) == ("Økonomi", ["read_own", "read_regnskap"])
