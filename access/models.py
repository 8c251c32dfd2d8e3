"""Appointments of authorised orderers (rule 5): requests that become cases, decided by staff."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_stubs_ext.db.models.manager import RelatedManager

from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Attachment, Case
from portal.dates import today as oslo_today
from portal.models import (
    ApiClient,
    Area,
    Localised,
    Organisation,
    RoleAssignment,
    RoleType,
    User,
    later_version_recorded,
)


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def pending(self) -> AppointmentQuerySet:
        return self.filter(decision__isnull=True)


class Appointment(models.Model):
    """A request that a member become (or stop being) autorisert bestiller for an area."""

    class Action(models.TextChoices):
        APPOINT = "appoint", _("Appoint")
        REMOVE = "remove", _("Remove")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the customer centre")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="appointment", verbose_name=_("case")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    area = models.CharField(_("area"), max_length=10, choices=Area.choices)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    person = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    valid_from = models.DateField(
        _("from"), help_text=_("For a removal: the last day the role is held.")
    )
    comment = models.TextField(_("comment"), blank=True)
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # The requester's own authority when they asked: the first link of the chain.
    requester_assignment = models.ForeignKey(
        RoleAssignment,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("requester's authority"),
    )
    objects = AppointmentQuerySet.as_manager()

    if TYPE_CHECKING:
        decision: AppointmentDecision

    class Meta:
        verbose_name = _("orderer appointment")
        verbose_name_plural = _("orderer appointments")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.person} ({self.get_area_display()})"

    @property
    def decided(self) -> AppointmentDecision | None:
        """The staff decision, once there is one (append-only: made once, never changed)."""
        try:
            return self.decision
        except AppointmentDecision.DoesNotExist:
            return None

    @property
    def state(self) -> str:
        decision = self.decided
        if decision is None:
            return self.State.PENDING
        return self.State.APPROVED if decision.approved else self.State.REJECTED

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)

    @property
    def decided_by(self) -> User | None:
        return self.decided.decided_by if self.decided else None

    @property
    def decided_at(self) -> dt.datetime | None:
        return self.decided.decided_at if self.decided else None

    @property
    def decision_reason(self) -> str:
        return self.decided.reason if self.decided else ""

    @property
    def resulting_assignment(self) -> RoleAssignment | None:
        return self.decided.resulting_assignment if self.decided else None


class AppointmentDecision(models.Model):
    """Staff approve or reject an appointment request: one row, recorded once (append-only)."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="decision", verbose_name=_("request")
    )
    approved = models.BooleanField(_("approved"))
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    reason = models.TextField(_("reason"))
    resulting_assignment = models.ForeignKey(
        RoleAssignment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resulting role assignment"),
    )

    class Meta:
        verbose_name = _("appointment decision")
        verbose_name_plural = _("appointment decisions")

    def __str__(self) -> str:
        state = Appointment.State.APPROVED if self.approved else Appointment.State.REJECTED
        return f"{self.appointment}: {state.label}"


