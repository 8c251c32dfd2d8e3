from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from access.integrations import may_manage_integrations
from access.models import OrderDraft
from cases.models import Case, TitleTrigram
from cases.search import SAMPLED
from portal.demo import DEMO_API_CLIENT_ID, DEMO_PASSWORD
from portal.models import ApiClient, AuditEvent, Membership, Organisation, RoleAssignment, User
from portal.organisations import active_members, client_in_force
from tests.conftest import client_for


def test_seed_demo_loads_once_and_is_idempotent(db: None, settings, tmp_path) -> None:
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    counts = (User.objects.count(), Membership.objects.count(), Case.objects.count())
    roles = RoleAssignment.objects.count()
    call_command("seed_demo")
    assert (User.objects.count(), Membership.objects.count(), Case.objects.count()) == counts
    assert RoleAssignment.objects.count() == roles
    assert Case.objects.count() >= 200
    assert Case.objects.order_by().values("status").distinct().count() == len(Case.Status)
    assert Case.objects.order_by().values("channel").distinct().count() == len(Case.Channel)
    mona = User.objects.get(username="mona")
    assert mona.memberships.count() == 2
    assert mona.check_password(DEMO_PASSWORD)
    # The title search's sample is taken, as production's nightly run does.
    assert TitleTrigram.objects.filter(trigram=SAMPLED).exists()


def test_the_demo_hr_system_is_registered_for_the_dev_issuers_default_client(
    db: None, settings, tmp_path
) -> None:
    """`manage.py dev_issuer token` mints for "demo-hr" of Fjordetaten (974000016): the demo
    registers it, through the service, by an orderer there; some demo cases came through it."""
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    call_command("seed_demo")
    fjordetaten = Organisation.objects.get(org_number="974000016")
    client = ApiClient.objects.get(client_id=DEMO_API_CLIENT_ID)
    assert DEMO_API_CLIENT_ID == "demo-hr"
    assert client.organisation == fjordetaten
    assert client_in_force(client, fjordetaten)
    # What Kari (autorisert bestiller lønn) may give a system: nothing of accounting.
    assert client.permissions == ["file_lonn", "read_own", "draft_orders"]
    assert client.registered_by.username == "kari"
    assert may_manage_integrations(client.registered_by, fjordetaten)
    assert AuditEvent.objects.filter(action="api_client.registered").count() == 1
    filed = Case.objects.filter(channel=Case.Channel.API)
    assert filed.exists()
    assert set(filed.values_list("api_client", flat=True)) == {client.pk}
    assert not filed.filter(reported_by__isnull=False).exists()
    # Its draft waits for an orderer (once, however often the seed runs).
    (draft,) = OrderDraft.objects.filter(organisation=fjordetaten)
    assert (draft.api_client, draft.state) == (client, OrderDraft.State.WAITING)


def test_seed_demo_refuses_without_debug(db: None) -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()


def _ways_out(member: User, area: str) -> list[str]:
    """What ``member`` is offered on /tilganger/bestillere/ to get ``area`` an orderer."""
    response = client_for(member).get("/tilganger/bestillere/")
    html = response.content.decode()
    ways = []
    form = response.context["form"]
    offered = form is not None and area in dict(form.fields["area"].choices)
    if offered and form.fields["person"].queryset.exists():
        ways.append("appoint")
    start = html.index(f'id="area-{area}"')
    if "/skjema/fullmakt.xlsx" in html[start : html.index("</section>", start)]:
        ways.append("fullmakt form")
    return ways


def test_every_demo_organisation_has_a_member_who_can_appoint_or_sees_the_form_path(
    db: None, settings, tmp_path
) -> None:
    """No organisation in the demo is stuck: for each area it buys, one of its members is
    offered the appointment form with someone to appoint, or is shown the fullmakt-form
    path (rule 5)."""
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    for organisation in Organisation.objects.active():
        members = list(active_members(organisation))
        for area in organisation.areas:
            assert any(_ways_out(member, area) for member in members), (
                f"{organisation} is stuck for {area}"
            )
