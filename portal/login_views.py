"""Ways in and out besides the password form: direct login links, the OpenID Connect
views, logout (with the provider's too) and the page for people without a membership.

A direct link ``/inn/<slug>/`` starts the login with that organisation as a hint to
the provider and lands in the new version with it active. Without OpenID Connect it
goes through the password login and comes back to the link. Where the login lands is
decided by ``portal.version.after_login_url``: a safe ``?next=`` (a case link in an
e-mail) is carried through every way in and lands there.

The provider's callback acts only on a login this browser started (its state is in
the session): a link from elsewhere, even with ``?error=``, changes nobody's login,
and reloading the callback after a login goes where the login went.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from portal import oidc_provider
from portal.models import Organisation, User
from portal.oidc import choose_active_organisation, claimed_org_numbers
from portal.oidc_provider import LoginFailed
from portal.organisations import (
    ACTIVE_ORG_SESSION_KEY,
    login_view,
    member_organisations,
    public_view,
)
from portal.version import after_login_url, safe_next_url
from portal.views import OrganisationChoiceForm

logger = logging.getLogger(__name__)

# The slug of the direct link a login was started from, until the login lands.
DIRECT_LINK_SESSION_KEY = "portal_direct_link"
# The state and landing address of the last provider login, so that reloading its
# callback goes where the login went instead of failing on a state already used.
FINISHED_LOGIN_SESSION_KEY = "portal_oidc_finished"
# What mozilla-django-oidc keeps in the session during a login that must outlive it.
_CARRIED_OVER_LOGIN = (DIRECT_LINK_SESSION_KEY, "oidc_login_next", "oidc_id_token")


def _active_organisation(slug: str) -> Organisation | None:
    return Organisation.objects.active().filter(slug=slug).first() if slug else None


@public_view
@never_cache
@require_GET
def direct_link(request: HttpRequest, slug: str) -> HttpResponse:
    """An organisation's direct login link."""
    organisation = _active_organisation(slug)
    next_url = safe_next_url(request, request.GET.get("next"))
    if organisation is None:
        context = {
            "slug": slug,
            "organisation_form": OrganisationChoiceForm(auto_id="org_%s"),
            "next": next_url or "",
        }
        return render(request, "portal/unknown_link.html", context, status=404)
    if request.user.is_authenticated:
        return _continue_in(request, organisation, next_url)
    if settings.OIDC_ENABLED:
        query = {"virksomhet": organisation.slug, **({"next": next_url} if next_url else {})}
        return redirect(f"{reverse('oidc_authentication_init')}?{urlencode(query)}")
    # The password login comes back here, logged in, and goes on as above.
    return redirect_to_login(direct_link_url(organisation.slug, next_url))


def direct_link_url(slug: str, next_url: str | None) -> str:
    """The direct link of an organisation, with where to go after it (already safe)."""
    url = reverse("direct_link", args=[slug])
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _continue_in(
    request: HttpRequest, organisation: Organisation, next_url: str | None
) -> HttpResponse:
    """A logged-in person follows a direct link: that organisation if theirs, new version."""
    organisations = member_organisations(request.user)
    if not organisations:
        return redirect("no_membership")
    if organisation in organisations:
        request.session[ACTIVE_ORG_SESSION_KEY] = organisation.pk
    else:
        messages.warning(request, _not_a_member_message(organisation))
    return redirect(after_login_url(request, via_direct_link=True, next_url=next_url))


def _not_a_member_message(organisation: Organisation) -> str:
    return _(
        "You are not registered as a member of %(name)s. Ask a contact person there, or the "
        "customer centre, to register you. To log in as someone else, log out first."
    ) % {"name": organisation.name}


def login_failure(request: HttpRequest) -> HttpResponse:
    """The designed end of a provider login that did not succeed: the login page, told so."""
    messages.error(
        request,
        _(
            "The login did not succeed. Try again; if it keeps failing, contact the "
            "customer centre."
        ),
    )
    return redirect(settings.LOGIN_URL)


class OIDCAuthenticateView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    gate = "public"
    """Starts a login at the provider, with the direct link's organisation as a hint.

    PKCE (S256) and the nonce come from the library (OIDC_USE_PKCE, OIDC_USE_NONCE);
    ``?virksomhet=<slug>`` adds the organisation number in OIDC_ORG_HINT_PARAMETER. The
    authorization endpoint is looked up now (it may come from the discovery document),
    not when the library builds the view.
    """

    organisation: Organisation | None = None

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_provider.endpoints().authorization
        except LoginFailed as exc:
            logger.warning("OIDC login could not start: %s", exc)
            return login_failure(request)
        self.organisation = _active_organisation(request.GET.get("virksomhet", ""))
        if self.organisation is not None:
            request.session[DIRECT_LINK_SESSION_KEY] = self.organisation.slug
        else:
            request.session.pop(DIRECT_LINK_SESSION_KEY, None)
        response: HttpResponse = super().get(request)
        return response

    def get_extra_params(self, request: HttpRequest) -> dict[str, Any]:
        params = dict(super().get_extra_params(request))
        if self.organisation is not None:
            params[settings.OIDC_ORG_HINT_PARAMETER] = self.organisation.org_number
        return params


class OIDCCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    gate = "public"
    """The provider's answer: the library checks state and runs the backend; this view
    acts only on a login this browser started, refuses quietly instead of with an error
    page, cycles the session and lands the user."""

    user: User

    def get(self, request: HttpRequest) -> HttpResponse:
        state = request.GET.get("state", "")
        if state not in request.session.get("oidc_states", {}):
            return self.not_started_here(state)
        if "error" in request.GET:
            logger.warning("OIDC login ended by the provider: %r", request.GET["error"][:100])
        # RFC 9207: an answer naming another issuer is a mix-up attack.
        returned_issuer = request.GET.get("iss")
        if returned_issuer is not None and returned_issuer != settings.OIDC_OP_ISSUER:
            logger.warning("OIDC login refused: the answer names issuer %r", returned_issuer)
            del request.session["oidc_states"][state]
            request.session.modified = True
            return self.login_failure()
        try:
            response: HttpResponse = super().get(request)
        except (LoginFailed, SuspiciousOperation) as exc:
            logger.warning("OIDC login refused: %s", exc)
            return self.login_failure()
        return response

    def not_started_here(self, state: str) -> HttpResponse:
        """A callback for no login this browser has under way: a reload or the back button
        after the login finished, or a link from elsewhere (with ``?error=`` too). It
        logs nobody in or out, so no other site can end someone's login."""
        request = self.request
        if request.user.is_authenticated:
            finished = request.session.get(FINISHED_LOGIN_SESSION_KEY) or {}
            if state and constant_time_compare(str(finished.get("state", "")), state):
                return redirect(str(finished["url"]))
            return redirect("start")
        logger.warning("OIDC callback refused: no login under way in this browser has its state")
        return self.login_failure()

    def login_failure(self) -> HttpResponse:
        return login_failure(self.request)

    def login_success(self) -> HttpResponse:
        request = self.request
        carried = {
            key: request.session[key] for key in _CARRIED_OVER_LOGIN if key in request.session
        }
        # Always a fresh session key; another user's session is emptied entirely.
        auth.login(request, self.user)
        request.session.update(carried)
        landing = _landing_url(request, self.user)
        request.session[FINISHED_LOGIN_SESSION_KEY] = {
            "state": request.GET["state"],
            "url": landing,
        }
        return HttpResponseRedirect(landing)


def _landing_url(request: HttpRequest, user: User) -> str:
    """After a provider login: the active organisation, then where to go."""
    slug = request.session.pop(DIRECT_LINK_SESSION_KEY, None)
    next_url = request.session.pop("oidc_login_next", None)
    organisations = member_organisations(user)
    if not organisations and not user.is_staff:
        return reverse("no_membership")
    chosen = choose_active_organisation(
        organisations, slug=slug, org_numbers=claimed_org_numbers(user)
    )
    if chosen is not None:
        request.session[ACTIVE_ORG_SESSION_KEY] = chosen.pk
    if slug:
        linked = _active_organisation(slug)
        if linked is not None and chosen != linked:
            messages.warning(request, _not_a_member_message(linked))
    return after_login_url(request, via_direct_link=bool(slug), next_url=next_url)


def provider_logout_url(request: HttpRequest) -> str:
    """Where logout goes: the provider's end-session endpoint after a provider login
    (RP-initiated logout, when the provider has one), else the login page. A provider
    that cannot be reached now leaves a logout here only, never an error.

    Also mozilla-django-oidc's own logout view uses it (OIDC_OP_LOGOUT_URL_METHOD).
    """
    local = resolve_url(settings.LOGOUT_REDIRECT_URL)
    id_token = request.session.get("oidc_id_token")
    if not (settings.OIDC_ENABLED and id_token):
        return local
    try:
        endpoint = oidc_provider.endpoints().end_session
    except LoginFailed as exc:
        logger.warning("Logged out here only: %s", exc)
        return local
    if not endpoint:
        return local
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": request.build_absolute_uri(local),
            "client_id": settings.OIDC_RP_CLIENT_ID,
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


@public_view
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Ends the portal session, then the provider's where it supports that."""
    target = provider_logout_url(request)
    auth.logout(request)
    return redirect(target)


@never_cache
@login_view
@require_GET
def no_membership(request: HttpRequest) -> HttpResponse:
    """Logged in, but a member of no organisation: says so, and whom to ask."""
    if member_organisations(request.user):
        return redirect("start")
    return render(request, "portal/no_membership.html")
