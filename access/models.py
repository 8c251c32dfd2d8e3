"""Appointments of authorised orderers (rule 5): requests that become cases, decided by staff."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from portal.models import Area, Organisation, RoleAssignment, User


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def pending(self) -> AppointmentQuerySet:
        return self.filter(state=Appointment.State.PENDING)


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
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    decided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    resulting_assignment = models.ForeignKey(
        RoleAssignment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resulting role assignment"),
    )

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("orderer appointment")
        verbose_name_plural = _("orderer appointments")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["state", "-requested_at"], name="appointment_state")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.person} ({self.get_area_display()})"
