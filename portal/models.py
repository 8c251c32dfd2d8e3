"""Organisations, people and memberships, feedback and contact details.

A virksomhet (client agency) is an ``Organisation``. People are ``User`` rows;
``Membership`` says which organisations a person belongs to. Membership is the
portal's own record: no login claim ever creates it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from portal.dates import shown_moment
from portal.dates import today as oslo_today
from portal.validators import validate_org_number

if TYPE_CHECKING:
    from django_stubs_ext.db.models.manager import RelatedManager


class Area(models.TextChoices):
    """The provider's two services; each case and each customer centre has one."""

    PAYROLL = "lonn", _("Payroll")
    ACCOUNTING = "regnskap", _("Accounting")


def language_suffix(language: str | None = None) -> str:
    """Which of a ``Localised`` field's columns (``nb``, ``nn``, ``en``) ``language`` reads
    (the active language when not given)."""
    language = (language or get_language() or "nb").lower()
    return "en" if language.startswith("en") else "nn" if language.startswith("nn") else "nb"


class Localised:
    """Text the provider writes in each language: ``<field>_nb``, ``<field>_nn``, ``<field>_en``.

    The one way to read such text: ``obj.name`` (and ``str(obj)``) is the name in
    the active language, ``obj.localised(field, language)`` any field in any
    language. Bokmål is the text every row has; a missing nynorsk or English text
    falls back to it. E-mails and exports activate the reader's language first
    (``translation.override``), so they read the same way as pages.
    """

    def localised(self, field: str, language: str | None = None) -> str:
        own = getattr(self, f"{field}_{language_suffix(language)}", "")
        return str(own or getattr(self, f"{field}_nb"))

    @property
    def name(self) -> str:
        return self.localised("name")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in: customer users and support staff alike."""

    phone = models.CharField(_("phone"), max_length=30, blank=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    language = models.CharField(
        _("preferred language"),
        max_length=8,
        blank=True,
        help_text=_("Used for e-mail when the person is not on the site."),
    )
    oidc_sub = models.CharField(
        _("identity at the login provider"),
        max_length=255,
        null=True,
        blank=True,
        unique=True,
        help_text=_(
            "The provider's subject identifier (sub). Logins through the provider are matched "
            "on it, never on the e-mail address. Empty for password-only accounts."
        ),
    )

    if TYPE_CHECKING:
        memberships: RelatedManager[Membership]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def active(self) -> OrganisationQuerySet:
        return self.filter(is_active=True)

    def of_member(self, user: User) -> OrganisationQuerySet:
        """The organisations ``user`` is an active member of (``MembershipQuerySet.active``)."""
        return self.active().filter(
            pk__in=Membership.objects.active().filter(user=user).values("organisation")
        )

    def without_holders_of(self, *codes: str) -> OrganisationQuerySet:
        """Organisations where nobody holds any of these roles today (e.g. no orderer left)."""
        held = (
            RoleAssignment.objects.held_today()
            .of_active_members()
            .filter(organisation=OuterRef("pk"), role__code__in=codes)
        )
        return self.exclude(Exists(held))


class Organisation(models.Model):
    """A client agency (virksomhet) that buys payroll and/or accounting services."""

    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(
        _("organisation number"),
        max_length=9,
        unique=True,
        validators=[validate_org_number],
        help_text=_("Nine digits, as in Enhetsregisteret."),
    )
    slug = models.SlugField(
        _("slug"),
        max_length=80,
        unique=True,
        help_text=_("Used in the organisation's direct login link: /inn/ followed by the slug."),
    )
    buys_payroll = models.BooleanField(_("buys payroll"), default=True)
    buys_accounting = models.BooleanField(_("buys accounting"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [models.Index(Lower("name"), name="organisation_lower_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def areas(self) -> list[Area]:
        return [
            area
            for area, buys in (
                (Area.PAYROLL, self.buys_payroll),
                (Area.ACCOUNTING, self.buys_accounting),
            )
            if buys
        ]


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        """The one definition of a membership that counts: an active person in an active
        organisation. A membership that ends is removed (with an audit event); an
        organisation or a person that is deactivated keeps its rows, which then count
        for nothing. Everything asks this through ``portal.organisations`` (the gate)."""
        return self.filter(user__is_active=True, organisation__is_active=True)


class Membership(models.Model):
    """A person belongs to an organisation: the basis of everything they may see there."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation}"


