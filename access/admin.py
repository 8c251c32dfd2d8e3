"""Staff decide appointment requests in the admin: approve or reject, with a reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from access.models import AccessGrant, Appointment, Order, OrderLine, System, SystemRole
from access.ordering import OrderRefused, do_fulfil_line
from access.rules import explain, orderers
from access.services import AppointmentRefused, do_decide_appointment, is_last_orderer
from cases.teams import staff_categories
from portal.admin import RoleAssignmentAdmin as PortalRoleAssignmentAdmin
from portal.models import RoleAssignment
from portal.organisations import user_of


class DecisionForm(forms.ModelForm[Appointment]):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", "—"), ("approve", _("Approve")), ("reject", _("Reject"))],
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason (the customer sees it in the case)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    class Meta:
        model = Appointment
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") and not str(cleaned.get("reason", "")).strip():
            self.add_error("reason", _("Give a reason for the decision."))
        return cleaned


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin[Appointment]):
    form = DecisionForm
    list_display = (
        "requested_at",
        "organisation",
        "area",
        "action",
        "person",
        "valid_from",
        "requested_by",
        "state",
        "case_number",
    )
    list_filter = ("state", "area", "action")
    list_select_related = ("organisation", "person", "requested_by", "case")
    search_fields = ("organisation__name", "person__last_name", "case__number")
    readonly_fields = (
        "case_number",
        "organisation",
        "area",
        "action",
        "person",
        "valid_from",
        "comment",
        "requested_by",
        "requested_at",
        "requester_authority",
        "last_orderer_warning",
        "state",
        "decided_by",
        "decided_at",
        "decision_reason",
        "resulting_assignment",
    )
    fields = (*readonly_fields, "decision", "reason")

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(area__in=staff_categories(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("case"))
    def case_number(self, appointment: Appointment) -> str:
        return appointment.case.number

    @admin.display(description=_("requester's authority when asking"))
    def requester_authority(self, appointment: Appointment) -> str:
        held = appointment.requester_assignment
        return f"{held.role} ({held.get_basis_display()})" if held else "–"

    @admin.display(description=_("last orderer"))
    def last_orderer_warning(self, appointment: Appointment) -> str:
        if appointment.action == Appointment.Action.REMOVE and is_last_orderer(
            appointment.person, appointment.organisation, appointment.area
        ):
            return str(
                _("Warning: this is the organisation's only authorised orderer for the area.")
            )
        count = len(orderers(appointment.organisation, appointment.area))
        return str(_("%(count)d authorised orderers today") % {"count": count})

    def save_model(self, request: HttpRequest, obj: Appointment, form: Any, change: bool) -> None:
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        try:
            do_decide_appointment(
                actor=user_of(request),
                appointment=obj,
                approve=decision == "approve",
                reason=form.cleaned_data["reason"],
            )
        except AppointmentRefused as refusal:
            messages.error(request, refusal.reason)
        else:
            messages.success(request, _("The decision is saved and the requester is told."))


class RoleAssignmentWithWhyAdmin(PortalRoleAssignmentAdmin):
    """The register's admin, plus the chain behind each assignment (rules live in this layer)."""

    readonly_fields = ("why",)

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


class OrderLineDecisionForm(forms.ModelForm[OrderLine]):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", "—"), ("done", _("Done")), ("reject", _("Reject"))],
        required=False,
    )
    reason = forms.CharField(label=_("Reason"), required=False)

    class Meta:
        model = OrderLine
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "reject" and not str(cleaned.get("reason", "")).strip():
            self.add_error("reason", _("Give a reason for rejecting the line."))
        if cleaned.get("decision") and self.instance.state != OrderLine.State.PENDING:
            self.add_error("decision", _("This line has already been handled."))
        return cleaned

    def has_changed(self) -> bool:
        return bool(self.data.get(self.add_prefix("decision")))


class OrderLineInline(admin.TabularInline[OrderLine, Order]):
    model = OrderLine
    form = OrderLineDecisionForm
    extra = 0
    can_delete = False
    fields = (
        "person_label",
        "employee_number",
        "system_role",
        "action",
        "valid_from",
        "state",
        "decided_by",
        "decision",
        "reason",
    )
    readonly_fields = (
        "person_label",
        "employee_number",
        "system_role",
        "action",
        "valid_from",
        "state",
        "decided_by",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("person"))
    def person_label(self, line: OrderLine) -> str:
        return line.person_label


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    """Staff fulfil orders line by line: done (the grant is made) or rejected with a reason."""

    list_display = ("submitted_at", "case_number", "organisation", "area", "ordered_by", "state")
    list_filter = ("state", "area")
    list_select_related = ("case", "organisation", "ordered_by")
    search_fields = ("case__number", "organisation__name")
    readonly_fields = (
        "case_number",
        "organisation",
        "area",
        "ordered_by",
        "submitted_at",
        "comment",
        "state",
    )
    fields = readonly_fields
    inlines = [OrderLineInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        # A team sees the orders of its areas; the customer centre's own roles go to both.
        areas = [*staff_categories(request.user), "kundesenter"]
        return super().get_queryset(request).filter(area__in=areas)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("case"))
    def case_number(self, order: Order) -> str:
        return order.case.number

    def save_model(self, request: HttpRequest, obj: Order, form: Any, change: bool) -> None:
        pass  # the order itself is never edited; its lines are decided below

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for line_form in formset.forms:
            decision = line_form.cleaned_data.get("decision")
            if not decision:
                continue
            try:
                do_fulfil_line(
                    actor=user_of(request),
                    line=line_form.instance,
                    done=decision == "done",
                    reason=line_form.cleaned_data.get("reason", ""),
                )
            except OrderRefused as refusal:
                messages.error(request, refusal.reason)


@admin.register(System)
class SystemAdmin(admin.ModelAdmin[System]):
    list_display = ("name_nb", "name_en", "area", "position", "is_active")
    list_filter = ("area", "is_active")


@admin.register(SystemRole)
class SystemRoleAdmin(admin.ModelAdmin[SystemRole]):
    list_display = ("name_nb", "name_en", "system", "register_role", "position", "is_active")
    list_filter = ("system", "is_active")


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin[AccessGrant]):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
