"""Organisations, people and memberships, feedback and contact details.

A virksomhet (client agency) is an ``Organisation``. People are ``User`` rows;
``Membership`` says which organisations a person belongs to. Membership is the
portal's own record: no login claim ever creates it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from portal.validators import validate_org_number

if TYPE_CHECKING:
    from django_stubs_ext.db.models.manager import RelatedManager


class Area(models.TextChoices):
    """The provider's two services; each case and each customer centre has one."""

    PAYROLL = "lonn", _("Payroll")
    ACCOUNTING = "regnskap", _("Accounting")


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

    if TYPE_CHECKING:
        memberships: RelatedManager[Membership]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def organisations(self) -> models.QuerySet[Organisation]:
        return Organisation.objects.filter(memberships__user=self, is_active=True).order_by("name")


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def active(self) -> OrganisationQuerySet:
        return self.filter(is_active=True)

    def of_member(self, user: User) -> OrganisationQuerySet:
        return self.active().filter(memberships__user=user)


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


class ContactCentre(models.Model):
    """How to reach the payroll or the accounting customer centre (edited by staff)."""

    area = models.CharField(_("area"), max_length=10, choices=Area.choices, unique=True)
    name_nb = models.CharField(_("name (Norwegian)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    phone = models.CharField(_("phone"), max_length=30)
    email = models.EmailField(_("e-mail"))
    opening_hours_nb = models.CharField(_("opening hours (Norwegian)"), max_length=200)
    opening_hours_en = models.CharField(_("opening hours (English)"), max_length=200)
    note_nb = models.TextField(_("note (Norwegian)"), blank=True)
    note_en = models.TextField(_("note (English)"), blank=True)

    class Meta:
        verbose_name = _("customer centre")
        verbose_name_plural = _("customer centres")
        ordering = ["area"]

    def __str__(self) -> str:
        return self.name_nb

    def localised(self, field: str, language: str) -> str:
        """``field`` in English for English readers, else in Norwegian."""
        suffix = "en" if language.startswith("en") else "nb"
        return str(getattr(self, f"{field}_{suffix}"))
