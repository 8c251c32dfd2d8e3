"""The case list's filters, on django-filter.

The columns of ``cases.tables.CaseTable`` declare their filters with the
classes here, and ``cases.tables.filterset_for`` collects them into a
subclass of ``CaseFilter``. Every key a user controls is a declared filter;
values are validated by the form fields, and a bad value is an error next to
its input, never a 500. A filter whose value is in error is left out, as
django-filter does, so the rest of the list still applies.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Follower, SubjectArea
from cases.search import title_contains
from cases.text import Fold, fold
from portal.dates import end_of_day_exclusive, start_of_day
from portal.models import Area, Organisation, User
from portal.validators import validate_date_in_range

# The placeholder shows the date's shape in the reader's words (dd.mm.åååå in Norwegian).
DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
# A case id fits PostgreSQL's bigint in at most 18 digits.
MAX_ID_DIGITS = 18


class NumberFilter(django_filters.CharFilter):
    """A case number, whole or its start; its digits alone find the case by id.

    A number is ``SAK-<Oslo year of opprettet>-<id>`` (``cases.models.case_number``),
    so a start that ends within the year ("SAK-2023", "SAK-202-" is none) is a
    range of opprettet: it is asked as that range, which the list then treats
    as an opprettet filter (``CaseFilter.date_bounds``), not as
    ``LIKE 'SAK-2023%'``, which PostgreSQL answers from the number index of
    every organisation (half a second for a year of the largest one).
    """

    def filter(self, qs: QuerySet[Case], value: str) -> QuerySet[Case]:
        text = self.normalise(value)
        if not text:
            return qs
        # Only the digits 0–9 are a number here ("²" and "１２" are digits to Python).
        if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
            # The digits of the number: exactly that case, or numbers starting with them.
            return qs.filter(Q(pk=int(text)) | self.starting_with(f"SAK-{text}"))
        return qs.filter(self.starting_with(text))

    @classmethod
    def starting_with(cls, text: str) -> Q:
        years = cls.years(text)
        if years is None:
            return Q(number__startswith=text)
        first, last = years
        return Q(
            created_at__gte=start_of_day(dt.date(first, 1, 1)),
            created_at__lt=end_of_day_exclusive(dt.date(last, 12, 31)),
        )

    @staticmethod
    def normalise(value: str | None) -> str:
        return (value or "").strip().upper().replace(" ", "")

    @staticmethod
    def years(text: str) -> tuple[int, int] | None:
        """The Oslo years of opprettet of exactly the numbers starting with ``text``.

        None when the start says more than the year, or less than "SAK-".
        """
        match = YEAR_START.fullmatch(text)
        if not match:
            return None
        digits = match["year"]
        rest = 4 - len(digits)
        if match["dash"] and rest:
            return None  # "SAK-20-" is no number's start: the LIKE finds nothing
        first = int(digits) * 10**rest
        # Python's dates run from year 1, and the day after 31.12.9998 must exist.
        return max(first, 1), min(first + 10**rest - 1, 9998)


# The start of a number up to the end of its year: "SAK-2", "SAK-2023", "SAK-2023-".
YEAR_START = re.compile(r"SAK-(?P<year>[0-9]{1,4})(?P<dash>-?)")


class TitleFilter(django_filters.CharFilter):
    """Titles that contain the text, folded (cases.search)."""

    def filter(self, qs: QuerySet[Case], value: str) -> QuerySet[Case]:
        text = (value or "").strip()
        return title_contains(qs, text) if text else qs


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """Any of the chosen codes, as checkboxes.

    No filter here joins another table, so none can produce duplicate rows;
    and the DISTINCT django-filter adds by default would stop PostgreSQL from
    walking an index in the list's order.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("distinct", False)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(*args, **kwargs)

    def choices_for(self, organisations: list[Organisation]) -> list[tuple[str, str]] | None:
        """The choices that make sense for these organisations (None: the declared ones)."""
        if self.field_name == "category":
            areas = sorted({area for org in organisations for area in org.areas})
            return [(a.value, str(a.label)) for a in areas]
        return None


