"""The old version (rule 8): what the customer centre looked like before, until the cutoff.

A case list with one global search box over number and title, at most
``OLD_LIST_LIMIT`` cases, fixed columns, and a read-only case page. Cases come
through the same doors as in the new version (``Case.objects.visible_to`` and
``get_case_for_user``). Opening an old address switches the session to the old
version. From the day after ``OLD_VERSION_LAST_DAY`` (Oslo) every old address
redirects to its counterpart in the new version, with a notice.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cases.access import get_case_for_user
from cases.models import Case
from cases.text import fold
from portal import version
from portal.organisations import no_organisation, user_of

OLD_LIST_LIMIT = 1000

View = Callable[..., HttpResponse]


class OldSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search in case number and title"), max_length=200, required=False
    )


def new_counterpart(path_kind: str, number: str | None = None) -> str:
    """Where an old address leads in the new version."""
    if path_kind == "list":
        return reverse("cases:list")
    if path_kind == "detail" and number is not None:
        return reverse("cases:detail", args=[number])
    return reverse("start")


def old_version_page(path_kind: str) -> Callable[[View], View]:
    """Closed after the cutoff (redirect with a notice); before it, login and the old version."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not version.old_version_open():
                messages.info(request, _("The old version is closed; you are in the new version."))
                number = kwargs.get("number")
                rest = "rest" in kwargs and version.new_page_for_old_address(str(kwargs["rest"]))
                return redirect(rest or new_counterpart(path_kind, str(number) if number else None))
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(request, "organisation", None) is None:
                return no_organisation(request)
            version.set_version(request, version.OLD)
            return view(request, *args, **kwargs)

        # The same gate as member_required, after the cutoff's redirect (see above).
        wrapper.gate = "member"  # type: ignore[attr-defined]
        return wrapper

    return decorate


@require_GET
@old_version_page("list")
def home(request: HttpRequest) -> HttpResponse:
    return redirect("old:list")


@require_GET
@old_version_page("list")
def case_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = OldSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    cases = Case.objects.visible_to(user, request.organisation)  # type: ignore[attr-defined]
    if query:
        cases = cases.filter(Q(number__icontains=query) | Q(title_folded__contains=fold(query)))
    rows = list(
        cases.only("number", "title", "title_nn", "title_en", "status", "updated_at").order_by(
            "-updated_at", "-id"
        )[: OLD_LIST_LIMIT + 1]
    )
    context = {
        "form": form,
        "query": query,
        "cases": rows[:OLD_LIST_LIMIT],
        "capped": len(rows) > OLD_LIST_LIMIT,
        "limit": OLD_LIST_LIMIT,
        "new_version_url": new_counterpart("list"),
        "old_version_last_day": settings.OLD_VERSION_LAST_DAY,
    }
    return render(request, "old/list.html", context)


@require_GET
@old_version_page("detail")
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_for_user(user_of(request), number)
    context = {
        "case": case,
        "conversation": case.messages.filter(is_internal=False).select_related("author"),
        "new_version_url": case.get_absolute_url(),
        "old_version_last_day": settings.OLD_VERSION_LAST_DAY,
    }
    return render(request, "old/detail.html", context)


@old_version_page("other")
def other(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other old address: the new version's page at the same address if it has one
    (``/gammel/min-side/`` -> ``/min-side/``), with a word; else nothing here."""
    target = version.new_page_for_old_address(rest)
    if target is None:
        raise Http404
    messages.info(request, _("The old version has no such page; here it is in the new version."))
    return redirect(target)
