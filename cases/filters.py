"""The case list's filters: one per column, parsed and validated by django-filter.

Every key a user controls is on an allowlist here; values are validated by
the form fields, and a bad value is an error next to its input, never a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Follower, SubjectArea
from cases.search import title_contains
from cases.text import Fold, fold
from portal.dates import end_of_day_exclusive, start_of_day
from portal.models import Area, Organisation, User
from portal.validators import validate_date_in_range

# The placeholder shows the date's shape in the reader's words (dd.mm.åååå in Norwegian).
DATE_INPUT = forms.DateInput(attrs={"inputmode": "numeric", "placeholder": _("dd.mm.yyyy")})
DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
# A case id fits PostgreSQL's bigint in at most 18 digits.
MAX_ID_DIGITS = 18


# No filter here joins another table, so none can produce duplicate rows; and
# the DISTINCT django-filter adds to multiple-choice filters by default would
# stop PostgreSQL from walking an index in the list's order.
class CaseFilter(django_filters.FilterSet):
    nummer = django_filters.CharFilter(label=_("Number"), method="filter_number")
    tittel = django_filters.CharFilter(label=_("Title"), method="filter_title")
    kategori = django_filters.MultipleChoiceFilter(
        label=_("Category"), field_name="category", choices=Area.choices, distinct=False
    )
    fagomrade = django_filters.MultipleChoiceFilter(
        label=_("Subject area"), field_name="subject_area", choices=[], distinct=False
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), field_name="status", choices=Case.Status.choices, distinct=False
    )
    kanal = django_filters.MultipleChoiceFilter(
        label=_("Channel"), field_name="channel", choices=Case.Channel.choices, distinct=False
    )
    innmeldt_av = django_filters.CharFilter(label=_("Reported by"), method="filter_reporter")
    saksbehandler = django_filters.CharFilter(label=_("Assigned to"), method="filter_assignee")
    opprettet_fra = django_filters.DateFilter(
        label=_("Created from"),
        method="filter_noop",
        input_formats=DATE_FORMATS,
        widget=DATE_INPUT,
        validators=[validate_date_in_range],
    )
    opprettet_til = django_filters.DateFilter(
        label=_("Created to"),
        method="filter_noop",
        input_formats=DATE_FORMATS,
        widget=DATE_INPUT,
        validators=[validate_date_in_range],
    )
    endret_fra = django_filters.DateFilter(
        label=_("Last changed from"),
        method="filter_noop",
        input_formats=DATE_FORMATS,
        widget=DATE_INPUT,
        validators=[validate_date_in_range],
    )
    endret_til = django_filters.DateFilter(
        label=_("Last changed to"),
        method="filter_noop",
        input_formats=DATE_FORMATS,
        widget=DATE_INPUT,
        validators=[validate_date_in_range],
    )
    # A checkbox: "fulgt=on" in the address, so the choice can be bookmarked.
    fulgt = django_filters.BooleanFilter(
        label=_("Followed by me"),
        method="filter_followed",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(
        self, *args: Any, organisations: list[Organisation], user: User, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = organisations
        # The choices show as checkboxes (cases/_column_filter.html); so does the
        # widget, so that an error in the summary links to the first checkbox.
        for name in ("kategori", "fagomrade", "status", "kanal"):
            self.filters[name].extra["widget"] = forms.CheckboxSelectMultiple
        self.user = user
        areas = sorted({area for org in organisations for area in org.areas})
        self.filters["kategori"].extra["choices"] = [(a.value, a.label) for a in areas]
        # The subject areas of the organisation's areas, named in the user's language.
        names = dict(Area.choices)
        self.filters["fagomrade"].extra["choices"] = [
            (str(area.pk), f"{names[area.category]}: {area.name}")
            for area in SubjectArea.objects.filter(category__in=areas).only(
                "category", "name_nb", "name_nn", "name_en"
            )
        ]

    def date_bounds(self, prefix: str) -> tuple[dt.date | None, dt.date | None]:
        """The from- and to-date of "opprettet" or "endret", when the filters are valid."""
        data = self.form.cleaned_data if self.form.is_valid() else {}
        return data.get(f"{prefix}_fra"), data.get(f"{prefix}_til")

    @property
    def qs(self) -> QuerySet[Case]:
        queryset = super().qs
        for prefix, field in (("opprettet", "created_at"), ("endret", "updated_at")):
            start, end = self.date_bounds(prefix)
            if start and end and end < start:
                continue  # reported as an error by the form; never an empty list
            if start:
                queryset = queryset.filter(**{f"{field}__gte": start_of_day(start)})
            if end:
                queryset = queryset.filter(**{f"{field}__lt": end_of_day_exclusive(end)})
        return queryset

    def is_valid(self) -> bool:
        valid = super().is_valid()
        data = self.form.cleaned_data
        for prefix in ("opprettet", "endret"):
            start, end = data.get(f"{prefix}_fra"), data.get(f"{prefix}_til")
            if start and end and end < start:
                self.form.add_error(
                    f"{prefix}_til",
                    forms.ValidationError(
                        _(
                            "The to-date is before the from-date. "
                            "Choose a to-date on or after %(day)s."
                        )
                        % {"day": start.strftime("%d.%m.%Y")},
                        code="to_before_from",
                    ),
                )
                valid = False
        return valid

    def filter_noop(self, queryset: QuerySet[Case], name: str, value: Any) -> QuerySet[Case]:
        return queryset  # the date bounds are applied together in qs, with their check

    def filter_followed(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        """The cases the person follows (among those rule 1 lets them see, as always).

        The person's followed ids come from the (user, case) index and the cases
        by primary key, so this is quick in any organisation (migration cases 0012).
        """
        if not value:
            return queryset
        followed = Follower.objects.filter(user_id=self.user.pk).values("case_id")
        return queryset.filter(pk__in=followed)

    def filter_number(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        text = value.strip().upper().replace(" ", "")
        if not text:
            return queryset
        # Only the digits 0–9 are a number here ("²" and "１２" are digits to Python).
        if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
            # The digits of the number: exactly that case, or numbers starting with them.
            return queryset.filter(Q(pk=int(text)) | Q(number__startswith=f"SAK-{text}"))
        return queryset.filter(number__startswith=text)

    def filter_title(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        text = value.strip()
        if not text:
            return queryset
        return title_contains(queryset, text)

    def filter_reporter(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        people = self._people_matching(
            value, User.objects.filter(memberships__organisation__in=self.organisations)
        )
        return queryset if people is None else queryset.filter(reported_by__in=people)

    def filter_assignee(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        people = self._people_matching(value, User.objects.filter(is_staff=True))
        return queryset if people is None else queryset.filter(assigned_to__in=people)

    @staticmethod
    def _people_matching(value: str, people: QuerySet[User]) -> QuerySet[Any] | None:
        """People whose name contains ``value`` (folded): few rows, then an indexed IN."""
        text = fold(value.strip())
        if not text:
            return None
        from django.db.models import Value
        from django.db.models.functions import Concat

        return (
            people.alias(full=Fold(Concat("first_name", Value(" "), "last_name")))
            .filter(Q(full__contains=text) | Q(username__icontains=text))
            .values("pk")
        )
