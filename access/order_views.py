"""Bestill roller og tilganger: choose the area, add lines, review, submit (rule 3)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access import rules
from access.drafts import (
    DraftEnded,
    do_discard_draft,
    do_submit_draft,
    draft_refusal,
    ended_text,
    get_draft_in_organisation,
    line_initial,
    waiting_drafts_for,
)
from access.forms import OrderForm, OrderLineForm, OrderLineFormSet
from access.models import OrderDraft, System, SystemRole
from access.ordering import (
    DuplicateOrder,
    LineInput,
    OrderRefused,
    do_submit_order,
    refusal_reason,
    review_flags,
    why_none_may_be_ordered,
)
from access.overview import ended_roles
from portal.models import Area, Organisation, User
from portal.organisations import active_organisation, member_required, user_of

LINE_FIELDS = list(OrderLineForm.base_fields)


def _roles_for(user: User, organisation: Organisation, area: str) -> QuerySet[SystemRole]:
    """The roles of ``area`` that ``user`` may order now: the form offers nothing else."""
    roles = SystemRole.objects.filter(
        is_active=True, system__is_active=True, system__area=area
    ).select_related("system", "register_role")
    allowed = [role.pk for role in roles if rules.may_order(user, organisation, role.ordering_area)]
    return roles.filter(pk__in=allowed).order_by("system__position", "position", "name_nb")


def _areas(user: User, organisation: Organisation) -> list[dict[str, Any]]:
    offered = [System.Area.CUSTOMER_CENTRE]
    if organisation.buys_payroll:
        offered.insert(0, System.Area.PAYROLL)
    if organisation.buys_accounting:
        offered.insert(-1, System.Area.ACCOUNTING)
    result = []
    for area in offered:
        may = _roles_for(user, organisation, area).exists()
        ordering_areas = {Area.PAYROLL, Area.ACCOUNTING} if area == "kundesenter" else {Area(area)}
        who = [
            a
            for code in ordering_areas
            if code in organisation.areas
            for a in rules.orderers(organisation, code)
        ]
        result.append(
            {
                "area": area,
                "label": System.Area(area).label,
                "may": may,
                "why_not": None
                if may
                else why_none_may_be_ordered(user, organisation, set(ordering_areas)),
                "orderers": who,
            }
        )
    return result


def _context(
    request: HttpRequest,
    organisation: Organisation,
    area: str,
    formset: Any,
    form: OrderForm,
    draft: OrderDraft | None = None,
) -> dict[str, Any]:
    user = user_of(request)
    return {
        "area": area,
        "area_label": System.Area(area).label,
        "formset": formset,
        "form": form,
        "organisation": organisation,
        "draft": draft,
        # The area's other drafts, while the person is not already working from one.
        "drafts": [] if draft else _draft_rows(user, organisation, area),
    }


def _draft_rows(user: User, organisation: Organisation, area: str | None) -> list[dict[str, Any]]:
    """The waiting drafts from the organisation's systems that ``user`` may submit."""
    return [
        {"draft": draft, "lines": len(draft.lines.all()), "area": draft.get_area_display()}
        for draft in waiting_drafts_for(user, organisation, area)
    ]


def _lines(formset: Any) -> list[LineInput]:
    lines = []
    for line_form in formset.forms:
        data = line_form.cleaned_data
        if not data or not line_form.has_changed():
            continue
        lines.append(LineInput.from_form(data))
    return lines


