"""Min side › Integrasjoner: the organisation's systems that may use the API (issue 17).

Only those who may manage them (``access.integrations.may_manage_integrations``)
see these pages; any other member is told who in the organisation can, and a
POST of theirs changes nothing. Every write goes through the services of
``access.integrations``, which ask the rule again.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from access.forms import ApiClientForm
from access.integrations import (
    PERMISSION_HELP,
    do_change_client,
    do_register_client,
    do_withdraw_client,
    get_client_of,
    integration_managers,
    may_manage_integrations,
    offered_permissions,
    unseen_filing,
)
from portal.models import ApiClient, Organisation
from portal.organisations import active_organisation, member_required, user_of
from portal.services import Refused

# The API's documentation (issue 17, point 1), served by the API itself.
API_DOCS_URL = "/api/v1/docs"


def _refused(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """A member who may not manage the organisation's systems: why, and whom to ask."""
    context = {"organisation": organisation, "managers": integration_managers(organisation)}
    return render(request, "access/integrations_refused.html", context, status=403)


def _connecting() -> dict[str, Any]:
    """What the page says about getting a system in: the scope and the API's documentation."""
    return {"scopes": settings.MASKINPORTEN_SCOPES, "api_docs_url": API_DOCS_URL}


@member_required
@require_GET
def integrations(request: HttpRequest) -> HttpResponse:
    user, organisation = user_of(request), active_organisation(request)
    if not may_manage_integrations(user, organisation):
        return _refused(request, organisation)
    clients = list(
        ApiClient.objects.filter(organisation=organisation).select_related(
            "registered_by", "withdrawn_by"
        )
    )
    in_force = sorted(
        (c for c in clients if c.withdrawn_at is None), key=lambda c: (c.name.lower(), c.pk)
    )
    withdrawn = sorted(
        (c for c in clients if c.withdrawn_at is not None),
        key=lambda c: (c.withdrawn_at, c.pk),
        reverse=True,
    )
    context = {
        "in_force": in_force,
        "unseen": unseen_filing(organisation, in_force),
        "withdrawn": withdrawn,
        "permissions": [
            {"label": p.label, "help": PERMISSION_HELP[p]}
            for p in offered_permissions(organisation)
        ],
        **_connecting(),
    }
    return render(request, "access/integrations.html", context)


@member_required
@require_http_methods(["GET", "POST"])
def register_client(request: HttpRequest) -> HttpResponse:
    user, organisation = user_of(request), active_organisation(request)
    if not may_manage_integrations(user, organisation):
        return _refused(request, organisation)
    posted = request.method == "POST"
    form = ApiClientForm(request.POST if posted else None, organisation=organisation, actor=user)
    if posted and form.is_valid():
        try:
            client = do_register_client(
                actor=user,
                organisation=organisation,
                client_id=form.cleaned_data["client_id"],
                name=form.cleaned_data["name"],
                permissions=form.cleaned_data["permissions"],
            )
        except Refused as refusal:
            form.add_error(None, refusal.reason)
        else:
            messages.success(
                request,
                _("%(name)s is registered. The system can use the API from now on.")
                % {"name": client.name},
            )
            return redirect("access:integrations")
    context = {"form": form, "client": None, **_connecting()}
    return render(
        request, "access/integration_form.html", context, status=400 if form.errors else 200
    )


@member_required
@require_http_methods(["GET", "POST"])
def change_client(request: HttpRequest, pk: int) -> HttpResponse:
    user, organisation = user_of(request), active_organisation(request)
    if not may_manage_integrations(user, organisation):
        return _refused(request, organisation)
    client = get_client_of(organisation, pk)
    if client.withdrawn_at is not None:
        messages.error(
            request,
            _("%(name)s is withdrawn and cannot be changed. Register the system again instead.")
            % {"name": client.name},
        )
        return redirect("access:integrations")
    posted = request.method == "POST"
    form = ApiClientForm(
        request.POST if posted else None,
        organisation=organisation,
        actor=user,
        changing=True,
        kept=client.permissions,
        initial={"name": client.name, "permissions": client.permissions},
    )
    if posted and form.is_valid():
        before = (client.name, sorted(client.permissions))
        try:
            changed = do_change_client(
                actor=user,
                client=client,
                name=form.cleaned_data["name"],
                permissions=form.cleaned_data["permissions"],
            )
        except Refused as refusal:
            form.add_error(None, refusal.reason)
        else:
            if (changed.name, sorted(changed.permissions)) == before:
                messages.info(request, _("Nothing was changed."))
            else:
                messages.success(request, _("%(name)s is changed.") % {"name": changed.name})
            return redirect("access:integrations")
    context = {"form": form, "client": client, **_connecting()}
    return render(
        request, "access/integration_form.html", context, status=400 if form.errors else 200
    )


@member_required
@require_http_methods(["GET", "POST"])
def withdraw_client(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; a POST that confirms withdraws (no JavaScript needed)."""
    user, organisation = user_of(request), active_organisation(request)
    if not may_manage_integrations(user, organisation):
        return _refused(request, organisation)
    client = get_client_of(organisation, pk)
    if client.withdrawn_at is not None:
        messages.info(request, _("%(name)s is already withdrawn.") % {"name": client.name})
        return redirect("access:integrations")
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            do_withdraw_client(actor=user, client=client)
        except Refused as refusal:
            messages.error(request, refusal.reason)
        else:
            messages.success(
                request,
                _("%(name)s is withdrawn. The system can no longer use the API.")
                % {"name": client.name},
            )
        return redirect("access:integrations")
    return render(request, "access/integration_withdraw.html", {"client": client})
