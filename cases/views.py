"""Views for customers: start page, report a case, the case page, attachment downloads."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import panels
from cases.access import attachment_download, get_attachment_for_user, get_case_for_user
from cases.forms import MessageForm, NewCaseForm
from cases.models import (
    STATUS_CHANGE_NOTES,
    STATUS_EXPLANATIONS,
    Case,
    Follower,
    extended_categories,
    handed_back_by_customer,
)
from cases.services import DuplicateSubmission, do_add_message, do_create_case
from portal.organisations import active_organisation, member_required, user_of

START_PAGE_CASES = 10
REPORTER_IS_TOLD = gettext_lazy(
    "You reported this case, so you get an e-mail when there is news on it."
)


@member_required
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    organisation = active_organisation(request)
    user = user_of(request)
    my_open_cases = (
        Case.objects.visible_to(user, organisation)
        .filter(reported_by=user)
        .open()
        .select_related("subject_area")
        .order_by("-updated_at", "-id")[:START_PAGE_CASES]
    )
    notices = panels.start_notices(user, organisation) if organisation else []
    return render(request, "cases/start.html", {"my_open_cases": my_open_cases, "notices": notices})


@member_required
@require_http_methods(["GET", "POST"])
def new_case(request: HttpRequest) -> HttpResponse:
    organisation = active_organisation(request)
    # A link may prefill the form (e.g. Min side's "send the signed fullmakt form").
    prefill = {
        field: request.GET[key]
        for key, field in (
            ("kategori", "category"),
            ("fagomrade", "subject_area"),
            ("tittel", "title"),
        )
        if key in request.GET
    }
    form = NewCaseForm(
        request.POST or None, request.FILES or None, organisation=organisation, initial=prefill
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = do_create_case(
                actor=user_of(request),
                organisation=organisation,
                subject_area=form.cleaned_data["subject_area"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                uploads=form.cleaned_data["attachments"],
                submission_key=form.cleaned_data["submission_key"],
            )
        except DuplicateSubmission as duplicate:
            return redirect(duplicate.existing.case_url())
        messages.success(
            request,
            _("Thank you. Case %(number)s is registered. We will answer you here.")
            % {"number": case.number},
        )
        return redirect("cases:detail", number=case.number)
    status = 400 if form.is_bound else 200
    return render(request, "cases/new.html", {"form": form}, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = get_case_for_user(user, number)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        # What the service will do (rule 2), to say it: staff never hand a case back.
        handed_back = None if user.is_staff else handed_back_by_customer(case.status)
        try:
            do_add_message(
                actor=user_of(request),
                case=case,
                body=form.cleaned_data["body"],
                uploads=form.cleaned_data["attachments"],
                submission_key=form.cleaned_data["submission_key"],
            )
        except DuplicateSubmission:
            return redirect("cases:detail", number=case.number)
        if handed_back == "reopened_by_customer_message":
            messages.success(request, _("Your message is sent, and the case is open again."))
        elif handed_back is not None:
            messages.success(
                request, _("Your message is sent, and the case is back with the customer centre.")
            )
        else:
            messages.success(request, _("Your message is sent."))
        return redirect(f"{case.get_absolute_url()}#messages")
    context = {
        "case": case,
        "status_explanation": STATUS_EXPLANATIONS[Case.Status(case.status)],
        "conversation": case.messages.filter(is_internal=False).select_related(
            "author", "api_client"
        ),
        "attachments": case.attachments.filter(is_internal=False),
        "history": [
            (change, STATUS_CHANGE_NOTES.get(change.reason, ""))
            for change in case.status_changes.select_related("changed_by")
        ],
        "form": form,
        "panels": panels.render_context(user, case),
        "is_reporter": case.reported_by_id == user.pk,
        "is_following": case.followers.filter(user=user).exists(),
        "extended": case.category in extended_categories(user, case.organisation),
    }
    status = 400 if form.is_bound else 200
    return render(request, "cases/detail.html", context, status=status)


@member_required
@require_POST
def toggle_follow(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = get_case_for_user(user, number)
    follower = case.followers.filter(user=user).first()
    if follower is not None:
        follower.delete()
        messages.success(request, _("You no longer get e-mail about this case."))
    elif case.reported_by_id == user.pk:
        # The reporter is told anyway (cases.notify.recipients): nothing to follow.
        messages.info(request, REPORTER_IS_TOLD)
    else:
        Follower.objects.get_or_create(case=case, user=user)
        messages.success(
            request,
            _(
                "You will get an e-mail when there is news on this case. The case list "
                "finds the cases you follow with “Followed by me”."
            ),
        )
    return redirect(case.get_absolute_url())


@member_required
@require_GET
def download_attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    return attachment_download(get_attachment_for_user(request.user, number, attachment_id))
