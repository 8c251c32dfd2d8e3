"""Rule 4: grandfathering of fullmakt holders as the register knew them on 11.11.2022."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from portal.dates import OSLO
from portal.models import AuditEvent, RoleAssignment, RoleType
from portal.services import do_end_role
from tests.conftest import Cast, grant


def _oslo(day: str, clock: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=OSLO)


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("grandfather_payroll_orderers", *args, stdout=out)
    return out.getvalue()


def _orderers() -> set[str]:
    return set(
        RoleAssignment.objects.newest_versions()
        .of_role(RoleType.PAYROLL_ORDERER)
        .values_list("person__username", flat=True)
    )


@pytest.fixture
def register(cast: Cast) -> dict[str, RoleAssignment]:
    fjord = cast.fjordetaten
    return {
        # Recorded long before, still held: grants.
        "ola": grant(
            cast.ola,
            fjord,
            RoleType.FULLMAKT,
            dt.date(2020, 5, 1),
            recorded_at=_oslo("2020-05-01", "10:00"),
        ),
        # Recorded 12.11.2022 but back-dated to 1.10.2022: grants nothing.
        "per": grant(
            cast.per,
            fjord,
            RoleType.FULLMAKT,
            dt.date(2022, 10, 1),
            recorded_at=_oslo("2022-11-12", "09:00"),
        ),
        # Recorded 11.11.2022 23:30 Oslo time: grants.
        "kari": grant(
            cast.kari,
            fjord,
            RoleType.FULLMAKT,
            dt.date(2022, 11, 1),
            recorded_at=_oslo("2022-11-11", "23:30"),
        ),
        # Recorded 11.11.2022 23:30 UTC = 12.11.2022 00:30 Oslo: grants nothing.
        "mona": grant(
            cast.mona,
            fjord,
            RoleType.FULLMAKT,
            dt.date(2022, 11, 1),
            recorded_at=dt.datetime(2022, 11, 11, 23, 30, tzinfo=dt.UTC),
        ),
        # Ended 10.11.2022: grants nothing.
        "eva": grant(
            cast.eva,
            fjord,
            RoleType.FULLMAKT,
            dt.date(2019, 1, 1),
            dt.date(2022, 11, 10),
            recorded_at=_oslo("2019-01-01", "08:00"),
        ),
    }


def test_boundaries(register: dict[str, RoleAssignment]) -> None:
    _run()
    assert _orderers() == {"ola", "kari"}


def test_grant_starts_at_the_control_date_and_points_at_its_fullmakt(
    register: dict[str, RoleAssignment],
) -> None:
    _run()
    granted = RoleAssignment.objects.of_role(RoleType.PAYROLL_ORDERER).get(person__username="ola")
    assert granted.valid_from == dt.date(2022, 11, 18)
    assert granted.basis == RoleAssignment.Basis.GRANDFATHERING
    assert granted.derived_from == register["ola"]
    assert granted.recorded_by is None
    event = AuditEvent.objects.get(action="role.assigned", after__assignment=granted.pk)
    assert event.actor is None
    assert "Grandfathering" in event.basis or "fullmakt" in event.basis.lower()


def test_dry_run_changes_nothing_and_says_what_it_would_do(
    register: dict[str, RoleAssignment],
) -> None:
    before = (RoleAssignment.objects.count(), AuditEvent.objects.count())
    output = _run("--dry-run")
    assert (RoleAssignment.objects.count(), AuditEvent.objects.count()) == before
    assert [line.split()[0:2] for line in output.splitlines()].count(["would", "grant"]) == 2
    assert "Dry run, nothing changed" in output


def test_second_run_grants_nothing(register: dict[str, RoleAssignment]) -> None:
    first = _run()
    count = RoleAssignment.objects.count()
    second = _run()
    assert "2 granted" in first
    assert RoleAssignment.objects.count() == count
    assert "2 already granted" in second


def test_a_fullmakt_ended_after_the_grant_does_not_make_it_run_again(
    cast: Cast, register: dict[str, RoleAssignment]
) -> None:
    _run()
    do_end_role(
        actor=cast.siv,
        assignment=register["ola"],
        valid_to=dt.date(2023, 1, 31),
        basis=RoleAssignment.Basis.STAFF,
    )
    count = RoleAssignment.objects.count()
    _run()
    assert RoleAssignment.objects.count() == count


def test_later_start_is_kept(cast: Cast) -> None:
    # Held on 11.11.2022? No: starts 20.11.2022, so no grant at all.
    grant(
        cast.ola,
        cast.fjordetaten,
        RoleType.FULLMAKT,
        dt.date(2022, 11, 20),
        recorded_at=_oslo("2022-11-01", "12:00"),
    )
    _run()
    assert _orderers() == set()


def test_someone_already_holding_the_role_is_not_granted_twice(cast: Cast) -> None:
    grant(
        cast.ola,
        cast.fjordetaten,
        RoleType.FULLMAKT,
        dt.date(2020, 1, 1),
        recorded_at=_oslo("2020-01-01", "12:00"),
    )
    grant(cast.ola, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2021, 1, 1))
    output = _run()
    assert "already holds" in output
    assert RoleAssignment.objects.of_role(RoleType.PAYROLL_ORDERER).count() == 1


def test_bad_date_is_a_clear_error(db: None) -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _run("--as-of", "11.11.2022")


def test_the_audit_row_names_the_fullmakt_record_itself(
    cast: Cast, register: dict[str, RoleAssignment]
) -> None:
    _run()
    fullmakt = register["ola"]
    granted = RoleAssignment.objects.get(person=cast.ola, role__code=RoleType.PAYROLL_ORDERER)
    event = AuditEvent.objects.get(action="role.assigned", after__assignment=granted.pk)
    # Not "the fullmakt recorded at 10:00" (two can share a minute): its id and lineage.
    assert event.after is not None
    assert event.after["derived_from"]["assignment"] == fullmakt.pk
    assert event.after["derived_from"]["lineage"] == str(fullmakt.lineage)
    assert str(fullmakt.pk) in event.basis
    assert str(fullmakt.lineage) in granted.evidence
    assert event.actor is None  # made by the system
