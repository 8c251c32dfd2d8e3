"""The support desk for access: staff decide orders, appointments and fullmakt forms on
pages of their own, with the rules shown beside the decision (issue 14, point 4).

Every decision goes through the services (access/services.py, access/ordering.py,
access/fullmakt_services.py), which check who acts; the pages show what the rules
say (access/rules.py) and never decide anything themselves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.formats import number_format
from django.utils.html import format_html_join
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin

from access.desk_forms import (
    ACTION_CHOICES,
    AppointmentDecisionForm,
    FullmaktRowFormSet,
    FullmaktStepForm,
    OrderLineFormSet,
    initial_rows,
    role_choices,
)
from access.fullmakt_services import (
    do_confirm_fullmakt,
    do_key_in_fullmakt_rows,
    do_reject_fullmakt,
    do_verify_fullmakt,
    next_step_refusal,
    steps_open_to,
)
from access.models import (
    AccessGrant,
    Appointment,
    FullmaktSubmission,
    Order,
    OrderLine,
    System,
    SystemRole,
)
from access.ordering import LineInput, do_fulfil_line, may_fulfil, review_flags
from access.rules import (
    ORDERER_ROLE,
    explain,
    may_appoint,
    may_order,
    order_authority,
    orderers,
    payroll_control_applies,
)
from access.services import (
    decision_refusal,
    do_decide_appointment,
    is_last_orderer,
)
from cases.access import attachment_download
from cases.models import Case
from portal.admin import ReadOnlyAdmin, TeamScopedAdmin
from portal.admin import RoleAssignmentAdmin as PortalRoleAssignmentAdmin
from portal.dates import oslo_date
from portal.models import Area, RoleAssignment, RoleType
from portal.organisations import user_of
from portal.services import Refused
from portal.version import safe_next_url

M = TypeVar("M", bound=models.Model)


class DecidedFilter(admin.SimpleListFilter):
    """Waiting or decided: the decision is a row of its own (append-only), not a field."""

    title = _("state")
    parameter_name = "avgjort"
    decision_path = "decision"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("nei", _("Waiting")), ("ja", _("Decided"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in {"nei", "ja"}:
            return queryset.filter(**{f"{self.decision_path}__isnull": self.value() == "nei"})
        return queryset


class OrderStateFilter(DecidedFilter):
    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        match self.value():
            case "nei":
                return queryset.open()  # type: ignore[attr-defined,no-any-return]
            case "ja":
                return queryset.done()  # type: ignore[attr-defined,no-any-return]
        return queryset


class FullmaktStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "tilstand"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(FullmaktSubmission.State.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in FullmaktSubmission.State.values:
            return queryset.in_state(self.value())  # type: ignore[attr-defined,no-any-return]
        return queryset


class DeskAdmin(TeamScopedAdmin[M]):
    """A page for deciding, not for editing a model: the facts, the rules beside the
    decision, and a form whose choices go to the services (which check who acts).

    The admin's own change page (``admin:<app>_<model>_change``) is replaced by
    ``desk_context`` and ``decide``; a refusal from a service is shown beside the
    form with what was typed (status 400), and after a decision the staff member
    goes back where they came from: a safe ``next``, else the changelist with its
    filters (``_changelist_filters``).
    """

    desk_template = ""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def desk_context(self, request: HttpRequest, obj: M) -> dict[str, Any]:
        raise NotImplementedError

    def decide(self, request: HttpRequest, obj: M) -> HttpResponse:
        raise NotImplementedError

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:  # outside the team's scope, or no such row: the admin's "not found"
            return self._get_obj_does_not_exist_redirect(  # type: ignore[attr-defined,no-any-return]
                request, self.opts, object_id
            )
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        if request.method == "POST":
            if not self.has_change_permission(request, obj):
                raise PermissionDenied
            return self.decide(request, obj)
        return self.desk_page(request, obj, {})

    def desk_page(
        self, request: HttpRequest, obj: M, forms_context: dict[str, Any], status: int = 200
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": obj,
            "title": str(obj),
            "subtitle": None,
            "has_view_permission": True,
            "has_change_permission": self.has_change_permission(request, obj),
            "is_popup": False,
            "preserved_filters": self.get_preserved_filters(request),
            "return_url": self.return_url(request),
            "next": self.safe_next(request),
            "case_url": reverse("admin:cases_case_change", args=[obj.case_id]),  # type: ignore[attr-defined]
            **self.desk_context(request, obj),
            **forms_context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.desk_template, context, status=status)

    def safe_next(self, request: HttpRequest) -> str:
        return safe_next_url(request, request.POST.get("next") or request.GET.get("next")) or ""

    def return_url(self, request: HttpRequest) -> str:
        """Where the staff member came from: a safe ``next``, else the filtered changelist."""
        wanted = self.safe_next(request)
        if wanted:
            return wanted
        opts = self.opts
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_changelist",
            current_app=self.admin_site.name,
        )
        return add_preserved_filters(
            {"preserved_filters": self.get_preserved_filters(request), "opts": opts}, url
        )

    def done(self, request: HttpRequest, message: object) -> HttpResponseRedirect:
        messages.success(request, str(message))
        return HttpResponseRedirect(self.return_url(request))


def chain(assignment: RoleAssignment | None) -> list[str]:
    """The evidence chain behind an assignment, as the rules explain it."""
    return [link.text for link in explain(assignment)] if assignment is not None else []


@admin.register(Appointment)
class AppointmentAdmin(DeskAdmin[Appointment]):
    desk_template = "admin/access/appointment/change_form.html"
    list_display = (
        "requested_at",
        "organisation",
        "area",
        "action",
        "person",
        "valid_from",
        "requested_by",
        "state_label",
        "case_number",
    )
    list_display_links = ("requested_at", "case_number")
    list_filter = (DecidedFilter, "area", "action")
    list_select_related = ("organisation", "person", "requested_by", "case", "decision")
    search_fields = ("organisation__name", "person__last_name", "case__number")

    def team_scope(self, queryset: QuerySet[Appointment], areas: list[str]) -> Any:
        return queryset.filter(area__in=areas)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Appointment]:
        return (
            super()
            .get_queryset(request)
            .select_related(
                "case",
                "organisation",
                "person",
                "requested_by",
                "requester_assignment__role",
                "decision__decided_by",
            )
        )

    @admin.display(description=_("case"))
    def case_number(self, appointment: Appointment) -> str:
        return appointment.case.number

    @admin.display(description=_("state"))
    def state_label(self, appointment: Appointment) -> str:
        return appointment.get_state_display()

    def desk_context(self, request: HttpRequest, obj: Appointment) -> dict[str, Any]:
        role = RoleType.objects.get(code=ORDERER_ROLE[Area(obj.area)])
        warning: object = ""
        if obj.action == Appointment.Action.REMOVE and is_last_orderer(
            obj.person, obj.organisation, obj.area
        ):
            warning = _("Warning: this is the organisation's only authorised orderer for the area.")
        count = len(orderers(obj.organisation, obj.area))
        return {
            "role": role,
            "held": obj.requester_assignment,
            "held_chain": chain(obj.requester_assignment),
            "still_may_appoint": may_appoint(obj.requested_by, obj.organisation, obj.area),
            "last_orderer_warning": warning,
            "orderer_count": ngettext(
                "%(count)s authorised orderer today", "%(count)s authorised orderers today", count
            )
            % {"count": number_format(count, force_grouping=True)},
            "refusal_for_you": decision_refusal(user_of(request), obj),
        }

    def desk_page(
        self,
        request: HttpRequest,
        obj: Appointment,
        forms_context: dict[str, Any],
        status: int = 200,
    ) -> TemplateResponse:
        forms_context.setdefault("form", AppointmentDecisionForm())
        return super().desk_page(request, obj, forms_context, status)

    def decide(self, request: HttpRequest, obj: Appointment) -> HttpResponse:
        form = AppointmentDecisionForm(request.POST)
        if not form.is_valid():
            return self.desk_page(request, obj, {"form": form}, status=400)
        try:
            do_decide_appointment(
                actor=user_of(request),
                appointment=obj,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
        except Refused as refusal:  # the service's, or one from the register below it
            form.add_error(None, refusal.reason)
            return self.desk_page(request, obj, {"form": form}, status=400)
        return self.done(request, _("The decision is saved and the requester is told."))


class RoleAssignmentWithWhyAdmin(PortalRoleAssignmentAdmin):
    """The register's admin, plus the chain behind each assignment (rules live in this layer)."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), "why")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        return [*fields, "why"] if obj is not None else fields

    @admin.display(description=_("Why does this person hold the role?"))
    def why(self, assignment: RoleAssignment) -> str:
        return format_html_join(
            mark_safe("<br>"), "{}", ((link.text,) for link in explain(assignment))
        )


