from __future__ import annotations

import datetime as dt

from django.db import transaction

from cases.models import Case, case_number
from tests.cases_helpers import make_case, subject_area
from tests.conftest import Cast


def test_case_number_carries_the_oslo_year() -> None:
    new_year_in_oslo = dt.datetime(2022, 12, 31, 23, 30, tzinfo=dt.UTC)  # 01.01.2023 00:30 Oslo
    assert case_number(12345, new_year_in_oslo) == "SAK-2023-0012345"


def test_numbers_are_unique_and_follow_creation(cast: Cast) -> None:
    first = make_case(cast.fjordetaten, cast.per)
    second = make_case(cast.fjordetaten, cast.per)
    assert first.number != second.number
    assert first.number < second.number
    assert first.number.endswith(f"{first.pk:07d}")


def test_number_is_never_reused_after_a_creation_is_rolled_back(cast: Cast) -> None:
    # Cases are not deleted (their status history is append-only), but a creation
    # that fails after taking its number leaves that number unused for good.
    with transaction.atomic():
        number = make_case(cast.fjordetaten, cast.per).number
        transaction.set_rollback(True)
    assert not Case.objects.filter(number=number).exists()
    again = make_case(cast.fjordetaten, cast.per)
    assert again.number != number


def test_title_of_300_characters_is_stored_whole(cast: Cast) -> None:
    title = "Å" * 300
    case = Case.objects.create(
        organisation=cast.fjordetaten,
        category="lonn",
        subject_area=subject_area(),
        title=title,
        description="x",
        reported_by=cast.per,
    )
    case.refresh_from_db()
    assert case.title == title


def test_renaming_a_person_renames_them_on_their_cases(cast: Cast) -> None:
    case = make_case(cast.fjordetaten, cast.per)
    assert case.reporter_name == "Per Testesen"
    cast.per.last_name = "Nyberg"
    cast.per.save()
    case.refresh_from_db()
    assert case.reporter_name == "Per Nyberg"
