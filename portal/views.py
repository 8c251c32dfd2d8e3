"""Views of the portal layer: login, version choice, organisation switch, feedback, contact."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core import signing
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from portal import throttle, version
from portal.accessibility import KNOWN_SHORTCOMINGS, REVIEWED
from portal.forms import FeedbackCommentForm, FeedbackForm, ThrottledLoginForm
from portal.models import ContactCentre, Feedback, Organisation
from portal.organisations import (
    ACTIVE_ORG_SESSION_KEY,
    get_organisation_for_member,
    login_view,
    member_required,
    public_view,
)
from portal.queue import queue_state
from portal.widgets import LongSelect

logger = logging.getLogger(__name__)

FEEDBACK_SALT = "portal.feedback"
FEEDBACK_TOKEN_MAX_AGE = 60 * 60


class OrganisationChoiceForm(forms.Form):
    """The login page's list of organisations, leading to the chosen one's direct link."""

    virksomhet = forms.ChoiceField(label=gettext_lazy("Your organisation"), widget=LongSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["virksomhet"]
        assert isinstance(field, forms.ChoiceField)
        organisations = Organisation.objects.active().order_by("name").values_list("slug", "name")
        field.choices = [("", gettext_lazy("Choose your organisation")), *organisations]


def _chosen_organisation(next_url: str) -> Organisation | None:
    """The active organisation whose direct link ``next_url`` is, if it is one."""
    try:
        match = resolve(urlsplit(next_url).path) if next_url else None
    except Http404:
        return None
    if match is None or match.url_name != "direct_link":
        return None
    return Organisation.objects.active().filter(slug=match.kwargs.get("slug", "")).first()


class LoginView(auth_views.LoginView):
    gate = "public"
    template_name = "portal/login.html"
    form_class = ThrottledLoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        # Without a safe ``next``: the version choice until the cutoff (rule 8), else start.
        return version.after_login_url(self.request, via_direct_link=False)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Password mode: the organisation list leads, through its direct link, back
        # here with ``next=/inn/<slug>/``; the choice shows, and the login goes on there.
        chosen = _chosen_organisation(context.get("next", ""))
        context["chosen_organisation"] = chosen
        context["organisation_form"] = OrganisationChoiceForm(
            auto_id="org_%s", initial={"virksomhet": chosen.slug if chosen else ""}
        )
        context["old_version_open"] = version.old_version_open()
        context["old_version_last_day"] = settings.OLD_VERSION_LAST_DAY
        return context

    def form_valid(self, form: ThrottledLoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        throttle.remember_device(self.request, response, form.cleaned_data["username"])
        return response

    def form_invalid(self, form: ThrottledLoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        if form.throttle_wait:
            response.status_code = 429
            response["Retry-After"] = str(form.throttle_wait)
        return response


@public_view
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's login address, leading to the portal's one login form and its throttle.

    Django's admin has a login form of its own, without the throttle, and staff
    have the widest powers. Nothing sent here is read but ``next``, so no
    password is ever checked at this address.
    """
    target = _safe_next(request, reverse("admin:index"))
    if target.startswith(request.path):
        target = reverse("admin:index")
    user = request.user
    if not user.is_authenticated:
        return redirect(f"{reverse('portal:login')}?{urlencode({'next': target})}")
    if user.is_active and user.is_staff:
        return redirect(target)
    # Logged in, but not staff: sending them to log in would come straight back here.
    return render(request, "portal/admin_not_staff.html", status=403)


@public_view
@require_GET
def organisation_link(request: HttpRequest) -> HttpResponse:
    """The login page's organisation list without JavaScript: on to that organisation's
    direct login link (``/inn/<slug>/``), which lands in the new version, and on from
    there to ``next`` (the page the login was asked for), if it stays on this site."""
    slug = request.GET.get("virksomhet", "")
    if not slug:
        messages.error(request, _("Choose your organisation."))
        return redirect("portal:login")
    if not Organisation.objects.active().filter(slug=slug).exists():
        messages.error(request, _("Choose your organisation from the list."))
        return redirect("portal:login")
    target = reverse("direct_link", args=[slug])
    next_url = version.safe_next_url(request, request.GET.get("next"))
    return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


@login_view
@require_GET
def version_choice(request: HttpRequest) -> HttpResponse:
    """Rule 8: after a password login, until the cutoff, choose the new or the old version."""
    if not version.old_version_open():
        version.set_version(request, version.NEW)
        return redirect("start")
    context = {
        "current_version": version.current_version(request),
        "old_version_last_day": settings.OLD_VERSION_LAST_DAY,
    }
    return render(request, "portal/version_choice.html", context)