admin.site.unregister(RoleAssignment)
admin.site.register(RoleAssignment, RoleAssignmentWithWhyAdmin)


@admin.register(Order)
class OrderAdmin(DeskAdmin[Order]):
    """Staff fulfil orders line by line: done (the grant is made) or rejected with a reason."""

    desk_template = "admin/access/order/change_form.html"
    list_display = (
        "submitted_at",
        "case_number",
        "organisation",
        "area",
        "ordered_by",
        "state_label",
    )
    list_display_links = ("submitted_at", "case_number")
    list_filter = (OrderStateFilter, "area")
    list_select_related = ("case", "organisation", "ordered_by")
    search_fields = ("case__number", "organisation__name")

    def team_scope(self, queryset: QuerySet[Order], areas: list[str]) -> Any:
        # A team sees the orders of its areas; the customer centre's own roles go to both.
        return queryset.filter(area__in=[*areas, System.Area.CUSTOMER_CENTRE])

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).prefetch_related("lines__decision")

    @admin.display(description=_("case"))
    def case_number(self, order: Order) -> str:
        return order.case.number

    @admin.display(description=_("state"))
    def state_label(self, order: Order) -> str:
        return order.get_state_display()

    def lines_of(self, order: Order) -> list[OrderLine]:
        return list(
            order.lines.select_related(
                "person",
                "system_role__system",
                "system_role__register_role",
                "decision__decided_by",
            ).order_by("id")
        )

    def desk_context(self, request: HttpRequest, obj: Order) -> dict[str, Any]:
        lines = self.lines_of(obj)
        pending = [line for line in lines if line.decided is None]
        flags = dict(
            zip(
                [line.pk for line in pending],
                review_flags(
                    obj.organisation,
                    [LineInput.of(line) for line in pending],
                ),
                strict=True,
            )
        )
        authorities = []
        for area in sorted({line.system_role.ordering_area for line in lines}):
            needed = area != Area.PAYROLL or payroll_control_applies(obj.submitted_at)
            held = (
                order_authority(obj.ordered_by, obj.organisation, area, obj.submitted_at)
                if needed
                else None
            )
            authorities.append(
                {
                    "area": System.Area(area).label if area in System.Area.values else area,
                    "needed": needed,
                    "held": held,
                    "chain": chain(held),
                    "today": may_order(obj.ordered_by, obj.organisation, area)
                    if area in Area.values
                    else True,
                }
            )
        return {
            "lines": [(line, flags.get(line.pk)) for line in lines],
            "authorities": authorities,
            "control_date": settings.PAYROLL_ORDER_CONTROL_DATE,
        }

    def desk_page(
        self, request: HttpRequest, obj: Order, forms_context: dict[str, Any], status: int = 200
    ) -> TemplateResponse:
        ours, theirs = self.pending(request, obj)
        if "formset" not in forms_context:
            forms_context["formset"] = OrderLineFormSet(lines=ours, prefix="lines")
        formset = forms_context["formset"]
        forms_context["line_forms"] = [
            (form, formset.lines.get(_int(form["id"].value()))) for form in formset.forms
        ]
        forms_context["other_teams_lines"] = len(theirs)
        return super().desk_page(request, obj, forms_context, status)

    def pending(self, request: HttpRequest, obj: Order) -> tuple[list[OrderLine], list[OrderLine]]:
        """The order's waiting lines: those the staff member's team decides, and the rest
        (another team's, shown but not offered)."""
        actor = user_of(request)
        waiting = [line for line in self.lines_of(obj) if line.decided is None]
        ours = [line for line in waiting if may_fulfil(actor, line)]
        return ours, [line for line in waiting if line not in ours]

    def decide(self, request: HttpRequest, obj: Order) -> HttpResponse:
        ours, _theirs = self.pending(request, obj)
        formset = OrderLineFormSet(request.POST, lines=ours, prefix="lines")
        if not formset.is_valid():
            return self.desk_page(request, obj, {"formset": formset}, status=400)
        refused = ""
        try:
            # All the chosen lines or none: a refusal of one leaves the others waiting too.
            with transaction.atomic():
                for line, done, reason in formset.decisions():
                    try:
                        do_fulfil_line(actor=user_of(request), line=line, done=done, reason=reason)
                    except Refused as refusal:
                        refused = f"{line.person_label} – {line.system_role}: {refusal.reason}"
                        raise
        except Refused:
            return self.desk_page(request, obj, {"formset": formset, "refusal": refused}, 400)
        case = Case.objects.get(pk=obj.case_id)
        if (
            case.status != Case.Status.CLOSED
            and not obj.lines.filter(decision__isnull=True).exists()
        ):
            return self.done(
                request,
                _("The lines are decided. The case is the other team's: they close it."),
            )
        return self.done(request, _("The lines are decided."))


