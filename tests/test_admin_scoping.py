"""Every admin page shows a team its own rows, and nothing of the other team's.

Through the pages (not only the querysets, which tests/test_admin_gate.py checks):
Lena (Team lønn) sees the payroll row of every admin in its change list and not
the accounting row; opening the accounting row by its address gives the admin's
"not found"; Ugo (staff in no team) gets nothing; Per (a customer) is sent to the
admin's login. A new admin that is not listed here fails the first test.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from portal.models import User
from tests import test_admin_gate as gate
from tests.conftest import Cast, client_for

# The fixtures of the gate's tests: the staff (Lena, Rolf, Ugo, Siv) and a row of each
# side for every admin's model.
media = gate.media
staff = gate.staff
two_sides = gate.two_sides

SCOPED = {
    "portal.User",
    "portal.Organisation",
    "portal.Membership",
    "portal.ContactCentre",
    "portal.RoleType",
    "portal.RoleAssignment",
    "portal.AuditEvent",
    "cases.SubjectArea",
    "cases.Case",
    "cases.Message",
    "cases.Attachment",
    "cases.AnswerTemplate",
    "access.Appointment",
    "access.Order",
    "access.System",
    "access.SystemRole",
    "access.AccessGrant",
    "access.FullmaktSubmission",
}
# Anonymous answers about pages both teams serve: either team sees them all.
SHARED = {"portal.Feedback"}
# Django's own admins: superusers' work; no team may open them.
# Django's groups, and the task queue's jobs (what runs, what failed: the operators' view).
SUPERUSERS_ONLY = {"auth.Group", "procrastinate.ProcrastinateJob"}


def _admins() -> dict[str, tuple[type[Model], admin.ModelAdmin[Any]]]:
    return {model._meta.label: (model, admin_) for model, admin_ in admin.site._registry.items()}


def _url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _with_every_view_permission(user: User) -> Client:
    """Permissions are not what is tested here: the team's scope is."""
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return client_for(User.objects.get(pk=user.pk))


def _listed(client: Client, model: type[Model]) -> set[Any]:
    response = client.get(_url(model, "changelist"))
    assert response.status_code == 200, model._meta.label
    return {row.pk for row in response.context["cl"].result_list}


def _not_found(response: Any) -> bool:
    """The admin's answer for an object outside the queryset: back to the index with
    a message, or a 404."""
    return response.status_code == 404 or (
        response.status_code == 302 and response["Location"] == reverse("admin:index")
    )


def test_every_registered_admin_is_covered() -> None:
    assert set(_admins()) == SCOPED | SHARED | SUPERUSERS_ONLY


@pytest.mark.parametrize("label", sorted(SCOPED))
def test_a_team_sees_and_opens_only_its_own_rows(
    label: str, cast: Cast, staff: dict[str, User], two_sides: dict[type, tuple[Any, ...]]
) -> None:
    model, _ = _admins()[label]
    payroll_row, accounting_row = two_sides[model]
    lena = _with_every_view_permission(staff["lena"])

    listed = _listed(lena, model)
    assert payroll_row.pk in listed
    assert accounting_row.pk not in listed
    assert lena.get(_url(model, "change", payroll_row.pk)).status_code == 200
    assert _not_found(lena.get(_url(model, "change", accounting_row.pk)))

    # The other team the other way round.
    rolf = _with_every_view_permission(staff["rolf"])
    listed = _listed(rolf, model)
    assert accounting_row.pk in listed
    assert payroll_row.pk not in listed
    assert _not_found(rolf.get(_url(model, "change", payroll_row.pk)))


def _area_choices(client: Client, model: type[Model]) -> list[str]:
    """The query strings the change list's area and category filters offer."""
    response = client.get(_url(model, "changelist"))
    changelist = response.context["cl"]
    return [
        choice["query_string"]
        for spec in changelist.filter_specs
        if getattr(spec, "field_path", "") in ("area", "category")
        for choice in spec.choices(changelist)
    ]


@pytest.mark.parametrize("label", sorted(SCOPED))
def test_a_teams_area_filters_offer_only_what_its_rows_can_hold(
    label: str, cast: Cast, staff: dict[str, User]
) -> None:
    model, _ = _admins()[label]
    lena = _with_every_view_permission(staff["lena"])
    offered = _area_choices(lena, model)
    assert not [choice for choice in offered if "=regnskap" in choice], label
    if not offered:
        return  # this admin has no area filter
    assert [choice for choice in offered if "=lonn" in choice], label
    # Team regnskap the other way round; Siv, in both teams, is offered both.
    rolf = _with_every_view_permission(staff["rolf"])
    assert not [choice for choice in _area_choices(rolf, model) if "=lonn" in choice]
    both = _area_choices(_with_every_view_permission(staff["siv"]), model)
    assert [c for c in both if "=lonn" in c]
    assert [c for c in both if "=regnskap" in c]


