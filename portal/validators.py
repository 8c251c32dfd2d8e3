"""Validators for Norwegian identifiers and for dates people type."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Brønnøysundregistrene's weights for the modulus-11 check digit of an
# organisation number (the ninth digit checks the first eight).
_ORG_NUMBER_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def org_number_check_digit(first_eight: str) -> int | None:
    """The check digit for eight digits, or None where no valid one exists (remainder 1)."""
    total = sum(int(d) * w for d, w in zip(first_eight, _ORG_NUMBER_WEIGHTS, strict=True))
    remainder = total % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def validate_org_number(value: str) -> None:
    if not value.isascii() or not value.isdigit():
        raise ValidationError(
            _("An organisation number has only digits."), code="org_number_digits"
        )
    if len(value) != 9:
        raise ValidationError(
            _("An organisation number has exactly 9 digits."), code="org_number_length"
        )
    if org_number_check_digit(value[:8]) != int(value[8]):
        raise ValidationError(
            _("This organisation number is not valid: the check digit does not match."),
            code="org_number_check_digit",
        )


# The dates a person may type into a date field: wide enough for every real
# record (the oldest cases are from the 2010s), narrow enough that a slip such
# as 2202 for 2022 is told, and that the day after is always a date.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)


def validate_date_in_range(value: dt.date) -> None:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            _("Choose a date between %(first)s and %(last)s."),
            code="date_out_of_range",
            params={
                "first": EARLIEST_DATE.strftime("%d.%m.%Y"),
                "last": LATEST_DATE.strftime("%d.%m.%Y"),
            },
        )