@member_required
@require_http_methods(["GET", "POST"])
def order(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    organisation = active_organisation(request)
    areas = _areas(user, organisation)
    area = request.POST.get("omrade") or request.GET.get("omrade") or ""
    draft = None
    draft_pk = request.POST.get("utkast") or request.GET.get("utkast")
    if draft_pk:
        # A draft from one of the organisation's systems: its area, its lines (404 for
        # another organisation's). Rule 3 is asked below as for any order.
        draft = get_draft_in_organisation(organisation, draft_pk)
        if draft.state != OrderDraft.State.WAITING:
            return _draft_ended(request, draft)
        area = draft.area
        refusal = draft_refusal(user, draft) if request.method == "GET" else None
        if refusal:
            return _choose(request, user, organisation, areas, status=403, refusal=refusal)
    offered = next((a for a in areas if a["area"] == area), None)
    if offered is None or (not offered["may"] and request.method == "GET"):
        status = 403 if area or not any(a["may"] for a in areas) else 200
        return _choose(request, user, organisation, areas, status=status)
    if not offered["may"]:
        return _refused_keeping_lines(request, organisation, area, offered, draft)
    roles = _roles_for(user, organisation, area)
    kwargs = {"organisation": organisation, "roles": roles}
    step = request.POST.get("step", "")
    if request.method == "GET" or step == "add":
        if step == "add":
            initial = [*_initial_lines(request), {}]
        elif draft is not None:
            initial = [line_initial(line) for line in draft.lines.all()]
        else:
            initial = [{}]
        formset = OrderLineFormSet(initial=initial, form_kwargs=kwargs)
        form = OrderForm(
            initial={
                "submission_key": request.POST.get("submission_key") or uuid.uuid4(),
                "comment": request.POST.get("comment", draft.comment if draft else ""),
            }
        )
        return render(
            request,
            "access/order_form.html",
            _context(request, organisation, area, formset, form, draft),
        )

    formset = OrderLineFormSet(request.POST, form_kwargs=kwargs)
    form = OrderForm(request.POST)
    context = _context(request, organisation, area, formset, form, draft)
    if not (formset.is_valid() and form.is_valid()):
        return render(request, "access/order_form.html", context, status=400)
    lines = _lines(formset)
    reason = refusal_reason(user, organisation, {line.system_role.ordering_area for line in lines})
    if reason:
        # Authority lost since the form was opened: refuse, keep every line.
        context["refusal"] = reason
        context["who"] = offered["orderers"]
        return render(request, "access/order_form.html", context, status=403)
    if step == "submit":
        try:
            if draft is not None:
                placed = do_submit_draft(
                    actor=user,
                    draft=draft,
                    lines=lines,
                    comment=form.cleaned_data["comment"],
                    submission_key=form.cleaned_data["submission_key"],
                )
            else:
                placed = do_submit_order(
                    actor=user,
                    organisation=organisation,
                    area=area,
                    lines=lines,
                    comment=form.cleaned_data["comment"],
                    submission_key=form.cleaned_data["submission_key"],
                )
        except DuplicateOrder as duplicate:
            return redirect(duplicate.order.case.get_absolute_url())
        except DraftEnded as ended:
            # Another orderer was first: say who, and keep nothing to send twice.
            context["refusal"] = ended.reason
            return render(request, "access/order_form.html", context, status=409)
        except OrderRefused as refusal:
            context["refusal"] = refusal.reason
            return render(request, "access/order_form.html", context, status=403)
        return redirect(placed.case.get_absolute_url())
    if step == "review":
        context["review"] = [
            {
                "line": line,
                "role": _role_label(line.system_role),
                "flag": flag,
            }
            for line, flag in zip(lines, review_flags(organisation, lines), strict=True)
        ]
        return render(request, "access/order_review.html", context)
    return render(request, "access/order_form.html", context)  # "edit": back to the form


def _initial_lines(request: HttpRequest) -> list[dict[str, Any]]:
    """The lines typed so far, as initial values (adding a line must not show errors yet)."""
    try:
        total = min(int(request.POST.get("form-TOTAL_FORMS", "1")), 29)
    except ValueError:
        total = 1
    return [
        {name: request.POST.get(f"form-{index}-{name}", "") for name in LINE_FIELDS}
        for index in range(max(total, 1))
    ]


def _role_label(role: SystemRole) -> str:
    return f"{role.system.name}: {role.name}"


def _refused_keeping_lines(
    request: HttpRequest,
    organisation: Organisation,
    area: str,
    offered: dict[str, Any],
    draft: OrderDraft | None = None,
) -> HttpResponse:
    """Rule 3 at submission: the user may not order this (any more). Say why, keep the lines."""
    roles = SystemRole.objects.filter(system__area=area).select_related("system", "register_role")
    formset = OrderLineFormSet(
        request.POST, form_kwargs={"organisation": organisation, "roles": roles}
    )
    form = OrderForm(request.POST)
    formset.is_valid()
    form.is_valid()
    context = _context(request, organisation, area, formset, form, draft)
    context["refusal"] = offered["why_not"] or _("You cannot order this.")
    context["who"] = offered["orderers"]
    return render(request, "access/order_form.html", context, status=403)


def _choose(
    request: HttpRequest,
    user: User,
    organisation: Organisation,
    areas: list[dict[str, Any]],
    *,
    status: int,
    refusal: str | None = None,
) -> HttpResponse:
    context = {
        "areas": areas,
        "ended_roles": ended_roles(user, organisation),
        "drafts": _draft_rows(user, organisation, None),
        "refusal": refusal,
    }
    return render(request, "access/order_choose.html", context, status=status)


def _draft_ended(request: HttpRequest, draft: OrderDraft) -> HttpResponse:
    """A draft already sent or discarded: who and when. The same person's second click
    on "Send the order" lands on the case of the order the first one made."""
    order = draft.order
    if (
        request.method == "POST"
        and order is not None
        and order.ordered_by_id == user_of(request).pk
        and request.POST.get("submission_key") == str(order.submission_key)
    ):
        return redirect(order.case.get_absolute_url())
    context = {"draft": draft, "ended": ended_text(draft)}
    return render(request, "access/order_draft_ended.html", context, status=409)


@member_required
@require_http_methods(["GET", "POST"])
def discard_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Discard a draft from one of the organisation's systems: confirm, then POST."""
    user = user_of(request)
    organisation = active_organisation(request)
    draft = get_draft_in_organisation(organisation, pk)
    if draft.state != OrderDraft.State.WAITING:
        return _draft_ended(request, draft)
    context: dict[str, Any] = {
        "draft": draft,
        "lines": draft.lines.all(),
        "refusal": draft_refusal(user, draft),
    }
    if context["refusal"]:
        return render(request, "access/order_draft_discard.html", context, status=403)
    if request.method == "POST":
        try:
            do_discard_draft(actor=user, draft=draft)
        except DraftEnded as ended:
            return render(
                request,
                "access/order_draft_ended.html",
                {"draft": draft, "ended": ended.reason},
                status=409,
            )
        except OrderRefused as refusal:
            context["refusal"] = refusal.reason
            return render(request, "access/order_draft_discard.html", context, status=403)
        messages.success(
            request,
            _("The draft from %(system)s is discarded.") % {"system": draft.api_client.name},
        )
        return redirect(reverse("access:order"))
    return render(request, "access/order_draft_discard.html", context)
