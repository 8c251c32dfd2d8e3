"""The organisation's own systems and what each may do through the API (issue 17, point 3).

An agency decides which of its systems may use the API: an authorised orderer
(payroll or accounting) or a fullmakt holder registers each system's
Maskinporten client id on Min side, with what it may do. A token is only as
good as its registration (``portal.organisations.client_in_force``).

A registration is never edited into another system: its client id stays what it
was registered with. Withdrawing one ends it for good (it stays as history, and
in the audit trail); registering the same client id again makes a new one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from access import rules
from portal.dates import shown_moment
from portal.models import (
    ApiClient,
    Area,
    Organisation,
    RoleAssignment,
    RoleType,
    User,
    extended_access_role,
)
from portal.services import Refused, write_audit

# Who may register, change and withdraw the organisation's systems.
MANAGING_ROLES = (RoleType.PAYROLL_ORDERER, RoleType.ACCOUNTING_ORDERER, RoleType.FULLMAKT)

# The permissions that belong to one area: offered only to an organisation that buys it.
PERMISSION_AREA: dict[str, Area] = {
    ApiClient.Permission.FILE_PAYROLL: Area.PAYROLL,
    ApiClient.Permission.READ_PAYROLL: Area.PAYROLL,
    ApiClient.Permission.FILE_ACCOUNTING: Area.ACCOUNTING,
    ApiClient.Permission.READ_ACCOUNTING: Area.ACCOUNTING,
}

# The permissions that let a system report cases in an area.
FILING: dict[str, Area] = {
    ApiClient.Permission.FILE_PAYROLL: Area.PAYROLL,
    ApiClient.Permission.FILE_ACCOUNTING: Area.ACCOUNTING,
}

# What each permission means, in the words of the person who grants it.
PERMISSION_HELP: dict[str, Promise] = {
    ApiClient.Permission.FILE_PAYROLL: gettext_lazy(
        "The system may report new cases, with attachments, to the payroll customer centre."
    ),
    ApiClient.Permission.FILE_ACCOUNTING: gettext_lazy(
        "The system may report new cases, with attachments, to the accounting customer centre."
    ),
    ApiClient.Permission.READ_OWN: gettext_lazy(
        "The system may follow the cases it reported itself: read the conversation and answer."
    ),
    ApiClient.Permission.READ_PAYROLL: gettext_lazy(
        "The system may read every payroll case of the organisation, whoever reported it, "
        "like a person with extended access (utvidet tilgang lønn)."
    ),
    ApiClient.Permission.READ_ACCOUNTING: gettext_lazy(
        "The system may read every accounting case of the organisation, whoever reported it, "
        "like a person with extended access (utvidet tilgang regnskap)."
    ),
    ApiClient.Permission.DRAFT_ORDERS: gettext_lazy(
        "The system may prepare orders for roles and access. Only an authorised orderer can "
        "send them: they see the draft in the customer centre and decide."
    ),
}

# Maskinporten's client ids are UUIDs; any visible ASCII without spaces is taken, as a
# test issuer's may be a word ("demo-hr"). Matched exactly against the token's client_id.
CLIENT_ID = re.compile(r"^[\x21-\x7e]+$")
CLIENT_ID_MAX = ApiClient._meta.get_field("client_id").max_length or 100
NAME_MAX = ApiClient._meta.get_field("name").max_length or 100
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def may_manage_integrations(user: User, organisation: Organisation) -> bool:
    """May ``user`` register, change and withdraw ``organisation``'s API clients now?

    An active member who holds autorisert bestiller lønn, autorisert bestiller
    regnskap or fullmakt there today: those who already decide who may order and
    see what, now deciding what the organisation's systems may do.
    """
    return rules.holds_today(user, organisation, MANAGING_ROLES)


def integration_managers(organisation: Organisation) -> list[RoleAssignment]:
    """Who may manage ``organisation``'s API clients today (to tell those who may not)."""
    return rules.holders_today(organisation, MANAGING_ROLES)


def offered_permissions(organisation: Organisation) -> list[ApiClient.Permission]:
    """The permissions ``organisation`` may give its systems: none of an area it does not buy."""
    return [
        permission
        for permission in ApiClient.Permission
        if PERMISSION_AREA.get(permission) in (None, *organisation.areas)
    ]


def grantable_permissions(user: User, organisation: Organisation) -> list[ApiClient.Permission]:
    """What ``user`` may let a system do: an area's permissions (file, read all) need the
    area's orderer role or fullmakt, as those decide who may order and see in that area;
    reading its own cases and drafting orders any who may manage integrations. Nobody
    gives a system more than they could get a person."""
    return [
        permission
        for permission in offered_permissions(organisation)
        if permission not in PERMISSION_AREA
        or rules.holds_today(
            user,
            organisation,
            (rules.ORDERER_ROLE[PERMISSION_AREA[permission]], RoleType.FULLMAKT),
        )
    ]


