"""Min side and the appointment of authorised orderers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from access import rules
from access.forms import AppointmentForm, ContactDetailsForm
from access.fullmakt_form import build_form
from access.integrations import may_manage_integrations
from access.models import Appointment
from access.overview import ended_roles, grants_in, grouping_roles, own_grants
from access.services import (
    AppointmentRefused,
    access_subject_area,
    do_request_appointment,
    is_last_orderer,
)
from portal.dates import today as oslo_today
from portal.models import Area, Organisation, RoleAssignment, RoleType, User
from portal.organisations import (
    active_organisation,
    login_view,
    member_required,
    public_view,
    user_of,
)
from portal.xlsx import XLSX_TYPE, ExportColumn, xlsx_export


@login_view
@require_http_methods(["GET", "POST"])
def my_page(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    organisation: Organisation | None = request.organisation  # type: ignore[attr-defined]
    form = ContactDetailsForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your contact details are saved."))
        return redirect("access:my_page")
    context: dict[str, Any] = {"form": form}
    if organisation is not None:
        context.update(_organisation_overview(user, organisation))
        grants, grant_filter = grants_in(organisation, request.GET)
        context.update(
            {"grants": grants[:500], "grant_filter": grant_filter, "grant_count": grants.count()}
        )
    return render(request, "access/my_page.html", context, status=400 if form.is_bound else 200)


def _organisation_overview(user: User, organisation: Organisation) -> dict[str, Any]:
    held = list(
        RoleAssignment.objects.held_today()
        .of_active_members()
        .filter(organisation=organisation, role__is_active=True)
        .select_related("person", "role")
        .order_by("role__position", "person__last_name", "person__first_name")
    )
    groupings = [
        {
            "role": role,
            "name": role.name,
            "holders": [a for a in held if a.role_id == role.pk],
        }
        for role in grouping_roles(organisation)
    ]
    may_see_why = rules.may_appoint(user, organisation, Area.PAYROLL) or any(
        a.person_id == user.pk and a.role.code == RoleType.FULLMAKT for a in held
    )
    authorities = []
    for assignment in held:
        if assignment.role.kind == RoleType.Kind.CONTACT:
            continue
        show_why = may_see_why or assignment.person_id == user.pk
        authorities.append(
            {
                "assignment": assignment,
                "role": assignment.role.name,
                "why": rules.explain(assignment) if show_why else [],
            }
        )
    missing = [area for area in organisation.areas if not rules.orderers(organisation, area)]
    return {
        "my_grants": own_grants(user, organisation),
        "groupings": groupings,
        "authorities": authorities,
        "missing_orderers": missing,
        "my_roles": [a for a in held if a.person_id == user.pk],
        "ended_roles": ended_roles(user, organisation),
        "may_manage_integrations": may_manage_integrations(user, organisation),
    }


def fallback_case_link(area: str) -> str:
    """The prefilled "report a case" for sending a signed fullmakt form (rule 5's fallback)."""
    subject = access_subject_area(area, or_first=False)
    params = {"kategori": area, "tittel": _("Signed fullmakt form")}
    if subject is not None:
        params["fagomrade"] = str(subject.pk)
    return reverse("cases:new") + "?" + urlencode(params)


@member_required
@require_http_methods(["GET", "POST"])
def orderers_page(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    organisation = active_organisation(request)
    ways = [rules.appointing(organisation, area) for area in organisation.areas]
    # Offered only where the user may appoint someone: a holder who is the only member
    # would get an empty person list, so they are shown the fullmakt form instead.
    allowed = [way.area for way in ways if way.may_appoint(user)]
    form = (
        AppointmentForm(request.POST or None, organisation=organisation, areas=allowed, actor=user)
        if allowed
        else None
    )
    needs_confirmation = False
    if request.method == "POST":
        if form is None:
            messages.error(request, _("You cannot appoint or remove authorised orderers."))
            return redirect("access:orderers")
        if form.is_valid():
            data = form.cleaned_data
            removing = data["action"] == Appointment.Action.REMOVE
            if (
                removing
                and is_last_orderer(data["person"], organisation, data["area"])
                and not data["confirm_last"]
            ):
                needs_confirmation = True
                form.add_error(
                    "confirm_last",
                    _(
                        "%(person)s is the organisation's only authorised orderer for this area. "
                        "Without one, nobody can order access. Confirm to send the request anyway."
                    )
                    % {"person": data["person"]},
                )
            else:
                try:
                    appointment = do_request_appointment(
                        actor=user,
                        organisation=organisation,
                        area=data["area"],
                        action=Appointment.Action(data["action"]),
                        person=data["person"],
                        valid_from=data["valid_from"],
                        comment=data["comment"],
                    )
                except AppointmentRefused as refusal:
                    form.add_error(None, refusal.reason)
                else:
                    messages.success(
                        request,
                        _("The request is sent to the customer centre as case %(number)s.")
                        % {"number": appointment.case.number},
                    )
                    return redirect(appointment.case.get_absolute_url())
    context = {
        "form": form,
        "needs_confirmation": needs_confirmation,
        "areas": [
            {
                "area": way.area,
                "orderers": rules.orderers(organisation, way.area),
                "appointers": way.appointers,
                "nobody": way.fullmakt_form_needed,
                "reason": way.reason,
                "may_appoint": way.area in allowed,
                "case_link": fallback_case_link(way.area),
            }
            for way in ways
        ],
        "pending": Appointment.objects.pending()
        .filter(organisation=organisation)
        .select_related("person", "case", "requested_by"),
    }
    status = 400 if form is not None and form.is_bound and form.errors else 200
    return render(request, "access/orderers.html", context, status=status)


@public_view
@require_GET
def fullmakt_form(request: HttpRequest) -> HttpResponse:
    """The form, prefilled with the active organisation when the reader is logged in."""
    organisation: Organisation | None = getattr(request, "organisation", None)
    content = build_form(organisation)
    response = HttpResponse(
        content,
        content_type=XLSX_TYPE,
    )
    response["Content-Disposition"] = 'attachment; filename="fullmaktsskjema.xlsx"'
    return response


@member_required
@require_GET
def grants_export(request: HttpRequest) -> FileResponse:
    """The access overview of Min side as an Excel file, with the same filters."""
    organisation = active_organisation(request)
    grants, _filter = grants_in(organisation, request.GET)
    columns = [
        ExportColumn("person", _("Person"), "text", 28),
        ExportColumn("email", _("E-mail"), "text", 30),
        ExportColumn("employee", _("Employee number"), "text", 16),
        ExportColumn("system", _("System"), "text", 26),
        ExportColumn("role", _("Role"), "text", 28),
        ExportColumn("since", _("Since"), "date", 14),
    ]
    rows = (
        [
            grant.person_name,
            grant.person_email,
            grant.employee_number,
            grant.system_role.system.name,
            grant.system_role.name,
            grant.valid_from,
        ]
        for grant in grants.iterator(chunk_size=1000)
    )
    return xlsx_export(
        columns,
        rows,
        sheet_title=_("Access"),
        filename=f"tilganger-{slugify(organisation.name)}-{oslo_today():%Y-%m-%d}.xlsx",
    )