@admin.register(System)
class SystemAdmin(TeamScopedAdmin[System]):
    list_display = ("name_nb", "name_nn", "name_en", "area", "position", "is_active")
    list_filter = ("area", "is_active")

    def team_scope(self, queryset: QuerySet[System], areas: list[str]) -> Any:
        return queryset.filter(area__in=[*areas, System.Area.CUSTOMER_CENTRE])


@admin.register(SystemRole)
class SystemRoleAdmin(TeamScopedAdmin[SystemRole]):
    list_display = (
        "name_nb",
        "name_nn",
        "name_en",
        "system",
        "register_role",
        "position",
        "is_active",
    )
    list_filter = ("system", "is_active")

    def team_scope(self, queryset: QuerySet[SystemRole], areas: list[str]) -> Any:
        return queryset.filter(system__area__in=[*areas, System.Area.CUSTOMER_CENTRE])


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdmin[AccessGrant]):
    """Read-only: grants change only through fulfilled order lines."""

    list_display = (
        "person_name",
        "system_role",
        "organisation",
        "valid_from",
        "valid_to",
        "recorded_at",
    )
    list_filter = ("system_role__system",)
    list_select_related = ("system_role__system", "organisation")
    search_fields = ("person_name", "person_email", "organisation__name")

    def team_scope(self, queryset: QuerySet[AccessGrant], areas: list[str]) -> Any:
        return queryset.filter(system_role__system__area__in=[*areas, System.Area.CUSTOMER_CENTRE])


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