def unseen_filing(
    organisation: Organisation, clients: Iterable[ApiClient]
) -> list[tuple[ApiClient, Area]]:
    """Each of ``clients`` with an area it reports cases in where no member of
    ``organisation`` holds utvidet tilgang today. A case a system reports is nobody's
    (rule 1), so there only the system and the customer centre see it in the portal,
    until someone is given that role: the integrations page warns of it."""
    seen = {
        assignment.role.code
        for assignment in rules.holders_today(
            organisation, tuple(extended_access_role(area) for area in FILING.values())
        )
    }
    return [
        (client, area)
        for client in clients
        for permission, area in FILING.items()
        if permission in client.permissions and extended_access_role(area) not in seen
    ]


def _authorised(
    actor: User, organisation: Organisation, chosen: list[str], current: list[str]
) -> list[str]:
    """``chosen`` as ``actor`` may set it: what they may not grant they may not add, and
    what someone else granted that they may not grant stays as it was."""
    grantable = {permission.value for permission in grantable_permissions(actor, organisation)}
    for permission in chosen:
        if permission not in grantable and permission not in current:
            area = PERMISSION_AREA[permission]
            raise Refused(
                _(
                    "Only an authorised orderer for %(area)s or a fullmakt holder may let a "
                    'system "%(permission)s".'
                )
                % {
                    "area": str(area.label).lower(),
                    "permission": ApiClient.Permission(permission).label,
                }
            )
    kept = [permission for permission in current if permission not in grantable]
    return in_order([*(p for p in chosen if p in grantable), *kept])


def in_order(permissions: Iterable[str]) -> list[str]:
    """``permissions`` once each, in the order the model declares them."""
    chosen = set(permissions)
    return [permission.value for permission in ApiClient.Permission if permission in chosen]


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Refused(_("Give the system a name, so that you know it again in the list."))
    if len(name) > NAME_MAX:
        raise Refused(
            ngettext(
                "The name can be at most %(max)d character.",
                "The name can be at most %(max)d characters.",
                NAME_MAX,
            )
            % {"max": NAME_MAX}
        )
    if CONTROL_CHARACTERS.search(name):
        raise Refused(_("The name cannot contain control characters."))
    return name


def check_client_id(organisation: Organisation, client_id: str) -> str:
    """The client id as it will be stored, or ``Refused`` saying what is wrong with it."""
    client_id = (client_id or "").strip()
    if not client_id:
        raise Refused(_("Write the system's client id from Maskinporten."))
    if len(client_id) > CLIENT_ID_MAX:
        raise Refused(
            ngettext(
                "The client id can be at most %(max)d character.",
                "The client id can be at most %(max)d characters.",
                CLIENT_ID_MAX,
            )
            % {"max": CLIENT_ID_MAX}
        )
    if not CLIENT_ID.match(client_id):
        raise Refused(
            _(
                "Write the client id exactly as Maskinporten shows it: letters, digits and "
                "signs such as - and _, without spaces."
            )
        )
    existing = _registered_in_force(organisation, client_id)
    if existing is not None:
        raise Refused(_already_registered(organisation, existing))
    return client_id


def check_permissions(organisation: Organisation, permissions: Iterable[str]) -> list[str]:
    """The permissions in order, or ``Refused`` for none, an unknown one or one of an area
    the organisation does not buy."""
    chosen = list(permissions or [])
    if not chosen:
        raise Refused(_("Choose at least one thing the system may do."))
    offered = {permission.value for permission in offered_permissions(organisation)}
    for permission in chosen:
        if permission not in offered:
            if permission in PERMISSION_AREA:
                raise Refused(
                    _(
                        "%(organisation)s does not buy %(area)s services, so a system cannot "
                        'be given "%(permission)s".'
                    )
                    % {
                        "organisation": organisation,
                        "area": str(PERMISSION_AREA[permission].label).lower(),
                        "permission": ApiClient.Permission(permission).label,
                    }
                )
            raise Refused(_("Choose among the permissions shown."))
    return in_order(chosen)


def client_facts(client: ApiClient) -> dict[str, Any]:
    """What the audit trail keeps of a registration, before and after a change."""
    return {
        "api_client": client.pk,
        "client_id": client.client_id,
        "name": client.name,
        "permissions": in_order(client.permissions),
    }


