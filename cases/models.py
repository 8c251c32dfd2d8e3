"""Cases (saker): what a customer reports to the payroll or accounting team.

A case has a readable number, a conversation of messages (customer and staff;
staff can add internal notes), attachments and a status history. Who may see
a case is rule 1 of docs/rules.md, answered by ``Case.objects.visible_to``.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q, Value
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.text import Fold, OsloYear, SortKey, StatusRank
from portal.dates import oslo_date, shown_moment
from portal.dates import today as oslo_today
from portal.models import (
    ApiClient,
    Area,
    Localised,
    Organisation,
    RoleAssignment,
    User,
    extended_access_role,
    language_suffix,
    reading_permission,
)
from portal.organisations import client_in_force, is_active_member
from portal.request_memo import per_request

if TYPE_CHECKING:
    from django_stubs_ext.db.models.manager import RelatedManager


def shown_in_language(row: models.Model, field: str) -> str:
    """Text the portal wrote in each language (``field``, ``field_nn``, ``field_en``): the
    reader's; a customer's own words have only ``field``, shown as written."""
    suffix = language_suffix()
    own = getattr(row, f"{field}_{suffix}") if suffix != "nb" else ""
    return str(own or getattr(row, field))


class SubjectArea(Localised, models.Model):
    """What a case is about, within its category (admin-editable list)."""

    category = models.CharField(_("category"), max_length=10, choices=Area.choices)
    name_nb = models.CharField(_("name (Norwegian)"), max_length=120)
    name_nn = models.CharField(_("name (Nynorsk)"), max_length=120, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("subject area")
        verbose_name_plural = _("subject areas")
        ordering = ["category", "position", "name_nb"]
        constraints = [
            models.UniqueConstraint(fields=["category", "name_nb"], name="subjectarea_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.name}"


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: Any, organisation: Organisation | None) -> CaseQuerySet:
        """Rule 1: the cases of ``organisation`` that ``user`` may see there.

        Their own cases, plus every case of a category in which they hold
        utvidet tilgang today, whatever the channel. Nothing at all unless they
        pass the gate: an active member of the active organisation, now. Staff
        work in the admin, not here.
        """
        if not is_active_member(user, organisation):
            return self.none()
        assert organisation is not None
        categories = extended_categories(user, organisation)
        # The id is sent as a bigint: psycopg would send a small int as a smaller
        # type, and the composite GIN index (organisation + title trigrams) is then
        # not used for the organisation at all.
        in_organisation = self.filter(
            organisation_id=Cast(Value(organisation.pk), output_field=models.BigIntegerField())
        )
        if len(categories) == len(Area):
            return in_organisation
        rule = Q(reported_by=user)
        if categories:
            rule |= Q(category__in=categories)
        return in_organisation.filter(rule)

    def visible_to_client(self, client: ApiClient | None) -> CaseQuerySet:
        """Rule 1 for one of the organisation's systems (the API): what its registration
        allows. The cases it filed itself when it may read its own, and every case of a
        category it may read (as utvidet tilgang), whatever the channel. Nothing at all
        unless its registration is in force in the active organisation, now."""
        if client is None or not client_in_force(client, client.organisation):
            return self.none()
        rules = []
        if client.may(ApiClient.Permission.READ_OWN):
            rules.append(Q(api_client=client))
        categories = [str(area) for area in Area if client.may(reading_permission(area))]
        if categories:
            rules.append(Q(category__in=categories))
        if not rules:
            return self.none()
        rule = rules[0] if len(rules) == 1 else rules[0] | rules[1]
        return self.filter(
            Q(organisation_id=Cast(Value(client.organisation_id), models.BigIntegerField())) & rule
        )

    def open(self) -> CaseQuerySet:
        return self.exclude(status=Case.Status.CLOSED)


@per_request
def extended_categories(user: User, organisation: Organisation) -> list[str]:
    """The categories in which ``user`` holds utvidet tilgang in ``organisation`` today."""
    codes = {extended_access_role(area): area for area in Area}
    held = (
        RoleAssignment.objects.held_today()
        .filter(person=user, organisation=organisation, role__code__in=codes)
        .values_list("role__code", flat=True)
    )
    return sorted({str(codes[code]) for code in held})


# What the list filters on, carried in its two covering indexes (see migration 0005).
COVERED = ["status", "category", "channel", "subject_area", "reported_by", "title_folded"]


class Case(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "aktiv", _("Active")
        IN_PROGRESS = "under_arbeid", _("In progress")
        WAITING_FOR_CUSTOMER = "venter_pa_kunde", _("Waiting for customer")
        POSTPONED = "utsatt", _("Postponed")
        CLOSED = "avsluttet", _("Closed")

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Customer centre online")
        EMAIL = "epost", _("E-mail")
        PHONE = "telefon", _("Phone")
        API = "api", _("API")

    number = models.CharField(_("case number"), max_length=20, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="cases", verbose_name=_("organisation")
    )
    category = models.CharField(_("category"), max_length=10, choices=Area.choices)
    # No index of its own on subject_area, reported_by and registered_by: the
    # list reads a subject area's cases through case_org_subject, and a person's
    # through case_reporter_updated; the rest would serve only the PROTECT check
    # when a subject area or a person is deleted, which the admin does not do
    # (migration cases 0017, docs/decisions.md).
    subject_area = models.ForeignKey(
        SubjectArea,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("subject area"),
        db_index=False,
    )
    title = models.CharField(_("title"), max_length=300)
    # A title (and description) the portal writes (an order, an appointment, a
    # fullmakt form) is written in each language at once; ``title`` holds the
    # bokmål one, which search and sort read. A customer's own words have only
    # ``title`` and ``description``. The database default lets bulk loads
    # (generate_cases's COPY) leave them out.
    title_nn = models.CharField(_("title (Nynorsk)"), max_length=300, blank=True, db_default="")
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True, db_default="")
    description = models.TextField(_("description"))
    description_nn = models.TextField(_("description (Nynorsk)"), blank=True, db_default="")
    description_en = models.TextField(_("description (English)"), blank=True, db_default="")
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.PORTAL
    )
    reported_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_cases",
        verbose_name=_("reported by"),
        db_index=False,
    )
    registered_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by staff"),
        help_text=_("The staff member who registered a case that came by e-mail or phone."),
        db_index=False,
    )
    api_client = models.ForeignKey(
        ApiClient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filed by system"),
        help_text=_("The organisation's own system that filed the case through the API."),
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    assigned_to = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned to"),
        limit_choices_to={"is_staff": True},
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("last changed"), default=timezone.now)
    # Copies of the people's names, so the case list can search and sort by
    # them with an index instead of joining users for every page. Kept in step
    # by save() and by a signal when a person's name changes (cases/signals.py).
    # The title folded for search (cases/text.py), kept by PostgreSQL itself, so
    # that the covering indexes below can hold it and a "title contains"
    # filter is answered from the index without visiting the table.
    title_folded = models.GeneratedField(
        expression=Fold("title"), output_field=models.TextField(), db_persist=True
    )
    reporter_name = models.CharField(_("reported by"), max_length=300, blank=True, editable=False)
    assignee_name = models.CharField(_("assigned to"), max_length=300, blank=True, editable=False)
    # The form's one-time key: a second submission of the same form (double
    # click, reload) finds the case the first one made instead of a new one.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)
    # For the support desk's queue (cases/desk.py): when the customer last did
    # something (reported the case, wrote a message), and since when the case
    # has had its status. Kept by the services; empty on a case closed before
    # the desk existed (migration 0016 fills the open ones).
    customer_activity_at = models.DateTimeField(
        _("latest from the customer"), null=True, blank=True, editable=False
    )
    status_since = models.DateTimeField(_("status since"), null=True, blank=True, editable=False)

    objects = CaseQuerySet.as_manager()

    if TYPE_CHECKING:
        messages: RelatedManager[Message]
        attachments: RelatedManager[Attachment]
        status_changes: RelatedManager[StatusChange]
        changes: RelatedManager[CaseChange]
        followers: RelatedManager[Follower]

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reported_by", "submission_key"], name="case_unique_submission"
            ),
        ]
        # Why each index exists: see the migrations that build them (cases 0003, 0005, 0008, 0009).
        indexes = [
            models.Index(
                fields=["organisation", "-updated_at", "-id"],
                include=[*COVERED, "created_at"],
                name="case_org_updated_cover",
            ),
            models.Index(
                fields=["organisation", "-created_at", "-id"],
                include=[*COVERED, "updated_at"],
                name="case_org_created_cover",
            ),
            models.Index(fields=["organisation", "-updated_at", "-id"], name="case_org_updated"),
            models.Index(
                F("organisation"),
                OsloYear("created_at"),
                F("updated_at").desc(),
                F("id").desc(),
                name="case_org_created_year_upd",
            ),
            models.Index(fields=["organisation", "-id"], name="case_org_number"),
            models.Index(F("organisation"), SortKey("title"), F("id"), name="case_org_title_sort"),
            models.Index(
                F("organisation"), StatusRank("status"), F("id"), name="case_org_status_sort"
            ),
            models.Index(fields=["organisation", "category", "id"], name="case_org_category"),
            models.Index(fields=["organisation", "channel", "id"], name="case_org_channel"),
            models.Index(fields=["organisation", "subject_area", "id"], name="case_org_subject"),
            models.Index(fields=["organisation", "reporter_name", "id"], name="case_org_reporter"),
            models.Index(fields=["organisation", "assignee_name", "id"], name="case_org_assignee"),
            # A system reading its own cases in order of change (the API's list): only
            # the few cases systems filed are in it.
            models.Index(
                fields=["api_client", "updated_at", "id"],
                name="case_api_client_changes",
                condition=Q(api_client__isnull=False),
            ),
            models.Index(
                fields=["reported_by", "organisation", "-updated_at", "-id"],
                name="case_reporter_updated",
            ),
            GinIndex(
                F("organisation"),
                OpClass(F("title_folded"), name="gin_trgm_ops"),
                name="case_org_title_folded_trgm",
            ),
            # The list's open cases by status (migration 0022): a status other than
            # avsluttet is a few per cent of an organisation's cases; counted and paged
            # from here, not from the whole organisation's list index.
            models.Index(
                fields=["organisation", "status", "-updated_at", "-id"],
                include=[c for c in [*COVERED, "created_at"] if c != "status"],
                condition=~Q(status="avsluttet"),
                name="case_org_open_status",
            ),
            # The desk's queue (cases/desk.py, migration 0016): open cases, newest
            # customer activity first; a person's own (and the unassigned) apart; and
            # the waiting cases by how long they have waited. Its counts are kept in
            # QueueCount, so no count scans these.
            models.Index(
                F("customer_activity_at").desc(nulls_last=True),
                F("id").desc(),
                include=["category", "status", "assigned_to", "status_since"],
                condition=~Q(status="avsluttet"),
                name="case_open_queue",
            ),
            models.Index(
                F("assigned_to"),
                F("customer_activity_at").desc(nulls_last=True),
                F("id").desc(),
                include=["category", "status"],
                condition=~Q(status="avsluttet"),
                name="case_open_by_assignee",
            ),
            models.Index(
                fields=["category", "status_since"],
                condition=Q(status="venter_pa_kunde"),
                name="case_waiting_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.shown_title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is None and not self.number:
            self.pk = next_case_id()
            self.number = case_number(self.pk, self.created_at)
        if self.reported_by_id:
            self.reporter_name = str(self.reported_by)
        elif self.api_client_id:
            self.reporter_name = str(self.api_client)
        else:
            self.reporter_name = ""
        self.assignee_name = str(self.assigned_to) if self.assigned_to_id else ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "reporter_name", "assignee_name"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.number])

    @property
    def shown_title(self) -> str:
        """The title in the reader's language, where the portal wrote one; else ``title``."""
        return shown_in_language(self, "title")

    @property
    def shown_description(self) -> str:
        return shown_in_language(self, "description")

    def case_url(self) -> str:
        return self.get_absolute_url()

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    def touch(self, moment: Any = None) -> None:
        """Move "last changed" on: every message, status change and attachment does."""
        self.updated_at = moment or timezone.now()
        Case.objects.filter(pk=self.pk).update(updated_at=self.updated_at)