class System(Localised, models.Model):
    """A system of the provider's whose roles customers order (admin-editable catalogue)."""

    class Area(models.TextChoices):
        PAYROLL = "lonn", _("Payroll")
        ACCOUNTING = "regnskap", _("Accounting")
        CUSTOMER_CENTRE = "kundesenter", _("The customer centre")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_nb = models.CharField(_("name (Norwegian)"), max_length=120)
    name_nn = models.CharField(_("name (Nynorsk)"), max_length=120, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_nb = models.TextField(_("description (Norwegian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    area = models.CharField(_("area"), max_length=12, choices=Area.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("system")
        verbose_name_plural = _("systems")
        ordering = ["area", "position", "name_nb"]

    def __str__(self) -> str:
        return self.name


class SystemRole(Localised, models.Model):
    """A role in a system that can be granted, e.g. "Lønnsmedarbeider" in the payroll system."""

    system = models.ForeignKey(
        System, on_delete=models.PROTECT, related_name="roles", verbose_name=_("system")
    )
    code = models.SlugField(_("code"), max_length=60)
    name_nb = models.CharField(_("name (Norwegian)"), max_length=120)
    name_nn = models.CharField(_("name (Nynorsk)"), max_length=120, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_nb = models.TextField(_("description (Norwegian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    # Roles of the customer centre itself are roles in the register (utvidet tilgang).
    register_role = models.ForeignKey(
        RoleType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("role in the register"),
        help_text=_("For the customer centre's own roles: the role a fulfilled line registers."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("system role")
        verbose_name_plural = _("system roles")
        ordering = ["system__area", "system__position", "position", "name_nb"]
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="systemrole_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.system.name}: {self.name}"

    @property
    def ordering_area(self) -> str:
        """The area whose orderer may order this role (rule 3): its own, or the register role's."""
        if self.register_role is not None and self.register_role.area:
            return self.register_role.area
        return self.system.area


class OrderQuerySet(models.QuerySet["Order"]):
    def open(self) -> OrderQuerySet:
        """Orders with a line still waiting for the customer centre."""
        return self.filter(
            Exists(OrderLine.objects.filter(order=OuterRef("pk"), decision__isnull=True))
        )

    def done(self) -> OrderQuerySet:
        return self.exclude(pk__in=self.open().values("pk"))


class Order(models.Model):
    """An order of roles and access: a case with lines that staff fulfil one by one."""

    class State(models.TextChoices):
        OPEN = "open", _("Being processed")
        DONE = "done", _("Done")

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="order", verbose_name=_("case")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    area = models.CharField(_("area"), max_length=12, choices=System.Area.choices)
    ordered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("ordered by")
    )
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    submission_key = models.UUIDField(null=True, blank=True, editable=False)

    objects = OrderQuerySet.as_manager()

    if TYPE_CHECKING:
        lines: RelatedManager[OrderLine]

    class Meta:
        verbose_name = _("access order")
        verbose_name_plural = _("access orders")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ordered_by", "submission_key"], name="order_unique_submission"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} ({self.get_area_display()})"

    @property
    def state(self) -> str:
        """Done when every line is decided (the order itself is never changed)."""
        waiting = any(line.decided is None for line in self.lines.all())
        return self.State.OPEN if waiting else self.State.DONE

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)


class LineFields(models.Model):
    """What a line of an order or of a system's draft says: a member or someone new, a
    role to grant or remove, from a date (``access.ordering.LineInput`` reads both)."""

    class Action(models.TextChoices):
        GRANT = "grant", _("Grant")
        REMOVE = "remove", _("Remove")

    person = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    # A person who is not (yet) a user of the portal, e.g. a new employee.
    new_person_name = models.CharField(_("name"), max_length=200, blank=True)
    new_person_email = models.EmailField(_("e-mail"), blank=True)
    employee_number = models.CharField(_("employee number"), max_length=30, blank=True)
    system_role = models.ForeignKey(
        SystemRole, on_delete=models.PROTECT, related_name="+", verbose_name=_("system role")
    )
    action = models.CharField(_("grant or remove"), max_length=10, choices=Action.choices)
    valid_from = models.DateField(_("from"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.system_role} – {self.person_label}"

    @property
    def person_label(self) -> str:
        if self.person is not None:
            return str(self.person)
        return f"{self.new_person_name} ({self.new_person_email})"


class OrderLine(LineFields):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="lines", verbose_name=_("order")
    )
    if TYPE_CHECKING:
        decision: OrderLineDecision

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "id"]

    @property
    def decided(self) -> OrderLineDecision | None:
        try:
            return self.decision
        except OrderLineDecision.DoesNotExist:
            return None

    @property
    def state(self) -> str:
        decision = self.decided
        if decision is None:
            return self.State.PENDING
        return self.State.DONE if decision.done else self.State.REJECTED

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)

    @property
    def reason(self) -> str:
        return self.decided.reason if self.decided else ""

    @property
    def decided_by(self) -> User | None:
        return self.decided.decided_by if self.decided else None


class OrderLineDecision(models.Model):
    """Staff carried a line out or rejected it: one row, recorded once (append-only)."""

    line = models.OneToOneField(
        OrderLine, on_delete=models.PROTECT, related_name="decision", verbose_name=_("order line")
    )
    done = models.BooleanField(_("done"))
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("order line decision")
        verbose_name_plural = _("order line decisions")

    def __str__(self) -> str:
        state = OrderLine.State.DONE if self.done else OrderLine.State.REJECTED
        return f"{self.line}: {state.label}"


class OrderDraftQuerySet(models.QuerySet["OrderDraft"]):
    def waiting(self) -> OrderDraftQuerySet:
        """Drafts no one has submitted or discarded yet, from a registration still in force.

        A draft from a system whose registration was withdrawn is not offered: whatever
        the system wrote is no longer vouched for (the person can still order by hand).
        """
        return self.filter(state=OrderDraft.State.WAITING).filter(
            api_client__in=ApiClient.objects.in_force()
        )


class OrderDraft(models.Model):
    """An access order drafted by one of the organisation's systems (issue 17).

    A system never orders: it drafts, and an authorised orderer opens the draft in
    the portal, changes it if need be and submits it through the order form, when
    rule 3 is asked with the person as the one who orders. The draft's lines are
    what the system sent and are never changed; its end is recorded once, either
    the order it became (``submitted``) or ``discarded``, with who and when. The
    row is locked while it is ended, so a draft becomes at most one order.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for an orderer")
        SUBMITTED = "submitted", _("Submitted")
        DISCARDED = "discarded", _("Discarded")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    area = models.CharField(_("area"), max_length=12, choices=System.Area.choices)
    api_client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, related_name="+", verbose_name=_("drafted by system")
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("drafted"), default=timezone.now)
    # The API's idempotency key: a retried request finds the draft it made.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.WAITING
    )
    order = models.OneToOneField(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="draft",
        verbose_name=_("order"),
    )
    ended_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted or discarded by"),
    )
    ended_at = models.DateTimeField(_("submitted or discarded"), null=True, blank=True)

    objects = OrderDraftQuerySet.as_manager()

    if TYPE_CHECKING:
        lines: RelatedManager[OrderDraftLine]

    class Meta:
        verbose_name = _("order draft")
        verbose_name_plural = _("order drafts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["api_client", "submission_key"], name="orderdraft_unique_submission"
            ),
            # The end is whole or absent: a submitted draft names its order, a
            # discarded one none; both say who and when; a waiting one nothing.
            models.CheckConstraint(
                condition=Q(
                    state="waiting",
                    order__isnull=True,
                    ended_by__isnull=True,
                    ended_at__isnull=True,
                )
                | Q(
                    state="submitted",
                    order__isnull=False,
                    ended_by__isnull=False,
                    ended_at__isnull=False,
                )
                | Q(
                    state="discarded",
                    order__isnull=True,
                    ended_by__isnull=False,
                    ended_at__isnull=False,
                ),
                name="orderdraft_end_is_whole",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organisation", "created_at"],
                name="orderdraft_waiting",
                condition=Q(state="waiting"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.api_client.name}: {self.get_area_display()} ({self.pk})"

    @property
    def ordering_areas(self) -> set[str]:
        """The areas whose orderer may submit this draft (rule 3): its lines' areas."""
        return {line.system_role.ordering_area for line in self.lines.all()}


class OrderDraftLine(LineFields):
    """One line of a draft, as ``OrderLine`` has it: a member or someone new, a role, a date."""

    draft = models.ForeignKey(
        OrderDraft, on_delete=models.PROTECT, related_name="lines", verbose_name=_("order draft")
    )

    class Meta:
        verbose_name = _("order draft line")
        verbose_name_plural = _("order draft lines")
        ordering = ["draft", "id"]


class AccessGrantQuerySet(models.QuerySet["AccessGrant"]):
    def newest_versions(self) -> AccessGrantQuerySet:
        return self.exclude(later_version_recorded(AccessGrant))

    def held_on(self, day: dt.date) -> AccessGrantQuerySet:
        return self.filter(valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )

    def held_today(self) -> AccessGrantQuerySet:
        return self.newest_versions().held_on(oslo_today())


class AccessGrant(models.Model):
    """Someone holds a system role in an organisation from D (to E): append-only, like roles.

    Ending a grant records a new version with the same lineage (see the
    migration's trigger: PostgreSQL refuses UPDATE and DELETE).
    """

    lineage = models.UUIDField(default=uuid.uuid4, db_index=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    person = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_grants",
        verbose_name=_("person"),
    )
    person_name = models.CharField(_("name"), max_length=200)
    person_email = models.EmailField(_("e-mail"), blank=True)
    employee_number = models.CharField(_("employee number"), max_length=30, blank=True)
    system_role = models.ForeignKey(
        SystemRole, on_delete=models.PROTECT, related_name="grants", verbose_name=_("system role")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (inclusive)"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("recorded by")
    )
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="+", verbose_name=_("order line")
    )
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        ordering = ["organisation", "person_name", "system_role"]
        indexes = [
            models.Index(fields=["organisation", "system_role"], name="grant_org_role"),
            models.Index(fields=["person", "organisation"], name="grant_person_org"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="grant_valid_to_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_name}: {self.system_role}"


class FullmaktSubmissionQuerySet(models.QuerySet["FullmaktSubmission"]):
    def in_state(self, state: str) -> FullmaktSubmissionQuerySet:
        """The forms whose steps put them in ``state``, as ``FullmaktSubmission.state``
        reads them: rejected or registered ends it, verified before that."""

        def step(kind: str) -> Exists:
            return Exists(FullmaktStep.objects.filter(submission=OuterRef("pk"), kind=kind))

        decided = step(FullmaktStep.Kind.REGISTERED) | step(FullmaktStep.Kind.REJECTED)
        match state:
            case FullmaktSubmission.State.SUBMITTED:
                return self.exclude(decided).exclude(step(FullmaktStep.Kind.VERIFIED))
            case FullmaktSubmission.State.VERIFIED:
                return self.filter(step(FullmaktStep.Kind.VERIFIED)).exclude(decided)
            case FullmaktSubmission.State.REGISTERED | FullmaktSubmission.State.REJECTED:
                return self.filter(step(state))
        raise ValueError(f"not a state of a fullmakt form: {state!r}")


class FullmaktSubmission(models.Model):
    """A fullmakt form sent in (rules 5 and 6), verified and registered by two staff members.

    ``rows`` is what the portal read from the xlsx (empty for a scanned form
    without one, until staff key it in). Registering needs a first staff member
    who confirms the signer's budget disposal authority (verified) and a second
    who confirms (registered); neither may be the case's reporter.
    """

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        VERIFIED = "verified", _("Verified, waiting for a second confirmation")
        REGISTERED = "registered", _("Registered")
        REJECTED = "rejected", _("Rejected")

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="fullmakt_submission", verbose_name=_("case")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    form_version = models.CharField(_("form version"), max_length=20, blank=True)
    rows = models.JSONField(_("rows"), default=list, blank=True)
    signer_name = models.CharField(_("signer's name"), max_length=200, blank=True)
    signer_title = models.CharField(_("signer's title"), max_length=200, blank=True)
    signer_confirmed = models.BooleanField(
        _("signer confirmed budget disposal authority in the form"), default=False
    )
    signer_date = models.DateField(_("date of signing"), null=True, blank=True)
    xlsx_attachment = models.ForeignKey(
        Attachment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filled form"),
    )
    xlsx_sha256 = models.CharField(_("SHA-256 of the filled form"), max_length=64, blank=True)
    signed_attachment = models.ForeignKey(
        Attachment, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed copy")
    )
    signed_sha256 = models.CharField(_("SHA-256 of the signed copy"), max_length=64)
    submitted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)

    objects = FullmaktSubmissionQuerySet.as_manager()

    if TYPE_CHECKING:
        steps: RelatedManager[FullmaktStep]

    class Meta:
        verbose_name = _("fullmakt form")
        verbose_name_plural = _("fullmakt forms")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.case.number}: {self.organisation}"

    def _step(self, kind: str) -> FullmaktStep | None:
        # The newest step of a kind; steps are read once per page (prefetch "steps").
        found = [step for step in self.steps.all() if step.kind == kind]
        return max(found, key=lambda step: (step.taken_at, step.pk)) if found else None

    @property
    def state(self) -> str:
        for kind, state in (
            (FullmaktStep.Kind.REJECTED, self.State.REJECTED),
            (FullmaktStep.Kind.REGISTERED, self.State.REGISTERED),
            (FullmaktStep.Kind.VERIFIED, self.State.VERIFIED),
        ):
            if self._step(kind) is not None:
                return state
        return self.State.SUBMITTED

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)

    @property
    def current_rows(self) -> list[Any]:
        """What registering will use: the rows staff keyed in last, else those read from
        the form (``rows``, which is never changed)."""
        keyed = self._step(FullmaktStep.Kind.KEYED_IN)
        rows = keyed.rows if keyed is not None else self.rows
        return rows if isinstance(rows, list) else []

    @property
    def verified_by(self) -> User | None:
        step = self._step(FullmaktStep.Kind.VERIFIED)
        return step.taken_by if step else None

    @property
    def verified_at(self) -> dt.datetime | None:
        step = self._step(FullmaktStep.Kind.VERIFIED)
        return step.taken_at if step else None

    @property
    def confirmed_by(self) -> User | None:
        step = self._step(FullmaktStep.Kind.REGISTERED)
        return step.taken_by if step else None

    @property
    def confirmed_at(self) -> dt.datetime | None:
        step = self._step(FullmaktStep.Kind.REGISTERED)
        return step.taken_at if step else None

    @property
    def decision_reason(self) -> str:
        step = self._step(FullmaktStep.Kind.REJECTED)
        return step.reason if step else ""

    @property
    def registration_report(self) -> str:
        step = self._step(FullmaktStep.Kind.REGISTERED)
        return step.report if step else ""


class FullmaktStep(models.Model):
    """One step staff took with a fullmakt form (append-only): keying in the rows of a
    scanned form, verifying (first staff member), registering (second) or rejecting."""

    class Kind(models.TextChoices):
        KEYED_IN = "keyed_in", _("Rows keyed in")
        VERIFIED = "verified", _("Verified")
        REGISTERED = "registered", _("Registered")
        REJECTED = "rejected", _("Rejected")

    submission = models.ForeignKey(
        FullmaktSubmission,
        on_delete=models.PROTECT,
        related_name="steps",
        verbose_name=_("fullmakt form"),
    )
    kind = models.CharField(_("step"), max_length=12, choices=Kind.choices)
    taken_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty only for a rejection recorded before steps were kept."),
    )
    taken_at = models.DateTimeField(_("at"), default=timezone.now)
    rows = models.JSONField(_("rows"), null=True, blank=True)
    authority_confirmed = models.BooleanField(
        _("signer's budget disposal authority checked"), default=False
    )
    reason = models.TextField(_("reason"), blank=True)
    report = models.TextField(_("registration report"), blank=True)

    class Meta:
        verbose_name = _("fullmakt form step")
        verbose_name_plural = _("fullmakt form steps")
        ordering = ["taken_at", "id"]
        constraints = [
            # Verifying, registering and rejecting happen at most once per form.
            models.UniqueConstraint(
                fields=["submission", "kind"],
                condition=~Q(kind="keyed_in"),
                name="fullmaktstep_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submission}: {self.get_kind_display()}"