@login_view
@require_POST
def switch_version(request: HttpRequest) -> HttpResponse:
    """Use the new or the old version for the rest of the session (the header's switch)."""
    wanted = request.POST.get("version", "")
    if wanted not in {version.NEW, version.OLD}:
        return HttpResponseBadRequest(_("Choose the new or the old version."))
    version.set_version(request, wanted)
    if wanted == version.OLD:
        if version.current_version(request) == version.OLD:
            target = _safe_next(request, reverse("old:list"))
            return redirect(target if version.is_old_page(target) else reverse("old:list"))
        messages.info(request, _("The old version is closed; you are in the new version."))
        return redirect("start")
    target = _safe_next(request, reverse("start"))
    if target.startswith(reverse("old:home")):
        target = reverse("start")
    return redirect(target)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    """The request's ``next`` if it is an address on this site, else ``fallback`` (a URL)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return version.safe_next_url(request, target) or fallback


@require_POST
@member_required
def switch_organisation(request: HttpRequest) -> HttpResponse:
    try:
        pk = int(request.POST.get("organisation", ""))
    except ValueError:
        return HttpResponseBadRequest(_("Choose an organisation."))
    organisation = get_organisation_for_member(request.user, pk)  # type: ignore[arg-type]
    request.session[ACTIVE_ORG_SESSION_KEY] = organisation.pk
    messages.success(request, _("You are now working in %(name)s.") % {"name": organisation.name})
    return redirect(_safe_next(request, reverse("start")))


@public_view
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, also remembering the choice on the user for e-mail."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in {"nb", "nn", "en"}:
        user.language = language
        user.save(update_fields=["language"])
    return response


def _hour_now() -> dt.datetime:
    return timezone.now().replace(minute=0, second=0, microsecond=0)


@public_view
@require_POST
def feedback(request: HttpRequest) -> HttpResponse:
    """Store an anonymous answer; then offer an optional comment on the same answer.

    The row is found again by a signed token of its id, which says nothing
    about the person who answered.
    """
    is_htmx = request.headers.get("HX-Request") == "true"
    # Counted before anything is read, comments too, so a script cannot fill the table.
    wait = throttle.take_feedback_slot(request)
    if wait:
        template = "portal/_feedback_limited.html" if is_htmx else "portal/feedback_limited.html"
        back = request.POST.get("page", "").split("?", 1)[0]
        if not (back.startswith("/") and url_has_allowed_host_and_scheme(back, None)):
            back = "/"
        response = render(request, template, {"back": back}, status=429)
        response["Retry-After"] = str(wait)
        return response
    if "token" in request.POST:
        return _feedback_comment(request, is_htmx)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The feedback could not be read. Choose Yes or No."))
    page = form.cleaned_data["page"].split("?", 1)[0][:500]
    if not page.startswith("/"):
        page = "/"
    row = Feedback.objects.create(
        page=page,
        answer=form.cleaned_data["answer"],
        language=get_language() or "",
        created_hour=_hour_now(),
    )
    token = signing.dumps(row.pk, salt=FEEDBACK_SALT)
    context = {
        "feedback": row,
        "comment_form": FeedbackCommentForm(initial={"token": token}),
        "back": page,
    }
    template = "portal/_feedback_thanks.html" if is_htmx else "portal/feedback_thanks.html"
    return render(request, template, context)


def _feedback_comment(request: HttpRequest, is_htmx: bool) -> HttpResponse:
    form = FeedbackCommentForm(request.POST)
    row = None
    if form.is_valid():
        try:
            pk = signing.loads(
                form.cleaned_data["token"], salt=FEEDBACK_SALT, max_age=FEEDBACK_TOKEN_MAX_AGE
            )
            row = Feedback.objects.filter(pk=pk, comment="").first()
        except signing.BadSignature:
            row = None
    if row is None:
        return HttpResponseBadRequest(_("This feedback can no longer be changed."))
    row.comment = form.cleaned_data["comment"]
    row.save(update_fields=["comment"])
    template = "portal/_feedback_done.html" if is_htmx else "portal/feedback_done.html"
    return render(request, template, {"back": row.page})


@public_view
@require_GET
def contact(request: HttpRequest) -> HttpResponse:
    centres = [
        {
            "area": centre.get_area_display(),
            "name": centre.name,
            "phone": centre.phone,
            "email": centre.email,
            "opening_hours": centre.localised("opening_hours"),
            "note": centre.localised("note"),
        }
        for centre in ContactCentre.objects.all()
    ]
    return render(request, "portal/contact.html", {"centres": centres})


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's answer to a request it cannot read (too many fields, a bad upload name, a
    suspicious header), as the portal's own page in the reader's language."""
    return render(request, "400.html", status=400)


@public_view
@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/accessibility.html",
        {"shortcomings": KNOWN_SHORTCOMINGS, "reviewed": REVIEWED},
    )


@public_view
@never_cache
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For the load balancer: 200 while this process reaches the database, else 503.
    The queue's figures are for monitoring (docs/deployment.md); a long queue does not
    take a web process out of the load balancer."""
    try:
        queue = queue_state()
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up", "queue": queue.as_json()})
