"""Bestill roller og tilganger: choose the area, add lines, review, submit (rule 3)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access import rules
from access.forms import OrderForm, OrderLineForm, OrderLineFormSet
from access.models import System, SystemRole
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
    request: HttpRequest, organisation: Organisation, area: str, formset: Any, form: OrderForm
) -> dict[str, Any]:
    return {
        "area": area,
        "area_label": System.Area(area).label,
        "formset": formset,
        "form": form,
        "organisation": organisation,
    }


def _lines(formset: Any) -> list[LineInput]:
    lines = []
    for line_form in formset.forms:
        data = line_form.cleaned_data
        if not data or not line_form.has_changed():
            continue
        lines.append(
            LineInput(
                system_role=data["system_role"],
                action=data["action"],
                valid_from=data["valid_from"],
                person=data.get("person"),
                new_person_name=data.get("new_person_name", ""),
                new_person_email=data.get("new_person_email", ""),
                employee_number=data.get("employee_number", ""),
            )
        )
    return lines


@member_required
@require_http_methods(["GET", "POST"])
def order(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    organisation = active_organisation(request)
    areas = _areas(user, organisation)
    area = request.POST.get("omrade") or request.GET.get("omrade") or ""
    offered = next((a for a in areas if a["area"] == area), None)
    if offered is None or (not offered["may"] and request.method == "GET"):
        status = 403 if area or not any(a["may"] for a in areas) else 200
        context = {
            "areas": areas,
            "ended_roles": ended_roles(user, organisation),
        }
        return render(request, "access/order_choose.html", context, status=status)
    if not offered["may"]:
        return _refused_keeping_lines(request, organisation, area, offered)
    roles = _roles_for(user, organisation, area)
    kwargs = {"organisation": organisation, "roles": roles}
    step = request.POST.get("step", "")
    if request.method == "GET" or step == "add":
        initial = _initial_lines(request) if step == "add" else [{}]
        if step == "add":
            initial.append({})
        formset = OrderLineFormSet(initial=initial, form_kwargs=kwargs)
        form = OrderForm(
            initial={
                "submission_key": request.POST.get("submission_key") or uuid.uuid4(),
                "comment": request.POST.get("comment", ""),
            }
        )
        return render(
            request, "access/order_form.html", _context(request, organisation, area, formset, form)
        )

    formset = OrderLineFormSet(request.POST, form_kwargs=kwargs)
    form = OrderForm(request.POST)
    context = _context(request, organisation, area, formset, form)
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
    request: HttpRequest, organisation: Organisation, area: str, offered: dict[str, Any]
) -> HttpResponse:
    """Rule 3 at submission: the user may not order this (any more). Say why, keep the lines."""
    roles = SystemRole.objects.filter(system__area=area).select_related("system", "register_role")
    formset = OrderLineFormSet(
        request.POST, form_kwargs={"organisation": organisation, "roles": roles}
    )
    form = OrderForm(request.POST)
    formset.is_valid()
    form.is_valid()
    context = _context(request, organisation, area, formset, form)
    context["refusal"] = offered["why_not"] or _("You cannot order this.")
    context["who"] = offered["orderers"]
    return render(request, "access/order_form.html", context, status=403)
