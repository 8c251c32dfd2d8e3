"""Messages and attachments as lists of their own: read-only and team-scoped.

Staff find a message or a file across cases here (search in the text, filter by
internal notes); every row leads to its case, where the work is done. Nothing is
written here: messages and attachments come only through the case services.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat, truncatechars
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from cases.models import Attachment, Case, Message
from portal.admin import ReadOnlyAdmin


def case_link(case: Case) -> str:
    url = reverse("admin:cases_case_change", args=[case.pk])
    return format_html('<a href="{}">{}</a>', url, case.number)


def sender_label(from_staff: bool) -> str:
    return str(_("The customer centre") if from_staff else _("The customer"))


def visibility_label(internal: bool) -> str:
    return str(_("Internal (staff only)") if internal else _("Seen by the customer"))


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin[Message]):
    list_display = ("case_number", "created_at", "author", "sender", "visibility", "excerpt")
    list_display_links = ("created_at",)
    list_filter = ("from_staff", "is_internal", "case__category")
    list_select_related = ("case", "author")
    search_fields = ("body", "=case__number")
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    fields = ("case_number", "created_at", "author", "sender", "visibility", "body", "files")
    readonly_fields = fields

    def team_scope(self, queryset: QuerySet[Message], areas: list[str]) -> QuerySet[Message]:
        return queryset.filter(case__category__in=areas)

    @admin.display(description=_("case"), ordering="case__number")
    def case_number(self, message: Message) -> str:
        return case_link(message.case)

    @admin.display(description=_("from"), ordering="from_staff")
    def sender(self, message: Message) -> str:
        return sender_label(message.from_staff)

    @admin.display(description=_("seen by"), ordering="is_internal")
    def visibility(self, message: Message) -> str:
        return visibility_label(message.is_internal)

    @admin.display(description=_("message"))
    def excerpt(self, message: Message) -> str:
        return truncatechars(message.body, 80)

    @admin.display(description=_("attachments"))
    def files(self, message: Message) -> str:
        links = ((download_link(attachment),) for attachment in message.attachments.all())
        return format_html_join(mark_safe("<br>"), "{}", links) or "–"


def download_link(attachment: Attachment) -> str:
    url = reverse("admin:cases_case_attachment", args=[attachment.case_id, attachment.pk])
    return format_html('<a href="{}">{}</a>', url, attachment.name)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin[Attachment]):
    list_display = (
        "name",
        "download",
        "case_number",
        "created_at",
        "uploaded_by",
        "visibility",
        "content_type",
        "shown_size",
    )
    list_filter = ("is_internal", "case__category")
    list_select_related = ("case", "uploaded_by")
    search_fields = ("name", "=case__number")
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    fields = (
        "download",
        "case_number",
        "created_at",
        "uploaded_by",
        "visibility",
        "content_type",
        "shown_size",
        "sha256",
    )
    readonly_fields = fields

    def team_scope(self, queryset: QuerySet[Attachment], areas: list[str]) -> QuerySet[Attachment]:
        return queryset.filter(case__category__in=areas)

    @admin.display(description=_("download"))
    def download(self, attachment: Attachment) -> str:
        return download_link(attachment)

    @admin.display(description=_("case"), ordering="case__number")
    def case_number(self, attachment: Attachment) -> str:
        return case_link(attachment.case)

    @admin.display(description=_("seen by"), ordering="is_internal")
    def visibility(self, attachment: Attachment) -> str:
        return visibility_label(attachment.is_internal)

    @admin.display(description=_("size"), ordering="size")
    def shown_size(self, attachment: Attachment) -> str:
        return filesizeformat(attachment.size)
