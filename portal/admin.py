from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.models import ContactCentre, Feedback, Membership, Organisation, User

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
    )
    list_display = ("username", "first_name", "last_name", "email", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email")
    inlines = [UserMembershipInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ("name", "org_number", "slug", "buys_payroll", "buys_accounting", "is_active")
    list_filter = ("buys_payroll", "buys_accounting", "is_active")
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
