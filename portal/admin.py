"""The support staff's admin for the portal layer: organisations, people, memberships,
the role register and the audit trail.

Every admin of the project is a ``TeamScopedAdmin``: a staff member who is not a
superuser sees and changes only what belongs to their team's areas, and one in
no team sees nothing. Every change goes through the ``do_*`` services, which ask
the same questions as on the customer's pages; a refusal (``Refused``) is shown
next to the form, never stored.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from portal.audit_text import (
    action_label,
    changes,
    changes_summary,
    changes_text,
    value_text,
)
from portal.dates import today as oslo_today
from portal.models import (
    Area,
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
from portal.services import (
    STAFF_REGISTERED_KINDS,
    Refused,
    check_membership_addition,
    check_staff_registration,
    do_add_membership,
    do_end_membership,
    do_end_role_by_staff,
    do_register_role_by_staff,
    do_update_organisation,
    do_update_user,
)
from portal.teams import request_staff_areas
from portal.xlsx import ExportColumn, xlsx_export

M = TypeVar("M", bound=models.Model)


def organisations_of_areas(areas: list[str]) -> Q:
    """Organisations that buy one of ``areas``: the customers of those teams."""
    condition = Q(pk__in=[])
    if "lonn" in areas:
        condition |= Q(buys_payroll=True)
    if "regnskap" in areas:
        condition |= Q(buys_accounting=True)
    return condition


class ReadableAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget, which fails (a 500) when the value it is given back
    (``?user=²`` on an add page, a posted form) is not a key of its model: such a value
    is left out here, and the form says the choice is not valid."""

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        key = self.field.remote_field.model._meta.get_field(self.field.remote_field.field_name)
        readable = []
        for item in value:
            try:
                key.to_python(item)
            except (ValidationError, ValueError, TypeError):
                continue
            readable.append(item)
        return super().optgroups(name, readable, attr)


class TeamAreaFilter(admin.ChoicesFieldListFilter):
    """An area (or category) filter offering what the team's rows can hold: the team's
    own areas, and values of no area (such as the customer centre's own systems, which
    both teams see). The other team's area would list nothing. ``TeamScopedAdmin`` uses
    it for every field named in ``AREA_FIELDS``."""

    def __init__(
        self,
        field: Any,
        request: HttpRequest,
        params: Any,
        model: Any,
        model_admin: Any,
        field_path: str,
    ) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        areas = request_staff_areas(request)
        self.offered = [
            str(value) not in Area.values or str(value) in areas
            for value, _label in self.field.flatchoices
            if value is not None
        ]

    def choices(self, changelist: Any) -> Any:
        # Django's choices: "All", then one per choice in the field's order, then the
        # empty choice where the field allows it; the other team's areas are left out.
        choices = iter(super().choices(changelist))
        yield next(choices)
        for offered, choice in zip(self.offered, choices, strict=False):
            if offered:
                yield choice
        yield from choices


AREA_FIELDS = ("area", "category")


