"""The support staff's workplace: cases by team, answers, internal notes, status."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from cases import desk
from cases.access import attachment_download
from cases.models import AnswerTemplate, Case, SubjectArea
from cases.services import do_create_case
from portal.admin import TeamScopedAdmin
from portal.models import Area, User
from portal.organisations import is_active_member, user_of
from portal.teams import request_staff_areas, works_area


@admin.register(SubjectArea)
class SubjectAreaAdmin(TeamScopedAdmin[SubjectArea]):
    list_display = ("name_nb", "name_nn", "name_en", "category", "position", "is_active")
    list_filter = ("category", "is_active")
    list_editable = ("position", "is_active")

    def team_scope(self, queryset: QuerySet[SubjectArea], areas: list[str]) -> Any:
        return queryset.filter(category__in=areas)


class CaseAdminForm(forms.ModelForm[Case]):
    """Staff register a case that came by e-mail or phone."""

    class Meta:
        model = Case
        fields = ("organisation", "reported_by", "channel", "subject_area", "title", "description")

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

    def get_fields(self, request: HttpRequest, obj: Case | None = None) -> Any:
        # The add page only: an existing case is worked on the desk's case page.
        return ["organisation", "reported_by", "channel", "subject_area", "title", "description"]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The desk's case page (cases/desk.py) instead of a form over the model."""
        case = self.get_object(request, unquote(object_id))
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined,no-any-return]
        if not self.has_view_permission(request, case):
            raise PermissionDenied
        return desk.case_page(self, request, case)

    @admin.display(description=_("case number"))
    def number_display(self, case: Case) -> str:
        return case.number

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "channel":
            kwargs["initial"] = Case.Channel.EMAIL
            # Staff register what came by e-mail or phone; only a system files by API.
            kwargs["choices"] = [c for c in Case.Channel.choices if c[0] != Case.Channel.API]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Case, form: Any, change: bool) -> None:
        # Registering a case from e-mail or phone goes through the service, which checks
        # the team and the gate again; existing cases change on the case page only.
        created = do_create_case(
            actor=user_of(request),
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

    def response_add(self, request: HttpRequest, obj: Case, post_url_continue: Any = None) -> Any:
        messages.success(request, _("Case %(number)s is registered.") % {"number": obj.number})
        return HttpResponseRedirect(reverse("admin:cases_case_change", args=[obj.pk]))

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


@admin.register(AnswerTemplate)
class AnswerTemplateAdmin(TeamScopedAdmin[AnswerTemplate]):
    """A team's standard replies, chosen from the answer box on the case page."""

    list_display = ("name_nb", "area", "position", "is_active")
    list_filter = ("area", "is_active")
    search_fields = ("name_nb", "name_nn", "name_en", "body")
    fields = ("area", "name_nb", "name_nn", "name_en", "body", "position", "is_active")

    def team_scope(self, queryset: QuerySet[AnswerTemplate], areas: list[str]) -> Any:
        return queryset.filter(area__in=areas)

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "area" and not request.user.is_superuser:
            areas = request_staff_areas(request)
            kwargs["choices"] = [(a, label) for a, label in Area.choices if a in areas]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


admin.site.start_page = desk.queue_view  # type: ignore[attr-defined] # portal.desk_site.DeskSite


from cases import admin_records  # noqa: E402, F401 - the read-only message and attachment lists