class Feedback(models.Model):
    """An anonymous answer to "Fant du det du lette etter?".

    Deliberately holds nothing that identifies the person: no user, no IP
    address, no session, and the time only to the hour so that it cannot be
    matched against access logs.
    """

    class Answer(models.TextChoices):
        YES = "ja", _("Yes")
        NO = "nei", _("No")

    page = models.CharField(_("page"), max_length=500)
    answer = models.CharField(_("answer"), max_length=3, choices=Answer.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_hour = models.DateTimeField(_("time (to the hour)"), db_index=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_hour", "-id"]

    def __str__(self) -> str:
        return f"{self.page}: {self.get_answer_display()}"


class ContactCentre(Localised, models.Model):
    """How to reach the payroll or the accounting customer centre (edited by staff)."""

    area = models.CharField(_("area"), max_length=10, choices=Area.choices, unique=True)
    name_nb = models.CharField(_("name (Norwegian)"), max_length=150)
    name_nn = models.CharField(_("name (Nynorsk)"), max_length=150, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=150)
    phone = models.CharField(_("phone"), max_length=30)
    email = models.EmailField(_("e-mail"))
    opening_hours_nb = models.CharField(_("opening hours (Norwegian)"), max_length=200)
    opening_hours_nn = models.CharField(_("opening hours (Nynorsk)"), max_length=200, blank=True)
    opening_hours_en = models.CharField(_("opening hours (English)"), max_length=200)
    note_nb = models.TextField(_("note (Norwegian)"), blank=True)
    note_nn = models.TextField(_("note (Nynorsk)"), blank=True)
    note_en = models.TextField(_("note (English)"), blank=True)

    class Meta:
        verbose_name = _("customer centre")
        verbose_name_plural = _("customer centres")
        ordering = ["area"]


class RoleType(Localised, models.Model):
    """A kind of role a person can hold in an organisation (admin-editable data).

    Contact-person groupings are shown on Min side; authorities decide what a
    person may do (order, appoint); access roles widen what they may see.
    """

    class Kind(models.TextChoices):
        CONTACT = "contact", _("Contact-person grouping")
        AUTHORITY = "authority", _("Authority")
        ACCESS = "access", _("Access in the customer centre")

    # Codes the rules refer to. Other role types can be added in the admin.
    FULLMAKT = "fullmakt"
    PAYROLL_ORDERER = "autorisert-bestiller-lonn"
    ACCOUNTING_ORDERER = "autorisert-bestiller-regnskap"
    BUDGET_HOLDER = "budsjettdisponent"
    EXTENDED_PAYROLL = "utvidet-tilgang-lonn"
    EXTENDED_ACCOUNTING = "utvidet-tilgang-regnskap"
    TECHNICAL_CONTACT = "kontaktperson-it-teknisk"
    # The role types the rules name: their code, kind and area are fixed (the admin
    # shows them read-only), or re-labelling fullmakt a contact grouping would let
    # staff register it.
    NAMED_BY_RULES = (
        FULLMAKT,
        PAYROLL_ORDERER,
        ACCOUNTING_ORDERER,
        BUDGET_HOLDER,
        EXTENDED_PAYROLL,
        EXTENDED_ACCOUNTING,
    )

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_nb = models.CharField(_("name (Norwegian)"), max_length=100)
    name_nn = models.CharField(_("name (Nynorsk)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description_nb = models.TextField(_("description (Norwegian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    area = models.CharField(_("area"), max_length=10, choices=Area.choices, blank=True)
    position = models.PositiveSmallIntegerField(_("position on Min side"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("role type")
        verbose_name_plural = _("role types")
        ordering = ["position", "name_nb"]


def extended_access_role(area: str) -> str:
    """The code of the role that lets a member see all the organisation's cases in ``area``."""
    return {
        Area.PAYROLL: RoleType.EXTENDED_PAYROLL,
        Area.ACCOUNTING: RoleType.EXTENDED_ACCOUNTING,
    }[Area(area)]


def later_version_recorded(model: type[models.Model], until: dt.datetime | None = None) -> Exists:
    """For append-only records with a ``lineage``: a later version of this row exists
    (recorded later, or at the same instant with a higher id), recorded by ``until``."""
    later = model._default_manager.filter(lineage=OuterRef("lineage")).filter(
        Q(recorded_at__gt=OuterRef("recorded_at"))
        | Q(recorded_at=OuterRef("recorded_at"), pk__gt=OuterRef("pk"))
    )
    if until is not None:
        later = later.filter(recorded_at__lte=until)
    return Exists(later)


class RoleAssignmentQuerySet(models.QuerySet["RoleAssignment"]):
    """Questions the register answers. Compose them: ``.as_recorded_at(t).held_on(d)``.

    Each assignment is a lineage of versions; a later version (an end, a
    correction) never changes an earlier row, it is recorded after it.
    """

    def as_recorded_at(self, moment: dt.datetime) -> RoleAssignmentQuerySet:
        """The version of each assignment the register held at ``moment``."""
        return self.filter(recorded_at__lte=moment).exclude(
            later_version_recorded(RoleAssignment, until=moment)
        )

    def newest_versions(self) -> RoleAssignmentQuerySet:
        """The newest version of each assignment: what the register says now."""
        return self.exclude(later_version_recorded(RoleAssignment))

    def held_on(self, day: dt.date) -> RoleAssignmentQuerySet:
        """Versions whose validity covers Oslo date ``day`` (combine with a time of recording)."""
        return self.filter(retracted=False, valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )

    def held_today(self) -> RoleAssignmentQuerySet:
        return self.newest_versions().held_on(oslo_today())

    def latest_version_of(self, assignment: RoleAssignment) -> RoleAssignment:
        return self.filter(lineage=assignment.lineage).order_by("-recorded_at", "-pk")[0]

    def of_active_members(self) -> RoleAssignmentQuerySet:
        """Assignments of people who are active members of the organisation now.

        A role outlives a membership in the register (nothing is rewritten), but
        it counts for nothing once the person has left: the gate decides.
        """
        return self.filter(
            Exists(
                Membership.objects.active().filter(
                    user=OuterRef("person_id"), organisation=OuterRef("organisation_id")
                )
            )
        )

    def of_role(self, *codes: str) -> RoleAssignmentQuerySet:
        return self.filter(role__code__in=codes)

    def in_organisation(self, organisation: Organisation) -> RoleAssignmentQuerySet:
        return self.filter(organisation=organisation)


class RoleAssignment(models.Model):
    """One recorded version of "person P holds role R in organisation O from D (to E)".

    Append-only: PostgreSQL refuses UPDATE and DELETE on this table (see the
    migration). Ending or correcting an assignment records a new version with
    the same ``lineage``; the history of what was known when stays intact.
    """

    class Basis(models.TextChoices):
        APPOINTMENT = "appointment", _("Appointment request")
        FULLMAKT_FORM = "fullmakt_form", _("Verified fullmakt form")
        GRANDFATHERING = "grandfathering", _("Grandfathering from fullmakt")
        STAFF = "staff", _("Registered by staff")
        ORDER = "order", _("Access order")

    lineage = models.UUIDField(_("assignment"), default=uuid.uuid4, db_index=True)
    person = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="role_assignments", verbose_name=_("person")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="role_assignments",
        verbose_name=_("organisation"),
    )
    role = models.ForeignKey(
        RoleType, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("role")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (inclusive)"), null=True, blank=True)
    retracted = models.BooleanField(
        _("retracted"),
        default=False,
        help_text=_("A correction: the assignment was recorded by mistake and never held."),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
        help_text=_("Empty when the system recorded it."),
    )
    basis = models.CharField(_("basis"), max_length=20, choices=Basis.choices)
    evidence = models.CharField(
        _("evidence"),
        max_length=300,
        blank=True,
        help_text=_("What the basis rests on, e.g. the case number and the document's SHA-256."),
    )
    derived_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="derived",
        verbose_name=_("derived from"),
        help_text=_("The assignment this one was granted on the strength of (grandfathering)."),
    )
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("earlier version"),
    )

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["organisation", "role", "valid_from", "recorded_at"]
        indexes = [
            models.Index(
                fields=["organisation", "role", "person"], name="roleassign_org_role_person"
            ),
            models.Index(fields=["person", "organisation"], name="roleassign_person_org"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="roleassign_valid_to_after_from",
            ),
        ]

    def __str__(self) -> str:
        until = f"–{self.valid_to:%d.%m.%Y}" if self.valid_to else "–"
        return (
            f"{self.person} · {self.role} · {self.organisation} ({self.valid_from:%d.%m.%Y}{until})"
        )


class ApiClientQuerySet(models.QuerySet["ApiClient"]):
    def in_force(self) -> ApiClientQuerySet:
        """The one definition of a registration that counts: not withdrawn, in an active
        organisation. Asked through ``portal.organisations.client_in_force`` (the gate)."""
        return self.filter(withdrawn_at__isnull=True, organisation__is_active=True)


class ApiClient(models.Model):
    """One of an organisation's own systems, allowed to use the API (issue 17).

    The organisation decides: an autorisert bestiller or fullmakt holder registers
    the system's Maskinporten client id on Min side and what it may do
    (``access.integrations``). A token is only as good as its registration: the
    client id and the organisation in the token must name one in force, and the
    action must be among its permissions.
    """

    class Permission(models.TextChoices):
        FILE_PAYROLL = "file_lonn", _("File payroll cases")
        FILE_ACCOUNTING = "file_regnskap", _("File accounting cases")
        READ_OWN = "read_own", _("Read the cases it filed, and write in them")
        READ_PAYROLL = "read_lonn", _("Read all the organisation's payroll cases")
        READ_ACCOUNTING = "read_regnskap", _("Read all the organisation's accounting cases")
        DRAFT_ORDERS = "draft_orders", _("Draft access orders")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="api_clients",
        verbose_name=_("organisation"),
    )
    client_id = models.CharField(
        _("client id"),
        max_length=100,
        help_text=_("The system's client id in Maskinporten."),
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the organisation calls the system.")
    )
    permissions = ArrayField(
        models.CharField(max_length=20, choices=Permission.choices),
        verbose_name=_("may"),
        default=list,
        blank=True,
    )
    registered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered by")
    )
    registered_at = models.DateTimeField(_("registered"), default=timezone.now)
    withdrawn_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name", "id"]
        constraints = [
            # One registration in force per client id and organisation: a token
            # names exactly one.
            models.UniqueConstraint(
                fields=["organisation", "client_id"],
                condition=Q(withdrawn_at__isnull=True),
                name="apiclient_unique_in_force",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    def may(self, permission: str) -> bool:
        return permission in self.permissions

    def get_permissions_display(self) -> list[str]:
        return [str(label) for code, label in self.Permission.choices if code in self.permissions]


def filing_permission(area: str) -> str:
    """The permission to file cases in ``area``."""
    return {
        Area.PAYROLL: ApiClient.Permission.FILE_PAYROLL,
        Area.ACCOUNTING: ApiClient.Permission.FILE_ACCOUNTING,
    }[Area(area)]


def reading_permission(area: str) -> str:
    """The permission to read all the organisation's cases in ``area`` (as utvidet tilgang)."""
    return {
        Area.PAYROLL: ApiClient.Permission.READ_PAYROLL,
        Area.ACCOUNTING: ApiClient.Permission.READ_ACCOUNTING,
    }[Area(area)]


class AuditEvent(models.Model):
    """Who did what, for which organisation, when, with what before and after (append-only)."""

    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        help_text=_("Empty when the system acted."),
    )
    api_client = models.ForeignKey(
        "ApiClient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("API client"),
        help_text=_("The organisation's system that acted through the API."),
        db_index=False,  # never asked by it; registrations are withdrawn, not deleted
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    summary = models.CharField(_("summary"), max_length=300)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    basis = models.CharField(_("basis"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-occurred_at"], name="audit_org_time"),
        ]

    def __str__(self) -> str:
        from portal.audit_text import action_label

        return f"{shown_moment(self.occurred_at)} {action_label(self.action)}: {self.summary}"


class OutgoingEmail(models.Model):
    """One e-mail to one address about one event: the outbox (``portal.mail``).

    Written in the same transaction as the event it tells of, so it exists exactly
    when the event does; (event, to) is unique, so telling of one event twice makes
    no second e-mail. A worker sends it and records when (``sent_at``); until then it
    is retried, and a refusal by the receiving server (an address that does not
    exist) is recorded and not retried (``refused_at``).
    """

    event = models.CharField(max_length=200, help_text="What the e-mail tells of, e.g. message:42.")
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # The same on every attempt: a mail system that got it twice sees it is one e-mail.
    message_id = models.CharField(max_length=250, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        constraints = [
            models.UniqueConstraint(fields=["event", "to"], name="outgoingemail_once_per_event")
        ]
        indexes = [
            # The periodic resend reads the few that are still waiting.
            models.Index(
                fields=["created_at"],
                name="outgoingemail_waiting",
                condition=Q(sent_at__isnull=True, refused_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.to}"


class IdempotentRequest(models.Model):
    """A POST to the API under its ``Idempotency-Key``, with the answer it got (``portal.api``).

    Written in the transaction of the write it answers, so it exists exactly when
    the write does: the same key again replays the answer and creates nothing;
    two at once wait for each other on the unique key. A request refused stores
    nothing, so the system can send it again, mended, under the same key.
    Forgotten after ``API_IDEMPOTENCY_HOURS`` (``portal.tasks.forget_idempotency_keys``).
    """

    api_client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # What was asked (method, path, body): the same key with another request is an error.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    # The answer's JSON as it was sent, so a replay is the same bytes (jsonb would
    # reorder its keys).
    body = models.TextField()
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("API request")
        verbose_name_plural = _("API requests")
        constraints = [
            models.UniqueConstraint(fields=["api_client", "key"], name="idempotentrequest_once")
        ]

    def __str__(self) -> str:
        return f"{self.api_client_id}:{self.key}"