PREVIEWABLE = ("application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp")


def rows_for_reading(rows: list[Any]) -> list[dict[str, Any]]:
    """Stored rows with labels for people: role names, "Add"/"End", dates as dates."""
    roles = dict(role_choices())
    actions = {code: str(label) for code, label in ACTION_CHOICES}
    shown = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        try:
            day: Any = dt.date.fromisoformat(str(row.get("date", "")))
        except ValueError:
            day = row.get("date", "")
        shown.append(
            {
                "row": row.get("row", ""),
                "name": row.get("name", ""),
                "email": row.get("email", ""),
                "employee_number": row.get("employee_number", ""),
                "role": roles.get(str(row.get("role", "")), _("Unknown role")),
                "action": actions.get(str(row.get("action", "")), _("Unknown")),
                "date": day,
            }
        )
    return shown


@admin.register(FullmaktSubmission)
class FullmaktSubmissionAdmin(DeskAdmin[FullmaktSubmission]):
    """Two staff members: one verifies the signer's authority, another confirms and registers."""

    desk_template = "admin/access/fullmaktsubmission/change_form.html"
    list_display = ("submitted_at", "case_number", "organisation", "state_label", "verifier")
    list_display_links = ("submitted_at", "case_number")
    list_filter = (FullmaktStateFilter,)
    list_select_related = ("case", "organisation")
    search_fields = ("case__number", "organisation__name", "signer_name")

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .select_related(
                "case", "organisation", "signed_attachment", "xlsx_attachment", "submitted_by"
            )
            .prefetch_related("steps__taken_by")
        )

    def team_scope(self, queryset: QuerySet[FullmaktSubmission], areas: list[str]) -> Any:
        return queryset.filter(case__category__in=areas)

    @admin.display(description=_("verified by"))
    def verifier(self, submission: FullmaktSubmission) -> str:
        return str(submission.verified_by or "–")

    @admin.display(description=_("case"))
    def case_number(self, submission: FullmaktSubmission) -> str:
        return submission.case.number

    @admin.display(description=_("state"))
    def state_label(self, submission: FullmaktSubmission) -> str:
        return submission.get_state_display()

    def get_urls(self) -> list[URLPattern]:
        preview = path(
            "<path:object_id>/signert-kopi/",
            self.admin_site.admin_view(self.signed_copy_view),
            name="access_fullmaktsubmission_signed_copy",
        )
        return [preview, *super().get_urls()]

    @method_decorator(xframe_options_sameorigin)
    def signed_copy_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        """The signed copy shown inline beside the form (PDF or image only), for the same
        team that may open the form; the page that frames it must be our own."""
        submission = self.get_object(request, unquote(object_id))
        if submission is None:
            raise Http404
        if not self.has_view_permission(request, submission):
            raise PermissionDenied
        attachment = submission.signed_attachment
        if attachment.content_type not in PREVIEWABLE:
            raise Http404
        response = attachment_download(attachment)
        response["Content-Disposition"] = str(content_disposition_header(False, attachment.name))
        response["Content-Security-Policy"] = str(settings.CONTENT_SECURITY_POLICY).replace(
            "frame-ancestors 'none'", "frame-ancestors 'self'"
        )
        return response

    def desk_context(self, request: HttpRequest, obj: FullmaktSubmission) -> dict[str, Any]:
        signed = obj.signed_attachment
        held = (
            RoleAssignment.objects.newest_versions()
            .held_on(oslo_date(obj.submitted_at))
            .filter(person=obj.submitted_by, organisation=obj.organisation)
            .select_related("role")
            .order_by("role__position")
        )
        verified_by = obj.verified_by
        next_step = {
            FullmaktSubmission.State.SUBMITTED: _(
                "Verify: a staff member checks the signed copy "
                "and the signer's budget disposal authority."
            ),
            FullmaktSubmission.State.VERIFIED: _(
                "Confirm: a second staff member registers the roles."
            ),
        }.get(obj.state, "")  # type: ignore[call-overload]
        return {
            "signed": signed,
            "signed_url": reverse("admin:cases_case_attachment", args=[obj.case_id, signed.pk]),
            "preview_url": reverse("admin:access_fullmaktsubmission_signed_copy", args=[obj.pk])
            if signed.content_type in PREVIEWABLE
            else "",
            "preview_is_image": signed.content_type.startswith("image/"),
            "xlsx_url": reverse(
                "admin:cases_case_attachment", args=[obj.case_id, obj.xlsx_attachment_id]
            )
            if obj.xlsx_attachment_id
            else "",
            "rows": rows_for_reading(obj.current_rows),
            "steps": [{"kind": step.get_kind_display(), "step": step} for step in obj.steps.all()],
            "submitter_roles": [(assignment, chain(assignment)) for assignment in held],
            "verified_by": verified_by,
            "next_step": next_step,
            "refusal_for_you": next_step_refusal(user_of(request), obj),
            "report_lines": [line for line in obj.registration_report.splitlines() if line],
        }

    def desk_page(
        self,
        request: HttpRequest,
        obj: FullmaktSubmission,
        forms_context: dict[str, Any],
        status: int = 200,
    ) -> TemplateResponse:
        steps = steps_open_to(user_of(request), obj)
        if steps:
            forms_context.setdefault("step_form", FullmaktStepForm(steps=steps))
        if obj.state == FullmaktSubmission.State.SUBMITTED:
            forms_context.setdefault(
                "row_formset",
                FullmaktRowFormSet(initial=initial_rows(obj.current_rows), prefix="rows"),
            )
        return super().desk_page(request, obj, forms_context, status)

    def decide(self, request: HttpRequest, obj: FullmaktSubmission) -> HttpResponse:
        if "_add_row" in request.POST or "_save_rows" in request.POST:
            return self.key_in(request, obj)
        steps = steps_open_to(user_of(request), obj)
        if not steps:  # decided meanwhile, or not theirs to handle: say why, change nothing
            messages.error(request, next_step_refusal(user_of(request), obj) or "")
            return self.desk_page(request, obj, {}, status=400)
        form = FullmaktStepForm(request.POST, steps=steps)
        if not form.is_valid():
            return self.desk_page(request, obj, {"step_form": form}, status=400)
        actor = user_of(request)
        step = form.cleaned_data["step"]
        try:
            if step == "verify":
                do_verify_fullmakt(actor=actor, submission=obj, authority_confirmed=True)
                message = _("Verified. A second staff member must confirm.")
            elif step == "confirm":
                done = do_confirm_fullmakt(actor=actor, submission=obj)
                message = _("The roles are registered.")
                if done.registration_report:
                    messages.warning(request, done.registration_report)
            else:
                do_reject_fullmakt(actor=actor, submission=obj, reason=form.cleaned_data["reason"])
                message = _("The form is rejected and the customer is told.")
        except Refused as refusal:
            form.add_error(None, refusal.reason)
            return self.desk_page(request, obj, {"step_form": form}, status=400)
        return self.done(request, message)

    def key_in(self, request: HttpRequest, obj: FullmaktSubmission) -> HttpResponse:
        """Staff key in the rows from the signed copy: one row per person, never JSON."""
        if obj.state != FullmaktSubmission.State.SUBMITTED:
            raise PermissionDenied
        formset = FullmaktRowFormSet(request.POST, prefix="rows")
        if "_add_row" in request.POST:
            # One more row, with what was typed kept; nothing is checked or stored yet.
            more = FullmaktRowFormSet(initial=formset.typed(), prefix="rows")
            return self.desk_page(request, obj, {"row_formset": more, "row_added": True})
        if not formset.is_valid():
            return self.desk_page(request, obj, {"row_formset": formset}, status=400)
        try:
            do_key_in_fullmakt_rows(actor=user_of(request), submission=obj, rows=formset.rows())
        except Refused as refusal:
            return self.desk_page(
                request, obj, {"row_formset": formset, "rows_refusal": refusal.reason}, status=400
            )
        messages.success(request, _("The rows are saved. Check them against the signed copy."))
        return HttpResponseRedirect(request.get_full_path())