def next_case_id() -> int:
    """Take the next id from the table's own sequence, so the number can carry it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('cases_case', 'id'))")
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def case_number(pk: int, created_at: Any) -> str:
    """``SAK-<Oslo year>-<id, 7 digits>``: unique because the id is, never reused."""
    year = oslo_date(created_at).year if created_at else oslo_today().year
    return f"SAK-{year}-{pk:07d}"


STATUS_EXPLANATIONS = {
    Case.Status.ACTIVE: _("We have received the case. It is waiting to be picked up by the team."),
    Case.Status.IN_PROGRESS: _("Someone on the team is working on the case."),
    Case.Status.WAITING_FOR_CUSTOMER: _(
        "We need something from you before we can go on. Read the latest message and answer below."
    ),
    Case.Status.POSTPONED: _(
        "The case is on hold, for example until a payroll run or a deadline. "
        "We will pick it up again."
    ),
    Case.Status.CLOSED: _(
        "The case is closed. If you write a new message, the case is opened again."
    ),
}


# Rule 2: a customer's message on a case that is not with the team hands it back
# (status Aktiv), with this reason in its history; on any other status it changes
# nothing. Staff messages never do: staff set the status themselves.
HANDED_BACK_BY_CUSTOMER = {
    Case.Status.WAITING_FOR_CUSTOMER: "answered_by_customer",
    Case.Status.CLOSED: "reopened_by_customer_message",
}

STATUS_CHANGE_NOTES = {
    "answered_by_customer": _("The customer answered; the case is back with the customer centre"),
    "reopened_by_customer_message": _("Opened again by a new message from the customer"),
}


def handed_back_by_customer(status: str) -> str | None:
    """Why a customer's message returns a case in ``status`` to the team, or None."""
    return HANDED_BACK_BY_CUSTOMER.get(Case.Status(status))