def get_client_of(organisation: Organisation, pk: int) -> ApiClient:
    """One of ``organisation``'s registrations, in force or withdrawn; 404 for any other,
    whether it exists or not (another organisation's systems are none of the reader's)."""
    try:
        return ApiClient.objects.select_related("registered_by", "withdrawn_by").get(
            organisation=organisation, pk=pk
        )
    except ApiClient.DoesNotExist:
        raise Http404 from None


def _registered_in_force(organisation: Organisation, client_id: str) -> ApiClient | None:
    # As the database's constraint (apiclient_unique_in_force) sees it: not withdrawn.
    return ApiClient.objects.filter(
        organisation=organisation, client_id=client_id, withdrawn_at__isnull=True
    ).first()


def _already_registered(organisation: Organisation, existing: ApiClient) -> str:
    return _(
        "The client id %(client_id)s is already registered for %(organisation)s, as "
        "%(name)s. Change that registration, or withdraw it first."
    ) % {"client_id": existing.client_id, "organisation": organisation, "name": existing.name}


def _check_may_manage(actor: User, organisation: Organisation) -> None:
    if not may_manage_integrations(actor, organisation):
        raise Refused(
            _(
                "Only an authorised orderer (payroll or accounting) or a fullmakt holder in "
                "%(organisation)s can register, change or withdraw the organisation's systems."
            )
            % {"organisation": organisation}
        )


def do_register_client(
    *,
    actor: User,
    organisation: Organisation,
    client_id: str,
    name: str,
    permissions: Iterable[str],
) -> ApiClient:
    """Register one of the organisation's systems for the API, with what it may do."""
    with transaction.atomic():
        _check_may_manage(actor, organisation)
        client_id = check_client_id(organisation, client_id)
        name = check_name(name)
        chosen = _authorised(actor, organisation, check_permissions(organisation, permissions), [])
        try:
            with transaction.atomic():  # the constraint decides a race for the same client id
                client = ApiClient.objects.create(
                    organisation=organisation,
                    client_id=client_id,
                    name=name,
                    permissions=chosen,
                    registered_by=actor,
                    registered_at=timezone.now(),
                )
        except IntegrityError:
            existing = _registered_in_force(organisation, client_id)
            if existing is None:
                raise
            raise Refused(_already_registered(organisation, existing)) from None
        write_audit(
            actor=actor,
            organisation=organisation,
            action="api_client.registered",
            summary=f"{client.name} ({client.client_id})",
            after=client_facts(client),
        )
    return client


def _locked(client: ApiClient) -> ApiClient:
    # One change to a registration at a time: two people changing it at once each
    # start from what the other saved, and a withdrawal cannot be overtaken.
    return ApiClient.objects.select_for_update().select_related("organisation").get(pk=client.pk)


def do_change_client(
    *, actor: User, client: ApiClient, name: str, permissions: Iterable[str]
) -> ApiClient:
    """Rename a registration or change what the system may do (its client id stays).
    Nothing changed, nothing written."""
    with transaction.atomic():
        current = _locked(client)
        organisation = current.organisation
        _check_may_manage(actor, organisation)
        if current.withdrawn_at is not None:
            raise Refused(
                _(
                    "%(name)s was withdrawn %(moment)s and cannot be changed. Register the "
                    "system again instead."
                )
                % {"name": current.name, "moment": shown_moment(current.withdrawn_at)}
            )
        name = check_name(name)
        chosen = _authorised(
            actor, organisation, check_permissions(organisation, permissions), current.permissions
        )
        if name == current.name and chosen == in_order(current.permissions):
            return current
        before = client_facts(current)
        current.name, current.permissions = name, chosen
        current.save(update_fields=["name", "permissions"])
        write_audit(
            actor=actor,
            organisation=organisation,
            action="api_client.changed",
            summary=f"{current.name} ({current.client_id})",
            before=before,
            after=client_facts(current),
        )
    return current


def do_withdraw_client(*, actor: User, client: ApiClient) -> ApiClient:
    """The system may no longer use the API for the organisation, from now on, for good."""
    with transaction.atomic():
        current = _locked(client)
        organisation = current.organisation
        _check_may_manage(actor, organisation)
        if current.withdrawn_at is not None:
            raise Refused(
                _("%(name)s was already withdrawn %(moment)s.")
                % {"name": current.name, "moment": shown_moment(current.withdrawn_at)}
            )
        before = client_facts(current)
        current.withdrawn_at, current.withdrawn_by = timezone.now(), actor
        current.save(update_fields=["withdrawn_at", "withdrawn_by"])
        write_audit(
            actor=actor,
            organisation=organisation,
            action="api_client.withdrawn",
            summary=f"{current.name} ({current.client_id})",
            before=before,
            after={**client_facts(current), "withdrawn_at": current.withdrawn_at.isoformat()},
        )
    return current
