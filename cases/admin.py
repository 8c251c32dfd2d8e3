"""The support staff's workplace: cases by team, answers, internal notes, status."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cases.access import attachment_download
from cases.models import Attachment, Case, Message, StatusChange, SubjectArea
from cases.services import (
    do_add_message,
    do_change_status,
    do_create_case,
    do_update_case_by_staff,
)
from portal.admin import TeamScopedAdmin
from portal.models import User
from portal.organisations import is_active_member, user_of
from portal.teams import works_area


@admin.register(SubjectArea)
class SubjectAreaAdmin(TeamScopedAdmin[SubjectArea]):
    list_display = ("name_nb", "name_nn", "name_en", "category", "position", "is_active")
    list_filter = ("category", "is_active")
    list_editable = ("position", "is_active")

    def team_scope(self, queryset: QuerySet[SubjectArea], areas: list[str]) -> Any:
        return queryset.filter(category__in=areas)


class MessageInline(admin.StackedInline[Message, Case]):
    """Existing messages are read-only; the empty form at the end writes a new one."""

    model = Message
    extra = 1
    fields = ("author", "from_staff", "is_internal", "created_at", "body")
    readonly_fields = ("author", "from_staff", "created_at")
    verbose_name = _("message")
    verbose_name_plural = _("conversation (write an answer or an internal note below)")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttachmentInline(admin.TabularInline[Attachment, Case]):
    model = Attachment
    extra = 0
    fields = ("download", "content_type", "size", "sha256", "is_internal", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("file"))
    def download(self, attachment: Attachment) -> str:
        url = reverse("admin:cases_case_attachment", args=[attachment.case_id, attachment.pk])
        return format_html('<a href="{}">{}</a>', url, attachment.name)


class StatusChangeInline(admin.TabularInline[StatusChange, Case]):
    model = StatusChange
    extra = 0
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")
    readonly_fields = fields
    verbose_name_plural = _("status history")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseAdminForm(forms.ModelForm[Case]):
    class Meta:
        model = Case
        fields = (
            "organisation",
            "reported_by",
            "channel",
            "subject_area",
            "title",
            "description",
            "status",
            "assigned_to",
        )

    actor: User

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        organisation = cleaned.get("organisation")
        reporter = cleaned.get("reported_by")
        if organisation and reporter and not is_active_member(reporter, organisation):
            self.add_error(
                "reported_by",
                ValidationError(_("The reporter must be a member of the organisation.")),
            )
        subject_area = cleaned.get("subject_area")
        if subject_area and not works_area(self.actor, subject_area.category):
            self.add_error(
                "subject_area", ValidationError(_("This subject area belongs to another team."))
            )
        assignee = cleaned.get("assigned_to")
        if assignee and subject_area and not works_area(assignee, subject_area.category):
            self.add_error(
                "assigned_to",
                ValidationError(
                    _("%(person)s is not on the team that works this case.") % {"person": assignee}
                ),
            )
        return cleaned


@admin.register(Case)
class CaseAdmin(TeamScopedAdmin[Case]):
    form = CaseAdminForm
    list_display = (
        "number",
        "shown_title",
        "organisation",
        "category",
        "subject_area",
        "status",
        "channel",
        "assigned_to",
        "updated_at",
    )
    list_filter = (
        "category",
        "status",
        "channel",
        ("assigned_to", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("organisation", "subject_area", "assigned_to")
    search_fields = ("=number", "title", "organisation__name", "organisation__org_number")
    autocomplete_fields = ("organisation", "reported_by")
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [MessageInline, AttachmentInline, StatusChangeInline]
    list_per_page = 50

    def team_scope(self, queryset: QuerySet[Case], areas: list[str]) -> QuerySet[Case]:
        return queryset.filter(category__in=areas)

    @admin.display(description=_("title"), ordering="title")
    def shown_title(self, obj: Case) -> str:
        return obj.shown_title

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A case and its conversation are records: closed, never deleted (its messages
        # and status history are append-only, cases migration 0010).
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Case | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        # The customer's own words are never edited; staff correct the subject area.
        return (
            "organisation",
            "reported_by",
            "channel",
            "number_display",
            "created_at",
            "title",
            "description",
        )

    def get_fields(self, request: HttpRequest, obj: Case | None = None) -> Any:
        if obj is None:
            return [
                "organisation",
                "reported_by",
                "channel",
                "subject_area",
                "title",
                "description",
            ]
        return [
            "number_display",
            "organisation",
            "reported_by",
            "channel",
            "created_at",
            "subject_area",
            "title",
            "description",
            "status",
            "assigned_to",
        ]

    def get_inlines(self, request: HttpRequest, obj: Case | None = None) -> list[Any]:
        return list(self.inlines) if obj is not None else []

    @admin.display(description=_("case number"))
    def number_display(self, case: Case) -> str:
        return case.number

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "channel":
            kwargs["initial"] = Case.Channel.EMAIL
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Case, form: Any, change: bool) -> None:
        # Every write through the services, which check the team and the gate again.
        actor = user_of(request)
        if not change:
            created = do_create_case(
                actor=actor,
                organisation=obj.organisation,
                subject_area=obj.subject_area,
                title=obj.title,
                description=obj.description,
                channel=Case.Channel(obj.channel),
                reported_by=obj.reported_by,
                on_behalf=True,
            )
            obj.pk = created.pk
            obj.number = created.number
            return
        new_status = form.cleaned_data["status"]
        do_update_case_by_staff(
            actor=actor,
            case=obj,
            subject_area=form.cleaned_data["subject_area"],
            assigned_to=form.cleaned_data["assigned_to"],
        )
        if new_status != Case.objects.values_list("status", flat=True).get(pk=obj.pk):
            do_change_status(actor=actor, case=obj, status=Case.Status(new_status))
        obj.refresh_from_db()

    def save_formset(
        self,
        request: HttpRequest,
        form: Any,
        formset: BaseInlineFormSet[Any, Any, Any],
        change: bool,
    ) -> None:
        if formset.model is not Message:
            super().save_formset(request, form, formset, change)
            return
        # New messages go through the service (reopening, e-mail after commit),
        # never straight into the table; the admin's change log reads these lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for message_form in formset.forms:
            if not message_form.has_changed() or message_form.instance.pk:
                continue
            body = message_form.cleaned_data.get("body", "").strip()
            if not body:
                continue
            do_add_message(
                actor=user_of(request),
                case=form.instance,
                body=body,
                internal=bool(message_form.cleaned_data.get("is_internal")),
            )
            if message_form.cleaned_data.get("is_internal"):
                messages.info(request, _("Internal note saved. The customer does not see it."))
            else:
                messages.info(
                    request, _("Answer sent. The customer is told by e-mail that there is news.")
                )

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:case_id>/vedlegg/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="cases_case_attachment",
            )
        ]
        return custom + super().get_urls()

    def attachment_view(
        self, request: HttpRequest, case_id: int, attachment_id: int
    ) -> FileResponse:
        case = get_object_or_404(self.get_queryset(request), pk=case_id)
        if not self.has_view_permission(request, case):
            raise PermissionDenied
        return attachment_download(get_object_or_404(case.attachments, pk=attachment_id))


from cases import admin_records  # noqa: E402, F401 - the read-only message and attachment lists
