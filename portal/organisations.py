"""The one door to organisations for a user: membership decides everything."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from portal.models import Organisation, User

ACTIVE_ORG_SESSION_KEY = "active_organisation"


def member_organisations(user: Any) -> list[Organisation]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Organisation.objects.of_member(user).order_by("name"))


def resolve_active_organisation(
    user: Any, wanted_pk: object
) -> tuple[list[Organisation], Organisation | None]:
    """The user's organisations and the active one: the wanted one if a member, else the first."""
    organisations = member_organisations(user)
    for organisation in organisations:
        if organisation.pk == wanted_pk:
            return organisations, organisation
    return organisations, (organisations[0] if organisations else None)


def user_of(request: HttpRequest) -> User:
    """The logged-in user of a request that passed ``login_required``."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionError("login required")
    return user


def get_organisation_for_member(user: User, pk: int) -> Organisation:
    """The organisation ``pk`` if ``user`` is a member; 404 otherwise, whether it exists or not."""
    try:
        return Organisation.objects.of_member(user).get(pk=pk)
    except Organisation.DoesNotExist:
        raise Http404 from None
