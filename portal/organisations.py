"""The gate: "is this person an active member of this active organisation, now?"

Asked here and nowhere else, by every path that reads or changes an
organisation's data: the middleware that picks the active organisation, the
views (``member_required``), ``Case.objects.visible_to``, the rules in
``access.rules``, the exports when started and when downloaded, attachments,
e-mail, the admin's forms and the management commands. What counts as an
active membership is defined once, by ``MembershipQuerySet.active``.

Views are marked with the gate they stand behind (``gate`` attribute), so that
a test can list every URL and fail on a view that is behind none.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Literal, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from portal.models import ApiClient, Membership, Organisation, User
from portal.request_memo import per_request, remember

ACTIVE_ORG_SESSION_KEY = "active_organisation"

Gate = Literal["public", "login", "member"]
View = TypeVar("View", bound=Callable[..., Any])


@per_request
def is_active_member(user: Any, organisation: Organisation | None) -> bool:
    """The gate's question for one person and one organisation, answered now."""
    if organisation is None or not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.active().filter(user=user, organisation=organisation).exists()


@per_request
def client_in_force(client: ApiClient | None, organisation: Organisation | None) -> bool:
    """The gate's question for one of an organisation's systems (the API, issue 17):
    is its registration in force in this active organisation, now? Asked afresh, so
    a registration withdrawn or an organisation closed a moment ago counts for nothing."""
    if client is None or organisation is None or client.organisation_id != organisation.pk:
        return False
    return ApiClient.objects.in_force().filter(pk=client.pk).exists()


def active_members(organisation: Organisation) -> QuerySet[User]:
    """The people who pass the gate for ``organisation`` now."""
    return User.objects.filter(
        pk__in=Membership.objects.active().filter(organisation=organisation).values("user")
    )


def member_organisations(user: Any) -> list[Organisation]:
    """The organisations ``user`` is an active member of now, by name.

    The same question as ``is_active_member`` for each of them (both ask
    ``Membership.objects.active()``), so those answers are kept for the request.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    organisations = list(Organisation.objects.of_member(user).order_by("name"))
    for organisation in organisations:
        remember(is_active_member, (user, organisation), True)
    return organisations


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


def active_organisation(request: HttpRequest) -> Organisation:
    """The organisation a ``member_required`` view works in (set by the middleware)."""
    organisation: Organisation | None = getattr(request, "organisation", None)
    if organisation is None:
        raise PermissionError("member_required")
    return organisation


def get_organisation_for_member(user: User, pk: int) -> Organisation:
    """The organisation ``pk`` if ``user`` is a member; 404 otherwise, whether it exists or not."""
    try:
        return Organisation.objects.of_member(user).get(pk=pk)
    except Organisation.DoesNotExist:
        raise Http404 from None


def _mark(view: View, gate: Gate) -> View:
    view.gate = gate  # type: ignore[attr-defined]
    return view


def member_required(view: View) -> View:
    """Behind the gate: logged in, with an active organisation (``request.organisation``).

    A person with none (never a member, or every organisation or membership
    ended) gets one and the same page everywhere: 403, saying whom to ask.
    """

    @wraps(view)
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if getattr(request, "organisation", None) is None:
            return no_organisation(request)
        return view(request, *args, **kwargs)

    return _mark(cast(View, login_required(gated)), "member")


def login_view(view: View) -> View:
    """Logged in, organisation or not: the person's own settings, the login's own pages."""
    return _mark(login_required(view), "login")


def public_view(view: View) -> View:
    """Open to anyone, on purpose (login, contact, feedback, health, the blank form)."""
    return _mark(view, "public")


def no_organisation(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/no_membership.html", status=403)
