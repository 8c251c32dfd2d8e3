from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.dates import today as oslo_today
from portal.models import (
    AuditEvent,
    ContactCentre,
    Feedback,
    Membership,
    Organisation,
    RoleAssignment,
    RoleType,
    User,
)
from portal.organisations import user_of
from portal.services import do_assign_role, do_end_role
from portal.xlsx import ExportColumn, xlsx_export

admin.site.site_header = _("Kundesenter – support")
admin.site.site_title = _("Kundesenter admin")
admin.site.index_title = _("Support staff")


class MembershipInline(admin.TabularInline[Membership, Organisation]):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]


class UserMembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]
    readonly_fields = ["created_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Contact details"), {"fields": ("phone", "job_title", "language")}),
        (_("Login provider"), {"fields": ("oidc_sub",)}),
    )
    list_display = ("username", "first_name", "last_name", "email", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email", "oidc_sub")
    inlines = [UserMembershipInline]


class WithoutOrdererFilter(admin.SimpleListFilter):
    """Staff's list of organisations that cannot order access: nobody holds the orderer role."""

    title = _("authorised orderer")
    parameter_name = "uten_bestiller"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("lonn", _("None for payroll")),
            ("regnskap", _("None for accounting")),
            ("begge", _("None at all")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        payroll, accounting = RoleType.PAYROLL_ORDERER, RoleType.ACCOUNTING_ORDERER
        match self.value():
            case "lonn":
                return queryset.filter(buys_payroll=True).without_holders_of(payroll)  # type: ignore[attr-defined,no-any-return]
            case "regnskap":
                return queryset.filter(buys_accounting=True).without_holders_of(accounting)  # type: ignore[attr-defined,no-any-return]
            case "begge":
                return queryset.without_holders_of(payroll, accounting)  # type: ignore[attr-defined,no-any-return]
        return queryset


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ("name", "org_number", "slug", "buys_payroll", "buys_accounting", "is_active")
    list_filter = (WithoutOrdererFilter, "buys_payroll", "buys_accounting", "is_active")
    search_fields = ("name", "org_number", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "organisation", "created_at")
    list_select_related = ("user", "organisation")
    search_fields = ("user__username", "user__last_name", "organisation__name")
    autocomplete_fields = ["user", "organisation"]
    list_filter = ("organisation",)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin[Feedback]):
    """Read-only: feedback is the users' words and is never edited."""

    list_display = ("created_hour", "page", "answer", "comment", "language")
    list_filter = ("answer", "language", "created_hour")
    search_fields = ("page", "comment")
    date_hierarchy = "created_hour"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Feedback | None = None) -> bool:
        return False


@admin.register(ContactCentre)
class ContactCentreAdmin(admin.ModelAdmin[ContactCentre]):
    list_display = ("name_nb", "area", "phone", "email", "opening_hours_nb")


@admin.register(RoleType)
class RoleTypeAdmin(admin.ModelAdmin[RoleType]):
    list_display = ("name_nb", "name_en", "code", "kind", "area", "position", "is_active")
    list_filter = ("kind", "area", "is_active")
    search_fields = ("name_nb", "name_en", "code")


class RoleAssignmentForm(forms.ModelForm[RoleAssignment]):
    class Meta:
        model = RoleAssignment
        fields = ("person", "organisation", "role", "valid_from", "valid_to", "basis", "evidence")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        person, organisation = cleaned.get("person"), cleaned.get("organisation")
        if person and organisation and not organisation.memberships.filter(user=person).exists():
            self.add_error("person", _("The person must be a member of the organisation."))
        return cleaned


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin[RoleAssignment]):
    """Staff register roles here. Rows are never edited: ending one records a new version."""

    form = RoleAssignmentForm
    list_display = (
        "person",
        "role",
        "organisation",
        "valid_from",
        "valid_to",
        "retracted",
        "basis",
        "recorded_at",
        "recorded_by",
    )
    list_filter = ("role", "basis", "retracted")
    list_select_related = ("person", "role", "organisation", "recorded_by")
    search_fields = ("person__username", "person__last_name", "organisation__name")
    autocomplete_fields = ("person", "organisation")
    date_hierarchy = "recorded_at"
    actions = ["end_today"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "basis" in form.base_fields:
            form.base_fields["basis"].initial = RoleAssignment.Basis.STAFF
        return form

    def save_model(
        self, request: HttpRequest, obj: RoleAssignment, form: Any, change: bool
    ) -> None:
        created = do_assign_role(
            actor=user_of(request),
            person=obj.person,
            organisation=obj.organisation,
            role=obj.role,
            valid_from=obj.valid_from,
            valid_to=obj.valid_to,
            basis=RoleAssignment.Basis(obj.basis),
            evidence=obj.evidence,
        )
        obj.pk = created.pk

    @admin.action(description=_("End the selected assignments today"))
    def end_today(self, request: HttpRequest, queryset: QuerySet[RoleAssignment]) -> None:
        ended = 0
        chosen = RoleAssignment.objects.filter(lineage__in=queryset.values("lineage"))
        for assignment in chosen.newest_versions().held_on(oslo_today()):
            do_end_role(
                actor=user_of(request),
                assignment=assignment,
                valid_to=oslo_today(),
                basis=RoleAssignment.Basis.STAFF,
            )
            ended += 1
        self.message_user(request, _("%(count)d assignments ended.") % {"count": ended})


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ("occurred_at", "action", "summary", "organisation", "actor", "basis")
    list_filter = ("action", ("organisation", admin.RelatedOnlyFieldListFilter))
    actions = ["export_excel"]

    @admin.action(description=_("Export the selected events to Excel"))
    def export_excel(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> FileResponse:
        columns = [
            ExportColumn("time", str(_("time")), "datetime", 18),
            ExportColumn("action", str(_("action")), "text", 24),
            ExportColumn("summary", str(_("summary")), "text", 60),
            ExportColumn("organisation", str(_("organisation")), "text", 30),
            ExportColumn("actor", str(_("actor")), "text", 24),
            ExportColumn("basis", str(_("basis")), "text", 40),
            ExportColumn("before", str(_("before")), "text", 40),
            ExportColumn("after", str(_("after")), "text", 40),
        ]
        rows = (
            [
                event.occurred_at,
                event.action,
                event.summary,
                event.organisation.name if event.organisation else "",
                str(event.actor) if event.actor else str(_("The system")),
                event.basis,
                json.dumps(event.before, ensure_ascii=False) if event.before else "",
                json.dumps(event.after, ensure_ascii=False) if event.after else "",
            ]
            for event in queryset.select_related("organisation", "actor")
            .order_by("occurred_at", "id")
            .iterator(chunk_size=2000)
        )
        return xlsx_export(
            columns,
            rows,
            sheet_title=str(_("Audit")),
            filename=f"revisjonslogg-{oslo_today():%Y-%m-%d}.xlsx",
        )

    list_select_related = ("organisation", "actor")
    search_fields = ("summary", "organisation__name", "actor__username")
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