class Message(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="messages", verbose_name=_("case")
    )
    author = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("author")
    )
    api_client = models.ForeignKey(
        ApiClient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by system"),
        db_index=False,  # never asked by it; registrations are withdrawn, not deleted
    )
    from_staff = models.BooleanField(_("from the customer centre"), default=False)
    is_internal = models.BooleanField(
        _("internal note"),
        default=False,
        help_text=_("Internal notes are seen only by staff, never by the customer."),
    )
    body = models.TextField(_("message"))
    # A message the portal writes (an order processed, a request decided) is written
    # in each language, as a case's title (Case.shown_title).
    body_nn = models.TextField(_("message (Nynorsk)"), blank=True, db_default="")
    body_en = models.TextField(_("message (English)"), blank=True, db_default="")
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    submission_key = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="message_case_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "author", "submission_key"], name="message_unique_submission"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {shown_moment(self.created_at)}"

    def case_url(self) -> str:
        return self.case.get_absolute_url()

    @property
    def shown_body(self) -> str:
        return shown_in_language(self, "body")


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never comes from the user: a random name in a dated folder.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("case")
    )
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("message"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    is_internal = models.BooleanField(_("internal"), default=False)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        # Which of the names listed in the storage have a row: the orphan sweep
        # (cases/files.py) asks it a thousand names at a time.
        indexes = [models.Index(fields=["file"], name="attachment_file")]

    def __str__(self) -> str:
        return self.name


class StatusChange(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("case")
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=Case.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=Case.Status.choices)
    changed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("time"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status history")
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        before = self.get_from_status_display() if self.from_status else "–"
        return f"{self.case.number}: {before} → {self.get_to_status_display()}"


class CaseChange(models.Model):
    """A history line for a change staff made to how a case is worked: its subject area
    corrected, or who it is assigned to. Append-only, as the status history; shown to
    staff with names in the reader's language (``describe``), never ids or codes."""

    class What(models.TextChoices):
        SUBJECT_AREA = "subject_area", _("Subject area")
        ASSIGNED_TO = "assigned_to", _("Assigned to")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="changes", verbose_name=_("case")
    )
    what = models.CharField(_("what"), max_length=20, choices=What.choices)
    from_subject_area = models.ForeignKey(
        SubjectArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_subject_area = models.ForeignKey(
        SubjectArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("change to a case")
        verbose_name_plural = _("changes to cases")
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.case.number}: {self.describe()}"

    def describe(self) -> str:
        """The line in the reader's language: "Subject area: Payroll run → Pension"."""
        if self.what == self.What.SUBJECT_AREA:
            before, after = self.from_subject_area, self.to_subject_area
            return _("Subject area changed from %(before)s to %(after)s") % {
                "before": before.name if before else "–",
                "after": after.name if after else "–",
            }
        if self.to_user is None:
            return _("No longer assigned to %(person)s") % {"person": self.from_user or "–"}
        if self.from_user is None:
            return _("Assigned to %(person)s") % {"person": self.to_user}
        return _("Assigned to %(person)s instead of %(before)s") % {
            "person": self.to_user,
            "before": self.from_user,
        }


class AnswerTemplate(Localised, models.Model):
    """A standard reply of a team, chosen from the desk's answer box. ``{kunde}`` and
    ``{saksnummer}`` are filled in with the customer's name and the case number
    (``ANSWER_PLACEHOLDERS``); other braces are refused when the template is saved."""

    area = models.CharField(_("team"), max_length=10, choices=Area.choices)
    name_nb = models.CharField(_("name (Norwegian)"), max_length=120)
    name_nn = models.CharField(_("name (Nynorsk)"), max_length=120, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Written as the customer will read it. {kunde} becomes the customer's name "
            "and {saksnummer} the case number."
        ),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("answer template")
        verbose_name_plural = _("answer templates")
        ordering = ["area", "position", "name_nb"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name_nb"], name="answertemplate_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = unknown_placeholders(self.body)
        if unknown:
            raise ValidationError(
                {
                    "body": _("Unknown placeholder: %(names)s. Use {kunde} or {saksnummer}.")
                    % {"names": ", ".join(unknown)}
                }
            )

    def filled_in(self, case: Case) -> str:
        return fill_in_placeholders(self.body, case)


def _placeholders(case: Case) -> dict[str, str]:
    return {
        "kunde": case.reported_by.get_full_name() if case.reported_by else "",
        "saksnummer": case.number,
    }


ANSWER_PLACEHOLDERS = ("kunde", "saksnummer")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    return sorted(
        {f"{{{name}}}" for name in _PLACEHOLDER.findall(text)}
        - {f"{{{name}}}" for name in ANSWER_PLACEHOLDERS}
    )


def fill_in_placeholders(text: str, case: Case) -> str:
    """``text`` with {kunde} and {saksnummer} filled in for ``case`` (others left as they are)."""
    values = _placeholders(case)
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


class QueueCount(models.Model):
    """How many open cases a team has in a status, per assignee (none: unassigned).

    Kept by triggers on ``cases_case`` (migration 0016), in the same transaction as
    every insert, change and delete of a case, so the desk's queue reads its counts
    from a few rows instead of counting hundreds of thousands of open cases at every
    request (docs/decisions.md, "The support desk"). A bulk load that turns the
    triggers off rebuilds them with ``refresh_queue_counts``.
    """

    category = models.CharField(max_length=10, choices=Area.choices)
    status = models.CharField(max_length=20, choices=Case.Status.choices)
    assigned_to = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    cases = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("queue count")
        verbose_name_plural = _("queue counts")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "status", "assigned_to"],
                nulls_distinct=False,
                name="queuecount_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.status} {self.assigned_to_id}: {self.cases}"


def refresh_queue_counts() -> None:
    """Count the open cases anew (after a bulk load with the triggers off)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_queuecount")
        cursor.execute(
            "INSERT INTO cases_queuecount (category, status, assigned_to_id, cases) "
            "SELECT category, status, assigned_to_id, count(*) FROM cases_case "
            "WHERE status <> 'avsluttet' GROUP BY 1, 2, 3"
        )


class Follower(models.Model):
    """A member who asked to be told about news on a case they see but did not report.

    The reporter is told anyway (``cases.notify.recipients``); a follower is told
    only while rule 1 still lets them see the case. The case list finds a
    person's followed cases with the filter "Followed by me" (``CaseFilter.fulgt``).
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followers")
    # Indexed together with the case (below), which also serves this foreign key.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="follower_unique"),
        ]
        # The list's "Followed by me" reads a person's followed case ids from this
        # index alone (migration cases 0012).
        indexes = [models.Index(fields=["user", "case"], name="follower_user_case")]

    def __str__(self) -> str:
        return f"{self.user} → {self.case.number}"


class ListPreference(models.Model):
    """A person's choice of visible columns in the case list (and its export)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="case_list_preference")
    columns = models.JSONField(_("columns"), default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case list preference")
        verbose_name_plural = _("case list preferences")

    def __str__(self) -> str:
        return f"{self.user}: {', '.join(self.columns)}"


class ExportJob(models.Model):
    """A large Excel export made in the background (above EXPORT_INLINE_LIMIT rows)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    query = models.TextField(blank=True)
    columns = models.JSONField(default=list)
    language = models.CharField(max_length=8, default="nb")
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True, max_length=200)
    file_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The categories of utvidet tilgang the rows were read with: the file is
    # handed out only while the person still holds them (exporting.may_download).
    scope = models.JSONField(default=list, blank=True)
    # Tries so far, a worker that died during one included (cases.exporting.run_job).
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["state", "created_at"], name="exportjob_state")]

    def __str__(self) -> str:
        return f"{self.user} {shown_moment(self.created_at)} {self.get_state_display()}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_done * 100 / self.rows_total))


class TitleTrigram(models.Model):
    """How common a three-character piece of the folded case titles is, sampled.

    Read by ``cases.search`` to look a long title word up in the trigram index
    by its rarest pieces only; refreshed by ``manage.py refresh_title_trigrams``
    (docs/performance.md). The row with the empty piece marks that a sample
    was taken.
    """

    trigram = models.CharField(max_length=3, primary_key=True)
    share = models.FloatField(help_text="Share of sampled cases whose folded title holds it.")

    class Meta:
        verbose_name = _("title trigram")
        verbose_name_plural = _("title trigrams")

    def __str__(self) -> str:
        return f"{self.trigram!r}: {self.share:.5f}"
