"""Validators for Norwegian identifiers."""

from __future__ import annotations

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