class TeamScopedAdmin(admin.ModelAdmin[M]):
    """What every admin has in common: team scoping and the services' refusals.

    ``team_scope`` narrows the rows to the team's ``areas`` (a superuser sees all;
    a staff member in no team nothing). Objects outside it are not found, so
    they can be neither viewed nor changed by their address either.
    """

    def team_scope(self, queryset: QuerySet[M], areas: list[str]) -> QuerySet[M]:
        raise NotImplementedError(f"{type(self).__name__} must say how it is scoped by team")

    def get_queryset(self, request: HttpRequest) -> QuerySet[M]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        areas = request_staff_areas(request)
        return self.team_scope(queryset, areas) if areas else queryset.none()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request_staff_areas(request)) and super().has_module_permission(request)

    def get_list_filter(self, request: HttpRequest) -> Any:
        return [
            (name, TeamAreaFilter) if name in AREA_FIELDS else name
            for name in super().get_list_filter(request)
        ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        # The forms ask the services' checks in clean(), which need to know who acts.
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = user_of(request)  # type: ignore[attr-defined] # a new class per request
        return form

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ReadableAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The forms ask the services' questions in clean(), so a refusal is normally
        # shown next to what was typed. One that only the write itself can find (a
        # change by someone else in between) lands here: nothing was stored.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refusal:
            self.message_user(request, refusal.reason, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdmin(TeamScopedAdmin[M]):
    """Records nobody edits in the admin: they change only through their services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(admin.TabularInline[Membership, Organisation]):
    """Shown, not edited here: memberships are added and ended in their own admin."""

    model = Membership
    extra = 0
    fields = ("user", "created_at")
    readonly_fields = ("user", "created_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class UserMembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    extra = 0
    fields = ("organisation", "created_at")
    readonly_fields = ("organisation", "created_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


_PERMISSION_ACTIONS = {
    "add": _("Can add %(name)s"),
    "change": _("Can change %(name)s"),
    "delete": _("Can delete %(name)s"),
    "view": _("Can view %(name)s"),
}


def permission_label(permission: Permission) -> str:
    """A permission in the reader's language. Django stores its names in English
    ("Can view access grant"); this names the app and model by their verbose names."""
    model = permission.content_type.model_class()
    action = permission.codename.split("_", 1)[0]
    if model is None or action not in _PERMISSION_ACTIONS:
        return str(permission)
    app = django_apps.get_app_config(model._meta.app_label)
    what = _PERMISSION_ACTIONS[action] % {"name": model._meta.verbose_name}
    return f"{capfirst(app.verbose_name)} | {capfirst(model._meta.verbose_name)} | {what}"


class PermissionChoiceField(forms.ModelMultipleChoiceField[Permission]):
    def label_from_instance(self, obj: Any) -> str:
        return permission_label(obj)


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User], TeamScopedAdmin[User]):  # type: ignore[misc]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Contact details"), {"fields": ("phone", "job_title", "language")}),
        (_("Login provider"), {"fields": ("oidc_sub",)}),
    )
    list_display = ("username", "first_name", "last_name", "email", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email", "oidc_sub")
    inlines = [UserMembershipInline]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only: the permissions by their names in the reader's language.
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        "shown_permissions" if field == "user_permissions" else field
                        for field in options["fields"]
                    ],
                },
            )
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), "shown_permissions")

    @admin.display(description=_("user permissions"))
    def shown_permissions(self, user: User) -> str:
        permissions = user.user_permissions.select_related("content_type")
        return ", ".join(permission_label(permission) for permission in permissions) or "–"

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user_permissions":
            kwargs["queryset"] = Permission.objects.select_related("content_type")
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "language":  # chosen by name; stored as the code
            return forms.TypedChoiceField(
                label=capfirst(db_field.verbose_name),
                choices=[("", "–"), *settings.LANGUAGES],
                required=False,
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def team_scope(self, queryset: QuerySet[User], areas: list[str]) -> QuerySet[User]:
        # The customers of the team's organisations; staff accounts are the superusers' work.
        customers = Membership.objects.filter(
            organisation__in=Organisation.objects.filter(organisations_of_areas(areas))
        )
        return queryset.filter(is_staff=False, pk__in=customers.values("user"))

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        do_update_user(actor=user_of(request), user=obj, changed=list(form.changed_data))


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
class OrganisationAdmin(TeamScopedAdmin[Organisation]):
    list_display = ("name", "org_number", "slug", "buys_payroll", "buys_accounting", "is_active")
    list_filter = (WithoutOrdererFilter, "buys_payroll", "buys_accounting", "is_active")
    search_fields = ("name", "org_number", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]

    def team_scope(
        self, queryset: QuerySet[Organisation], areas: list[str]
    ) -> QuerySet[Organisation]:
        return queryset.filter(organisations_of_areas(areas))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: its cases and register stay

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        do_update_organisation(
            actor=user_of(request), organisation=obj, changed=list(form.changed_data)
        )


class MembershipForm(forms.ModelForm[Membership]):
    reason = forms.CharField(
        label=_("Reason (kept in the audit trail)"), max_length=300, required=False
    )

    class Meta:
        model = Membership
        fields = ("user", "organisation")

    actor: User

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        person, organisation = cleaned.get("user"), cleaned.get("organisation")
        if person and organisation:
            try:
                check_membership_addition(
                    actor=self.actor, person=person, organisation=organisation
                )
            except Refused as refusal:
                raise forms.ValidationError(refusal.reason) from None
        return cleaned

    def validate_unique(self) -> None:
        pass  # the service says "already a member" in the user's language


@admin.register(Membership)
class MembershipAdmin(TeamScopedAdmin[Membership]):
    """Staff register who belongs to an organisation, and end it (both audited)."""

    form = MembershipForm
    list_display = ("user", "organisation", "created_at")
    list_select_related = ("user", "organisation")
    search_fields = ("user__username", "user__last_name", "organisation__name")
    autocomplete_fields = ["user", "organisation"]
    list_filter = ("organisation",)

    def team_scope(self, queryset: QuerySet[Membership], areas: list[str]) -> QuerySet[Membership]:
        return queryset.filter(
            organisation__in=Organisation.objects.filter(organisations_of_areas(areas))
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        created = do_add_membership(
            actor=user_of(request),
            person=obj.user,
            organisation=obj.organisation,
            reason=form.cleaned_data.get("reason", ""),
        )
        obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        do_end_membership(actor=user_of(request), membership=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("user", "organisation"):
            do_end_membership(actor=user_of(request), membership=membership)


class LanguageFilter(admin.SimpleListFilter):
    """The page's language by its name, not its code."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(settings.LANGUAGES)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(language=self.value()) if self.value() else queryset


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin[Feedback]):
    """Read-only: feedback is the users' words and is never edited."""

    list_display = ("created_hour", "page", "answer", "comment", "language_name")
    list_filter = ("answer", LanguageFilter, "created_hour")
    search_fields = ("page", "comment")
    date_hierarchy = "created_hour"
    fields = ("created_hour", "page", "answer", "comment", "language_name")
    readonly_fields = fields

    def team_scope(self, queryset: QuerySet[Feedback], areas: list[str]) -> QuerySet[Feedback]:
        return queryset  # anonymous answers about pages both teams serve

    @admin.display(description=_("language"), ordering="language")
    def language_name(self, feedback: Feedback) -> str:
        return value_text("language", feedback.language)


@admin.register(ContactCentre)
class ContactCentreAdmin(TeamScopedAdmin[ContactCentre]):
    list_display = ("name_nb", "name_nn", "name_en", "area", "phone", "email")

    def team_scope(
        self, queryset: QuerySet[ContactCentre], areas: list[str]
    ) -> QuerySet[ContactCentre]:
        return queryset.filter(area__in=areas)


@admin.register(RoleType)
class RoleTypeAdmin(TeamScopedAdmin[RoleType]):
    list_display = (
        "name_nb",
        "name_nn",
        "name_en",
        "code",
        "kind",
        "area",
        "position",
        "is_active",
    )
    list_filter = ("kind", "area", "is_active")
    search_fields = ("name_nb", "name_nn", "name_en", "code")

    def team_scope(self, queryset: QuerySet[RoleType], areas: list[str]) -> QuerySet[RoleType]:
        return queryset.filter(Q(area="") | Q(area__in=areas))

    def get_readonly_fields(self, request: HttpRequest, obj: RoleType | None = None) -> Any:
        if obj is not None and obj.code in RoleType.NAMED_BY_RULES:
            return ("code", "kind", "area")
        return ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.code not in RoleType.NAMED_BY_RULES


class RoleAssignmentForm(forms.ModelForm[RoleAssignment]):
    """Staff register a contact person: the basis is always "registered by staff"."""

    reason = forms.CharField(
        label=_("Reason (kept in the audit trail)"),
        max_length=300,
        help_text=_("For example the case number or who asked for it."),
    )

    class Meta:
        model = RoleAssignment
        fields = ("person", "organisation", "role", "valid_from", "valid_to")

    actor: User

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        person, organisation, role = (cleaned.get(k) for k in ("person", "organisation", "role"))
        if person and organisation and role and cleaned.get("valid_from") and "reason" in cleaned:
            try:
                check_staff_registration(
                    actor=self.actor,
                    person=person,
                    organisation=organisation,
                    role=role,
                    valid_from=cleaned["valid_from"],
                    valid_to=cleaned.get("valid_to"),
                    reason=cleaned["reason"],
                )
            except Refused as refusal:
                raise forms.ValidationError(refusal.reason) from None
        return cleaned


class EndRoleForm(forms.Form):
    valid_to = forms.DateField(
        label=_("Last day the role is held"),
        input_formats=["%d.%m.%Y", "%Y-%m-%d"],
        widget=forms.DateInput(format="%d.%m.%Y"),
    )
    reason = forms.CharField(label=_("Reason (kept in the audit trail)"), max_length=300)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(TeamScopedAdmin[RoleAssignment]):
    """Staff register contact persons here. Rows are never edited: ending one records a
    new version; authorities come from their own decisions (appointments, fullmakt forms,
    grandfathering) and access from orders."""

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

    def team_scope(
        self, queryset: QuerySet[RoleAssignment], areas: list[str]
    ) -> QuerySet[RoleAssignment]:
        return queryset.filter(Q(role__area="") | Q(role__area__in=areas))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["person", "organisation", "role", "valid_from", "valid_to", "reason"]
        return [
            "person",
            "organisation",
            "role",
            "valid_from",
            "valid_to",
            "retracted",
            "basis",
            "evidence",
            "recorded_at",
            "recorded_by",
            "derived_from",
            "supersedes",
            "end_link",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("end_link",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request_staff_areas(request)) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role":
            roles = RoleType.objects.filter(kind__in=STAFF_REGISTERED_KINDS, is_active=True)
            if not request.user.is_superuser:
                areas = request_staff_areas(request)
                roles = roles.filter(Q(area="") | Q(area__in=areas))
            kwargs["queryset"] = roles
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: RoleAssignment, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        created = do_register_role_by_staff(
            actor=user_of(request),
            person=data["person"],
            organisation=data["organisation"],
            role=data["role"],
            valid_from=data["valid_from"],
            valid_to=data.get("valid_to"),
            reason=data["reason"],
        )
        obj.pk = created.pk

    @admin.display(description=_("end"))
    def end_link(self, assignment: RoleAssignment) -> str:
        if assignment.role.kind not in STAFF_REGISTERED_KINDS:
            return str(_("Ended through an appointment, a fullmakt form or an order."))
        url = reverse("admin:portal_roleassignment_end", args=[assignment.pk])
        return format_html('<a href="{}">{}</a>', url, _("Record the last day…"))

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:assignment_id>/avslutt/",
                self.admin_site.admin_view(self.end_view),
                name="portal_roleassignment_end",
            )
        ]
        return custom + super().get_urls()

    def end_view(self, request: HttpRequest, assignment_id: int) -> HttpResponse:
        """Record the last day of a contact-person role, with a reason."""
        assignment = get_object_or_404(self.get_queryset(request), pk=assignment_id)
        if not self.has_view_permission(request, assignment) or not self.has_add_permission(
            request
        ):
            raise PermissionDenied
        form = EndRoleForm(request.POST or None, initial={"valid_to": oslo_today()})
        if request.method == "POST" and form.is_valid():
            try:
                do_end_role_by_staff(
                    actor=user_of(request),
                    assignment=assignment,
                    valid_to=form.cleaned_data["valid_to"],
                    reason=form.cleaned_data["reason"],
                )
            except Refused as refusal:
                form.add_error(None, refusal.reason)
            else:
                self.message_user(request, _("The last day is recorded."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:portal_roleassignment_change", args=[assignment.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Record the last day"),
            "assignment": assignment,
            "form": form,
            "opts": self.opts,
        }
        return TemplateResponse(
            request,
            "admin/portal/roleassignment/end.html",
            context,
            status=400 if form.errors else 200,
        )