@pytest.mark.parametrize("label", sorted(SCOPED | SHARED))
def test_staff_in_no_team_get_nothing(
    label: str, cast: Cast, staff: dict[str, User], two_sides: dict[type, tuple[Any, ...]]
) -> None:
    model, _ = _admins()[label]
    ugo = _with_every_view_permission(staff["ugo"])
    response = ugo.get(_url(model, "changelist"))
    assert response.status_code == 403 or not response.context["cl"].result_list
    if model in two_sides:
        for row in two_sides[model]:
            opened = ugo.get(_url(model, "change", row.pk))
            assert _not_found(opened) or opened.status_code == 403
    # Nor is the section offered on the admin's index.
    index = ugo.get(reverse("admin:index")).content.decode()
    assert _url(model, "changelist") not in index


@pytest.mark.parametrize("label", sorted(SCOPED | SHARED | SUPERUSERS_ONLY))
def test_customers_are_sent_to_the_admin_login(
    label: str, cast: Cast, two_sides: dict[type, tuple[Any, ...]]
) -> None:
    model, _ = _admins()[label]
    urls = [_url(model, "changelist")]
    if model in two_sides:
        urls.append(_url(model, "change", two_sides[model][0].pk))
    for user in (cast.per, cast.nina):
        for url in urls:
            response = client_for(user).get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("admin:login")), url


def test_feedback_is_seen_by_either_team(cast: Cast, staff: dict[str, User]) -> None:
    from django.utils import timezone

    from portal.models import Feedback

    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    answer = Feedback.objects.create(page="/saker/", answer=Feedback.Answer.YES, created_hour=hour)
    for name in ("lena", "rolf"):
        assert answer.pk in _listed(_with_every_view_permission(staff[name]), Feedback)


def test_django_groups_are_for_superusers_only(cast: Cast, staff: dict[str, User]) -> None:
    team = Group.objects.get(name="Team lønn")
    for name in ("lena", "ugo"):
        client = client_for(staff[name])
        assert client.get(_url(Group, "changelist")).status_code == 403
        assert client.get(_url(Group, "change", team.pk)).status_code == 403
    boss = gate.make_superuser("groups")
    assert client_for(boss).get(_url(Group, "change", team.pk)).status_code == 200


def test_the_queues_jobs_are_for_superusers_only(cast: Cast, staff: dict[str, User]) -> None:
    from procrastinate.contrib.django.models import ProcrastinateJob

    from portal.mail import send_email

    job = send_email.defer(email_id=0)
    for name in ("lena", "ugo"):
        client = client_for(staff[name])
        assert client.get(_url(ProcrastinateJob, "changelist")).status_code == 403
        assert client.get(_url(ProcrastinateJob, "change", job)).status_code == 403
    for outsider in (cast.per, cast.nina):  # customers never reach the admin
        assert client_for(outsider).get(_url(ProcrastinateJob, "changelist")).status_code == 302
    boss = client_for(gate.make_superuser("jobs"))
    assert boss.get(_url(ProcrastinateJob, "change", job)).status_code == 200
    assert "portal.send_email" in boss.get(_url(ProcrastinateJob, "changelist")).content.decode()


def test_an_attachment_downloads_only_for_its_team(
    cast: Cast, staff: dict[str, User], two_sides: dict[type, tuple[Any, ...]]
) -> None:
    from cases.models import Attachment

    payroll_file, accounting_file = two_sides[Attachment]
    lena = client_for(staff["lena"])
    page = lena.get(_url(Attachment, "changelist")).content.decode()
    own = reverse("admin:cases_case_attachment", args=[payroll_file.case_id, payroll_file.pk])
    other = reverse(
        "admin:cases_case_attachment", args=[accounting_file.case_id, accounting_file.pk]
    )
    assert own in page
    assert other not in page
    assert lena.get(own).status_code == 200
    assert lena.get(other).status_code == 404


def test_messages_are_found_by_their_text_and_never_changed_here(
    cast: Cast, staff: dict[str, User], two_sides: dict[type, tuple[Any, ...]]
) -> None:
    from cases.models import Message

    payroll_message = two_sides[Message][0]
    lena = client_for(staff["lena"])
    lena.defaults["HTTP_ACCEPT_LANGUAGE"] = "nb"
    found = lena.get(_url(Message, "changelist"), {"q": "Lønnssak"})
    assert [row.pk for row in found.context["cl"].result_list] == [payroll_message.pk]
    # The other team's text is not found either.
    assert (
        not lena.get(_url(Message, "changelist"), {"q": "Regnskapssak"}).context["cl"].result_list
    )
    rows = found.content.decode().split('id="result_list"')[1].split("</table>")[0]
    assert reverse("admin:cases_case_change", args=[payroll_message.case_id]) in rows
    assert "Kunden" in rows  # who wrote it and who sees it, in words
    assert "Synlig for kunden" in rows
    # Read-only: nothing is added, changed or deleted through this list.
    change = _url(Message, "change", payroll_message.pk)
    assert lena.post(change, {"body": "Endret"}).status_code == 403
    assert lena.get(_url(Message, "add")).status_code == 403
    assert (
        lena.post(_url(Message, "delete", payroll_message.pk), {"post": "yes"}).status_code == 403
    )
    payroll_message.refresh_from_db()
    assert payroll_message.body == "Melding om Lønnssak"