class SubjectAreaFilter(ChoicesFilter):
    """The subject areas of the organisations' areas, named in the reader's language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, choices=[], **kwargs)

    def choices_for(self, organisations: list[Organisation]) -> list[tuple[str, str]]:
        areas = {area for org in organisations for area in org.areas}
        names = dict(Area.choices)
        return [
            (str(area.pk), f"{names[area.category]}: {area.name}")
            for area in SubjectArea.objects.filter(category__in=areas).only(
                "category", "name_nb", "name_nn", "name_en"
            )
        ]


class PersonNameFilter(django_filters.CharFilter):
    """Cases whose person (``field_name``) has a name or username containing the text.

    The people are few (members of the organisations, or staff); they are
    found first and the cases by an indexed IN.
    """

    def __init__(self, *args: Any, among: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.among = among

    def filter(self, qs: QuerySet[Case], value: str) -> QuerySet[Case]:
        text = fold((value or "").strip())
        if not text:
            return qs
        if self.among == "staff":
            people = User.objects.filter(is_staff=True)
        else:
            people = User.objects.filter(memberships__organisation__in=self.parent.organisations)
        matching = (
            people.alias(full=Fold(Concat("first_name", Value(" "), "last_name")))
            .filter(Q(full__contains=text) | Q(username__icontains=text))
            .values("pk")
        )
        return qs.filter(**{f"{self.field_name}__in": matching})


class OsloDayFilter(django_filters.DateFilter):
    """A bound of a date range: from the start of an Oslo day, or through its end."""

    def __init__(self, *args: Any, through: bool, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", DATE_FORMATS)
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                format="%d.%m.%Y", attrs={"inputmode": "numeric", "placeholder": _("dd.mm.yyyy")}
            ),
        )
        kwargs.setdefault("validators", [validate_date_in_range])
        super().__init__(*args, **kwargs)
        self.through = through

    def filter(self, qs: QuerySet[Case], value: dt.date | None) -> QuerySet[Case]:
        if value is None:
            return qs
        if self.through:  # "through D" is before the first moment after D
            return qs.filter(**{f"{self.field_name}__lt": end_of_day_exclusive(value)})
        return qs.filter(**{f"{self.field_name}__gte": start_of_day(value)})


class DateRange:
    """A column's from- and to-date filters: ``<column>_fra`` and ``<column>_til``."""

    def __init__(self, field_name: str, from_label: Any, to_label: Any) -> None:
        self.field_name = field_name
        self.labels = (from_label, to_label)

    def filters(self, name: str) -> dict[str, django_filters.Filter]:
        from_label, to_label = self.labels
        return {
            f"{name}_fra": OsloDayFilter(self.field_name, label=from_label, through=False),
            f"{name}_til": OsloDayFilter(self.field_name, label=to_label, through=True),
        }


class CaseFilterForm(forms.Form):
    """Checks what one field cannot: a to-date before its from-date."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in list(self.fields):
            if not name.endswith("_fra"):
                continue
            to_name = name.removesuffix("_fra") + "_til"
            start, end = data.get(name), data.get(to_name)
            if start and end and end < start:
                self.add_error(
                    to_name,
                    forms.ValidationError(
                        _(
                            "The to-date is before the from-date. "
                            "Choose a to-date on or after %(day)s."
                        )
                        % {"day": start.strftime("%d.%m.%Y")},
                        code="to_before_from",
                    ),
                )
        return data


class CaseFilter(django_filters.FilterSet):
    """The filters of no column; ``cases.tables.filterset_for`` adds every column's."""

    # A checkbox: "fulgt=on" in the address, so the choice can be bookmarked.
    fulgt = django_filters.BooleanFilter(
        label=_("Followed by me"), method="filter_followed", widget=forms.CheckboxInput
    )

    class Meta:
        model = Case
        fields: list[str] = []
        form = CaseFilterForm

    def __init__(
        self, *args: Any, organisations: list[Organisation], user: User | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = organisations
        self.user = user
        for filter_ in self.filters.values():
            if isinstance(filter_, ChoicesFilter):
                choices = filter_.choices_for(organisations)
                if choices is not None:
                    filter_.extra["choices"] = choices

    def date_bounds(self, name: str) -> tuple[dt.date | None, dt.date | None]:
        """The from- and to-date of column ``name``'s range, as far as they are valid."""
        self.form.is_valid()
        data = self.form.cleaned_data
        start, end = data.get(f"{name}_fra"), data.get(f"{name}_til")
        if name == "opprettet" and (years := self.number_years()):
            # "SAK-2023" is opprettet in 2023 (NumberFilter), and both filters apply.
            start = max(start or dt.date.min, dt.date(years[0], 1, 1))
            end = min(end or dt.date.max, dt.date(years[1], 12, 31))
        return start, end

    def number_years(self) -> tuple[int, int] | None:
        """The years of opprettet a number filter such as "SAK-2023" stands for."""
        for name, filter_ in self.filters.items():
            if isinstance(filter_, NumberFilter):
                text = NumberFilter.normalise(self.form.cleaned_data.get(name))
                return NumberFilter.years(text)
        return None

    def filter_followed(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        """The cases the person follows (among those rule 1 lets them see, as always).

        The person's followed ids come from the (user, case) index and the cases
        by primary key, so this is quick in any organisation (migration cases 0012).
        """
        if not value:
            return queryset
        if self.user is None:  # a system (the API) follows nothing
            return queryset.none()
        followed = Follower.objects.filter(user_id=self.user.pk).values("case_id")
        return queryset.filter(pk__in=followed)