class AuditActionFilter(admin.SimpleListFilter):
    """The actions by their labels (the stored codes mean nothing to staff)."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        codes = (
            model_admin.get_queryset(request).order_by().values_list("action", flat=True).distinct()
        )
        return sorted(((code, action_label(code)) for code in codes), key=lambda pair: pair[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(action=self.value()) if self.value() else queryset


def _changes_html(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return "–"
    return format_html(
        '<ul class="audit-changes">{}</ul>',
        format_html_join(
            "", "<li>{}</li>", ((f"{label}: {text}" if text else label,) for label, text in pairs)
        ),
    )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin[AuditEvent]):
    list_display = (
        "occurred_at",
        "action_shown",
        "summary",
        "organisation",
        "actor_shown",
        "changes_shown",
    )
    list_filter = (AuditActionFilter, ("organisation", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("organisation", "actor", "api_client")
    search_fields = ("summary", "organisation__name", "actor__username", "api_client__client_id")
    date_hierarchy = "occurred_at"
    actions = ["export_excel"]
    fields = (
        "occurred_at",
        "action_shown",
        "summary",
        "organisation",
        "actor_shown",
        "basis",
        "before_shown",
        "after_shown",
    )
    readonly_fields = fields

    def team_scope(self, queryset: QuerySet[AuditEvent], areas: list[str]) -> QuerySet[AuditEvent]:
        return queryset.filter(
            organisation__in=Organisation.objects.filter(organisations_of_areas(areas))
        )

    @admin.display(description=_("action"), ordering="action")
    def action_shown(self, event: AuditEvent) -> str:
        return action_label(event.action)

    @admin.display(description=_("actor"), ordering="actor")
    def actor_shown(self, event: AuditEvent) -> str:
        if event.actor:
            return str(event.actor)
        if event.api_client:  # the organisation's own system, through the API
            return _("%(system)s (API)") % {"system": event.api_client}
        return str(_("The system"))

    @admin.display(description=_("changes"))
    def changes_shown(self, event: AuditEvent) -> str:
        return _changes_html(changes_summary(event.before, event.after, event.action))

    @admin.display(description=_("before"))
    def before_shown(self, event: AuditEvent) -> str:
        return _changes_html(changes(event.before, event.action))

    @admin.display(description=_("after"))
    def after_shown(self, event: AuditEvent) -> str:
        return _changes_html(changes(event.after, event.action))

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
                action_label(event.action),
                event.summary,
                event.organisation.name if event.organisation else "",
                str(event.actor) if event.actor else str(_("The system")),
                event.basis,
                changes_text(event.before, event.action),
                changes_text(event.after, event.action),
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
