"""Staff decide appointment requests in the admin: approve or reject, with a reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from access.fullmakt_services import (
    FullmaktRefused,
    do_confirm_fullmakt,
    do_key_in_fullmakt_rows,
    do_reject_fullmakt,
    do_verify_fullmakt,
)
from access.models import (
    AccessGrant,
    Appointment,
    FullmaktStep,
    FullmaktSubmission,
    Order,
    OrderLine,
    System,
    SystemRole,
)
from access.ordering import OrderRefused, do_fulfil_line
from access.rules import explain, orderers
from access.services import AppointmentRefused, do_decide_appointment, is_last_orderer
from portal.admin import ReadOnlyAdmin, TeamScopedAdmin
from portal.admin import RoleAssignmentAdmin as PortalRoleAssignmentAdmin
from portal.models import RoleAssignment
from portal.organisations import user_of


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
        decided = [FullmaktStep.Kind.REGISTERED, FullmaktStep.Kind.REJECTED]
        match self.value():
            case FullmaktSubmission.State.SUBMITTED:
                return queryset.exclude(steps__kind__in=[*decided, FullmaktStep.Kind.VERIFIED])
            case FullmaktSubmission.State.VERIFIED:
                return queryset.filter(steps__kind=FullmaktStep.Kind.VERIFIED).exclude(
                    steps__kind__in=decided
                )
            case FullmaktSubmission.State.REGISTERED | FullmaktSubmission.State.REJECTED:
                return queryset.filter(steps__kind=self.value())
        return queryset


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
class AppointmentAdmin(TeamScopedAdmin[Appointment]):
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
    list_filter = (DecidedFilter, "area", "action")
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

    def team_scope(self, queryset: QuerySet[Appointment], areas: list[str]) -> Any:
        return queryset.filter(area__in=areas)

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
        return ngettext(
            "%(count)s authorised orderer today", "%(count)s authorised orderers today", count
        ) % {"count": number_format(count, force_grouping=True)}

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
class OrderAdmin(TeamScopedAdmin[Order]):
    """Staff fulfil orders line by line: done (the grant is made) or rejected with a reason."""

    list_display = ("submitted_at", "case_number", "organisation", "area", "ordered_by", "state")
    list_filter = (OrderStateFilter, "area")
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

    def team_scope(self, queryset: QuerySet[Order], areas: list[str]) -> Any:
        # A team sees the orders of its areas; the customer centre's own roles go to both.
        return queryset.filter(area__in=[*areas, System.Area.CUSTOMER_CENTRE])

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


class FullmaktStepForm(forms.ModelForm[FullmaktSubmission]):
    step = forms.ChoiceField(
        label=_("Step"),
        choices=[
            ("", "—"),
            ("verify", _("Verify (first staff member)")),
            ("confirm", _("Confirm and register the roles (second staff member)")),
            ("reject", _("Reject")),
        ],
        required=False,
    )
    authority_confirmed = forms.BooleanField(
        label=_("I have checked that the signer holds budget disposal authority"),
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason for rejecting (the customer sees it in the case)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "rows" in self.fields:
            # The rows as they stand: the last keyed in, else those read from the form.
            self.initial["rows"] = self.instance.current_rows

    class Meta:
        model = FullmaktSubmission
        fields = ["rows"]
        help_texts = {
            "rows": _(
                "For a scanned form without Excel: key in the rows as a JSON list of "
                '{"row", "name", "email", "employee_number", "role", "action" (add/end), '
                '"date" (YYYY-MM-DD)} before verifying.'
            )
        }


@admin.register(FullmaktSubmission)
class FullmaktSubmissionAdmin(TeamScopedAdmin[FullmaktSubmission]):
    """Two staff members: one verifies the signer's authority, another confirms and registers."""

    form = FullmaktStepForm
    list_display = ("submitted_at", "case_number", "organisation", "state", "verified_by")
    list_filter = (FullmaktStateFilter,)
    list_select_related = ("case", "organisation", "verified_by")
    search_fields = ("case__number", "organisation__name", "signer_name")
    readonly_fields = (
        "case_number",
        "organisation",
        "form_version",
        "parsed_rows",
        "signed_copy",
        "filled_form",
        "signer_name",
        "signer_title",
        "signer_confirmed",
        "signer_date",
        "submitted_by",
        "submitted_at",
        "state",
        "verified_by",
        "verified_at",
        "confirmed_by",
        "confirmed_at",
        "decision_reason",
        "registration_report",
    )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        editable_rows = obj is not None and obj.state == FullmaktSubmission.State.SUBMITTED
        rows = ("rows",) if editable_rows else ()
        return (*self.readonly_fields, *rows, "step", "authority_confirmed", "reason")

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .select_related("case", "signed_attachment")
            .prefetch_related("steps__taken_by")
        )

    def team_scope(self, queryset: QuerySet[FullmaktSubmission], areas: list[str]) -> Any:
        return queryset.filter(case__category__in=areas)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("case"))
    def case_number(self, submission: FullmaktSubmission) -> str:
        url = reverse("admin:cases_case_change", args=[submission.case_id])
        return format_html('<a href="{}">{}</a>', url, submission.case.number)

    @admin.display(description=_("signed copy"))
    def signed_copy(self, submission: FullmaktSubmission) -> str:
        attachment = submission.signed_attachment
        url = reverse("admin:cases_case_attachment", args=[submission.case_id, attachment.pk])
        return format_html(
            '<a href="{}">{}</a> (SHA-256 {})', url, attachment.name, submission.signed_sha256
        )

    @admin.display(description=_("filled form"))
    def filled_form(self, submission: FullmaktSubmission) -> str:
        attachment = submission.xlsx_attachment
        if attachment is None:
            return str(_("No Excel file: key in the rows from the signed copy."))
        url = reverse("admin:cases_case_attachment", args=[submission.case_id, attachment.pk])
        return format_html(
            '<a href="{}">{}</a> (SHA-256 {})', url, attachment.name, submission.xlsx_sha256
        )

    @admin.display(description=_("rows read from the form"))
    def parsed_rows(self, submission: FullmaktSubmission) -> str:
        rows = submission.current_rows
        if not rows:
            return "–"
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    row.get("row"),
                    row.get("name"),
                    row.get("email"),
                    row.get("employee_number"),
                    row.get("role"),
                    row.get("action"),
                    row.get("date"),
                )
                for row in rows
                if isinstance(row, dict)
            ),
        )
        head = format_html(
            "<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "<th>{}</th></tr></thead>",
            _("Row"),
            _("Name"),
            _("E-mail"),
            _("Employee number"),
            _("Role"),
            _("Add or end"),
            _("Date"),
        )
        return format_html("<table>{}<tbody>{}</tbody></table>", head, body)

    def save_model(
        self, request: HttpRequest, obj: FullmaktSubmission, form: Any, change: bool
    ) -> None:
        actor = user_of(request)
        step = form.cleaned_data.get("step")
        try:
            if "rows" in form.changed_data:
                do_key_in_fullmakt_rows(actor=actor, submission=obj, rows=obj.rows)
            if step == "verify":
                do_verify_fullmakt(
                    actor=actor,
                    submission=obj,
                    authority_confirmed=form.cleaned_data.get("authority_confirmed", False),
                )
                messages.success(request, _("Verified. A second staff member must confirm."))
            elif step == "confirm":
                done = do_confirm_fullmakt(actor=actor, submission=obj)
                messages.success(request, _("The roles are registered."))
                if done.registration_report:
                    messages.warning(request, done.registration_report)
            elif step == "reject":
                do_reject_fullmakt(
                    actor=actor, submission=obj, reason=form.cleaned_data.get("reason", "")
                )
                messages.success(request, _("The form is rejected and the customer is told."))
        except FullmaktRefused as refusal:
            messages.error(request, refusal.reason)
