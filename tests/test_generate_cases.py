"""``generate_cases`` fills a database for the benchmarks with data that looks real."""

from __future__ import annotations

from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count

from cases.management.commands.generate_cases import (
    COMMON_WORDS,
    RARE_WORDS,
    organisation_shares,
    vocabulary_is_copy_safe,
)
from cases.models import Case, Message, QueueCount, case_number
from portal.models import Membership, Organisation, RoleAssignment, RoleType, User
from portal.validators import validate_org_number

SMALL = ["--cases", "2000", "--organisations", "12", "--users", "300"]


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_cases", *args, stdout=out)
    return out.getvalue()


def case_table_schema() -> tuple[list[Any], list[Any]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'cases_case' ORDER BY indexname"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'cases_case'::regclass ORDER BY conname"
        )
        return indexes, [*cursor.fetchall()]


@pytest.fixture
def generated(owner_db: None) -> str:
    return generate(*SMALL)


def test_makes_the_organisations_users_and_cases_asked_for(generated: str) -> None:
    organisations = Organisation.objects.filter(slug__startswith="bench-org-")
    assert organisations.count() == 12
    for organisation in organisations:
        validate_org_number(organisation.org_number)
    users = User.objects.filter(username__startswith="bench-user-")
    assert users.count() == 300
    assert not any(user.has_usable_password() for user in users)
    assert Membership.objects.filter(user__in=users).count() == 300
    assert Case.objects.count() == 2000
    assert Message.objects.count() == 0
    assert "cases: 2000" in generated


def test_numbers_carry_the_id_and_the_oslo_year_and_ids_follow_creation(generated: str) -> None:
    rows = list(Case.objects.order_by("id").values_list("id", "number", "created_at"))
    assert all(number == case_number(pk, created) for pk, number, created in rows)
    created = [row[2] for row in rows]
    assert created == sorted(created)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('cases_case', 'id'))")
        row = cursor.fetchone()
    assert row is not None
    assert row[0] > rows[-1][0]


def test_the_largest_organisation_holds_about_a_tenth(generated: str) -> None:
    sizes = sorted(
        Case.objects.values("organisation").annotate(n=Count("id")).values_list("n", flat=True)
    )
    assert len(sizes) == 12
    assert 0.05 <= sizes[-1] / 2000 <= 0.20
    assert sizes[0] > 0
    shares = organisation_shares(250, 5_000_000)
    assert shares[0] == pytest.approx(0.10, abs=0.005)
    assert min(shares) * 5_000_000 >= 300


def test_cases_look_like_cases(generated: str) -> None:
    vocabulary = set(COMMON_WORDS) | set(RARE_WORDS)
    cases = list(Case.objects.select_related("reported_by"))
    for case in cases:
        words = case.title.lower().split()
        assert 3 <= len(words) <= 12
        assert set(words) <= vocabulary
        assert case.created_at <= case.updated_at
        assert case.assigned_to_id is None
        assert case.assignee_name == ""
        assert case.registered_by_id is None
        assert case.submission_key is None
        assert case.subject_area.category == case.category
        assert case.status_since == case.updated_at
        assert case.customer_activity_at in (case.created_at, case.updated_at)
        if case.reported_by is None:
            assert case.channel != Case.Channel.PORTAL
            assert case.reporter_name == ""
        else:
            assert case.reporter_name == str(case.reported_by)
            assert case.reported_by.memberships.filter(organisation=case.organisation_id).exists()
    channels = {case.channel for case in cases}
    # Cases from the organisations' own systems (the API, issue 17) are not made: the
    # bench's organisations register no systems, and such a case is an ordinary row
    # for the list (no reporter, as a phone case).
    assert channels == set(Case.Channel.values) - {Case.Channel.API}
    portal_share = sum(case.channel == Case.Channel.PORTAL for case in cases) / len(cases)
    assert 0.7 < portal_share < 0.9
    assert vocabulary_is_copy_safe()
    # The desk's queue counts, made once after the load with their trigger off.
    open_cases = Counter(
        (case.category, case.status) for case in cases if case.status != Case.Status.CLOSED
    )
    kept = {(row.category, row.status): row.cases for row in QueueCount.objects.all()}
    assert kept == dict(open_cases)


def test_every_organisation_has_a_viewer_who_sees_all_its_cases(generated: str) -> None:
    extended = [RoleType.EXTENDED_PAYROLL, RoleType.EXTENDED_ACCOUNTING]
    for organisation in Organisation.objects.filter(slug__startswith="bench-org-"):
        index = organisation.slug.removeprefix("bench-org-")
        viewer = User.objects.get(username=f"bench-viewer-{index}")
        held = RoleAssignment.objects.held_today().filter(
            person=viewer, organisation=organisation, role__code__in=extended
        )
        assert held.count() == 2
        assert (
            Case.objects.visible_to(viewer, organisation).count()
            == Case.objects.filter(organisation=organisation).count()
        )


def test_the_case_table_keeps_exactly_its_indexes_and_constraints(owner_db: None) -> None:
    before = case_table_schema()
    generate(*SMALL)
    assert case_table_schema() == before


def test_a_second_run_refuses_without_yes_and_adds_with_it(generated: str) -> None:
    with pytest.raises(CommandError, match="--yes"):
        generate(*SMALL)
    assert Case.objects.count() == 2000
    first_last = Case.objects.order_by("-id").values_list("id", flat=True)[0]
    generate(*SMALL[:1], "500", *SMALL[2:], "--messages-per-case", "1.5", "--yes")
    assert Case.objects.count() == 2500
    assert Organisation.objects.filter(slug__startswith="bench-org-").count() == 12
    assert User.objects.filter(username__startswith="bench-user-").count() == 300
    added = Case.objects.filter(id__gt=first_last)
    assert added.count() == 500
    assert all(c.number == case_number(c.pk, c.created_at) for c in added)
    assert 500 < Message.objects.count() < 1000
    assert RoleAssignment.objects.filter(evidence="generate_cases").count() == 24


def test_runs_as_the_owner_when_started_as_the_app(transactional_db: None) -> None:
    # Dropping indexes, TRUNCATE (across the append-only triggers) and VACUUM are
    # the owner's; the command switches to it and back.
    out = generate("--cases", "40", "--organisations", "2", "--users", "5")
    assert "truncate the empty case tables (for COPY FREEZE): True" in out
    assert "VACUUM (ANALYZE)" in out
    assert Case.objects.count() == 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == (connection.settings_dict["USER"],)
