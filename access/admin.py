"""Staff decide appointment requests in the admin: approve or reject, with a reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from access.models import Appointment
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
