"""The gate: "an active member of this active organisation, now" means one thing everywhere.

A person who left the organisation, or whose organisation (or account) was
deactivated, gets the same answer from every path: the pages, the attachments,
the e-mail, the rules of who may order and appoint, and the commands.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

from access import rules
from cases.models import Message
from cases.notify import recipients
from cases.services import do_add_message
from portal.models import Organisation, RoleAssignment, RoleType
from portal.organisations import active_members, is_active_member, member_organisations
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for, grant
from tests.queue import run_jobs


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _deactivate(organisation: Organisation) -> None:
    organisation.is_active = False
    organisation.save()


def test_the_gate_says_no_for_a_deactivated_organisation_a_former_member_and_an_outsider(
    cast: Cast,
) -> None:
    assert is_active_member(cast.per, cast.fjordetaten)
    assert not is_active_member(cast.nina, cast.fjordetaten)  # the outsider
    assert not is_active_member(cast.siv, cast.fjordetaten)  # staff are members of nothing
    _deactivate(cast.kystdir)
    assert not is_active_member(cast.mona, cast.kystdir)
    assert member_organisations(cast.mona) == [cast.fjordetaten]
    cast.per.memberships.all().delete()
    assert not is_active_member(cast.per, cast.fjordetaten)
    cast.ola.is_active = False
    cast.ola.save()
    assert not is_active_member(cast.ola, cast.fjordetaten)
    assert set(active_members(cast.fjordetaten)) == {cast.kari, cast.eva, cast.mona}


def test_member_of_a_deactivated_organisation_cannot_open_its_case_or_attachment(
    cast: Cast,
) -> None:
    case = make_case(cast.kystdir, cast.mona, with_attachment=True)
    attachment = case.attachments.get()
    client = client_for(cast.mona)
    assert client.get(f"/saker/{case.number}/").status_code == 200
    _deactivate(cast.kystdir)
    # Mona still has Fjordetaten: the Kystdirektoratet case is simply not there for her.
    assert client.get(f"/saker/{case.number}/").status_code == 404
    assert client.get(f"/saker/{case.number}/vedlegg/{attachment.pk}/").status_code == 404
    # Nina has no other organisation: the gate's page, whatever she asks for.
    nina_case = make_case(cast.fjordetaten, cast.per)
    for path in (f"/saker/{case.number}/", f"/saker/{nina_case.number}/", "/saker/", "/"):
        assert client_for(cast.nina).get(path).status_code == 403, path


def test_member_of_a_deactivated_organisation_cannot_write_or_follow(cast: Cast) -> None:
    case = make_case(cast.kystdir, cast.nina)
    _deactivate(cast.kystdir)
    client = client_for(cast.nina)
    response = client.post(
        f"/saker/{case.number}/", {"body": "Hei", "submission_key": str(uuid.uuid4())}
    )
    assert response.status_code == 403
    assert client.post(f"/saker/{case.number}/folg/").status_code == 403
    assert not Message.objects.filter(case=case).exists()


def test_a_former_reporter_gets_no_news_email(cast: Cast, run_jobs) -> None:
    case = make_case(cast.fjordetaten, cast.per)
    cast.per.memberships.all().delete()
    mail.outbox.clear()
    do_add_message(actor=cast.siv, case=case, body="Svar fra kundesenteret")
    assert [(r.task, r.outcome) for r in run_jobs()] == [("cases.tell_news", "succeeded")]
    assert mail.outbox == []
    assert recipients(case) == []


def test_a_reporter_in_a_deactivated_organisation_gets_no_news_email(cast: Cast) -> None:
    case = make_case(cast.kystdir, cast.nina)
    _deactivate(cast.kystdir)
    assert recipients(case) == []


def test_a_follower_who_left_gets_no_news_email_but_the_reporter_does(cast: Cast) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    case = make_case(cast.fjordetaten, cast.per)
    client_for(cast.kari).post(f"/saker/{case.number}/folg/")
    assert {u.username for u in recipients(case)} == {"per", "kari"}
    cast.kari.memberships.all().delete()
    assert {u.username for u in recipients(case)} == {"per"}


def test_the_plain_member_and_the_outsider_are_never_recipients(cast: Cast) -> None:
    case = make_case(cast.fjordetaten, cast.per)
    for user in (cast.ola, cast.nina):  # followed, but may not see the case
        case.followers.create(user=user)
    assert {u.username for u in recipients(case)} == {"per"}


def test_appointers_and_orderers_are_only_active_members(cast: Cast) -> None:
    grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    assert {a.person for a in rules.appointers(cast.fjordetaten, "lonn")} == {cast.ola, cast.kari}
    assert not rules.nobody_can_appoint(cast.fjordetaten, "lonn")
    cast.ola.memberships.all().delete()  # left; the role is history, not authority
    cast.kari.memberships.all().delete()
    assert rules.appointers(cast.fjordetaten, "lonn") == []
    assert rules.orderers(cast.fjordetaten, "lonn") == []
    assert rules.nobody_can_appoint(cast.fjordetaten, "lonn")
    # The register itself still says they held the roles (rule 7).
    assert RoleAssignment.objects.held_today().filter(organisation=cast.fjordetaten).count() == 2


def test_an_orderer_of_a_deactivated_organisation_may_not_order_or_appoint(cast: Cast) -> None:
    grant(cast.mona, cast.kystdir, RoleType.PAYROLL_ORDERER)
    assert rules.may_order(cast.mona, cast.kystdir, "lonn")
    assert rules.may_appoint(cast.mona, cast.kystdir, "lonn")
    _deactivate(cast.kystdir)
    assert not rules.may_order(cast.mona, cast.kystdir, "lonn")
    assert not rules.may_appoint(cast.mona, cast.kystdir, "lonn")


def test_organisations_without_an_orderer_count_only_members(cast: Cast) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    without = Organisation.objects.without_holders_of(RoleType.PAYROLL_ORDERER)
    assert cast.fjordetaten not in without
    cast.kari.memberships.all().delete()
    assert cast.fjordetaten in Organisation.objects.without_holders_of(RoleType.PAYROLL_ORDERER)


def test_login_links_go_only_to_technical_contacts_who_are_members(cast: Cast) -> None:
    grant(cast.per, cast.fjordetaten, RoleType.TECHNICAL_CONTACT)
    grant(cast.eva, cast.fjordetaten, RoleType.TECHNICAL_CONTACT)
    cast.eva.memberships.all().delete()
    mail.outbox.clear()
    call_command("send_login_links", "--org", "fjordetaten")
    run_jobs()
    assert [m.to for m in mail.outbox] == [[cast.per.email]]


def test_the_export_command_refuses_a_former_member(cast: Cast, tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    cast.per.memberships.all().delete()
    with pytest.raises(CommandError, match="not an active member"):
        call_command(
            "export_cases",
            "--organisation-slug",
            "fjordetaten",
            "--username",
            "per",
            "--out",
            str(tmp_path / "x.xlsx"),
        )


def test_grandfathering_skips_a_fullmakt_holder_who_has_left(cast: Cast) -> None:
    import datetime as dt

    from access.grandfathering import grandfather_payroll_orderers
    from portal.dates import today as oslo_today

    grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT, valid_from=dt.date(2021, 1, 1))
    grant(cast.mona, cast.fjordetaten, RoleType.FULLMAKT, valid_from=dt.date(2021, 1, 1))
    cast.mona.memberships.filter(organisation=cast.fjordetaten).delete()
    outcomes = {
        grant.fullmakt.person.username: grant.outcome
        for grant in grandfather_payroll_orderers(
            as_of=oslo_today(),
            dry_run=True,
        )
    }
    assert outcomes == {"ola": "would grant", "mona": "not a member"}


def test_a_message_from_someone_who_cannot_see_the_case_is_refused_by_the_service(
    cast: Cast,
) -> None:
    from portal.services import Refused

    case = make_case(cast.fjordetaten, cast.per)
    for outsider in (cast.ola, cast.nina):  # the plain colleague and the outsider
        with pytest.raises(Refused):
            do_add_message(actor=outsider, case=case, body="Hei")
    assert not Message.objects.filter(case=case).exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_message_sent_ten_times_at_once_is_stored_once(cast: Cast) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    case = make_case(cast.fjordetaten, cast.per)
    data = {"body": "Sendt i full fart", "submission_key": str(uuid.uuid4())}

    def send(_: int) -> int:
        try:
            return client_for(cast.per).post(f"/saker/{case.number}/", data).status_code
        finally:
            connection.close()  # each thread's own connection

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(send, range(10)))
    assert statuses == [302] * 10
    assert Message.objects.filter(case=case).count() == 1
