"""Reads from a replica: the case list's and the inline export's cases, nothing else.

The ``replica`` alias is a second connection to the test database, read-only
as a hot standby is (tests/database.py). The tests are transactional: a
separate connection sees only what is committed, as a replica does. Each
story counts the queries on both connections.
"""

from __future__ import annotations

import io
import runpy
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from cases.models import Case, ListPreference
from portal import settings as settings_module
from portal.db.routing import REPLICA, ReplicaRouter, replica_reads
from portal.models import Membership, RoleAssignment, RoleType
from portal.organisations import ACTIVE_ORG_SESSION_KEY
from tests.cases_helpers import bytes_of, make_case, subject_area
from tests.conftest import Cast, client_for, grant

pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])

ROUTER = "portal.db.routing.ReplicaRouter"


@pytest.fixture
def with_replica(settings: Any) -> None:
    """The router, as DATABASE_REPLICA_URL installs it."""
    settings.DATABASE_ROUTERS = [ROUTER]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@contextmanager
def queries() -> Iterator[dict[str, CaptureQueriesContext]]:
    """The SQL sent on each connection within the block."""
    captured = {alias: CaptureQueriesContext(connections[alias]) for alias in connections}
    with ExitStack() as stack:
        for context in captured.values():
            stack.enter_context(context)
        yield captured


def reads_of(model: type[Model], context: CaptureQueriesContext) -> list[str]:
    table = f'"{model._meta.db_table}"'
    return [query["sql"] for query in context.captured_queries if table in query["sql"]]


def numbers(response: Any) -> list[str]:
    return sorted(row["number"] for row in response.context["page"].rows)


def sheet_numbers(response: Any) -> list[str]:
    workbook = load_workbook(io.BytesIO(bytes_of(response)))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))[1:]
    return sorted(str(row[0]) for row in rows)


@pytest.fixture
def kari_sees_all(cast: Cast) -> Client:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_ACCOUNTING)
    return client_for(cast.kari)


# --- the case list -------------------------------------------------------------------------


def test_the_lists_cases_come_from_the_replica_and_the_gate_from_the_primary(
    cast: Cast, with_replica: None, kari_sees_all: Client
) -> None:
    cases = [make_case(cast.fjordetaten, cast.per, title=f"Sak {i}") for i in range(3)]
    with queries() as sent:
        response = kari_sees_all.get("/saker/")
    assert numbers(response) == sorted(case.number for case in cases)
    replica, primary = sent[REPLICA], sent[DEFAULT_DB_ALIAS]
    # The count, the page's ids and its rows.
    assert len(reads_of(Case, replica)) >= 2
    assert len(reads_of(Case, replica)) == len(replica.captured_queries)
    assert reads_of(Case, primary) == []
    # Who passes the gate, where she holds utvidet tilgang, which columns she chose: now.
    assert reads_of(Membership, primary)
    assert reads_of(RoleAssignment, primary)
    assert reads_of(ListPreference, primary)


def test_plain_member_sees_only_own_cases_through_the_replica(
    cast: Cast, with_replica: None
) -> None:
    own = make_case(cast.fjordetaten, cast.per, title="Min sak")
    make_case(cast.fjordetaten, cast.ola, title="Olas sak")
    per = client_for(cast.per)
    with queries() as sent:
        response = per.get("/saker/")
    assert numbers(response) == [own.number]
    assert reads_of(Case, sent[REPLICA])
    assert reads_of(Case, sent[DEFAULT_DB_ALIAS]) == []


def test_outsider_sees_none_of_the_organisations_cases_even_with_a_forged_session(
    cast: Cast, with_replica: None
) -> None:
    secret = make_case(cast.fjordetaten, cast.per, title="Hemmelig")
    nina = client_for(cast.nina)
    session = nina.session
    session[ACTIVE_ORG_SESSION_KEY] = cast.fjordetaten.pk
    session.save()
    with queries() as sent:
        response = nina.get("/saker/")
    assert response.status_code == 200
    assert response.context["request"].organisation == cast.kystdir
    assert response.context["page"].rows == []
    assert secret.number not in response.content.decode()
    # The gate turned the forged Fjordetaten down on the primary; the replica listed Kystdir's.
    assert reads_of(Membership, sent[DEFAULT_DB_ALIAS])
    assert reads_of(Case, sent[REPLICA])


def test_a_person_without_an_organisation_is_refused_before_the_replica_is_asked(
    cast: Cast, with_replica: None
) -> None:
    make_case(cast.fjordetaten, cast.per, title="Hemmelig")
    siv = client_for(cast.siv)  # staff, no membership
    with queries() as sent:
        response = siv.get("/saker/")
    assert response.status_code == 403
    assert sent[REPLICA].captured_queries == []


# --- writes, and reading one's own writes --------------------------------------------------


def _filing(**overrides: object) -> dict[str, object]:
    return {
        "category": "lonn",
        "subject_area": subject_area("lonn").pk,
        "title": "Feil skattetrekk i novemberlønna",
        "description": "Tre ansatte fikk feil skattetrekk.",
        "submission_key": str(uuid.uuid4()),
        **overrides,
    }


def test_a_filed_case_is_written_to_and_shown_from_the_primary(
    cast: Cast, with_replica: None
) -> None:
    per = client_for(cast.per)
    with queries() as sent:
        filed = per.post("/saker/ny/", _filing(), follow=True)
    case = Case.objects.get()
    assert filed.redirect_chain == [(f"/saker/{case.number}/", 302)]
    assert case.title in filed.content.decode()
    assert sent[REPLICA].captured_queries == []
    assert any(sql.startswith("INSERT") for sql in reads_of(Case, sent[DEFAULT_DB_ALIAS]))
    # Then the list, through the replica, once the replica has it.
    with queries() as sent:
        listed = per.get("/saker/")
    assert numbers(listed) == [case.number]
    assert reads_of(Case, sent[REPLICA])


@contextmanager
def replica_lagging() -> Iterator[None]:
    """The replica shows the database as it is now until the block ends: a lag.

    A snapshot held open on the replica's connection (REPEATABLE READ) sees
    nothing committed after it began, as a replica that has not yet replayed it.
    """
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    Case.objects.using(REPLICA).exists()  # the snapshot is taken here
    try:
        yield
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("ROLLBACK")


def test_while_the_replica_lags_the_filed_case_is_on_its_page_and_later_in_the_list(
    cast: Cast, with_replica: None
) -> None:
    per = client_for(cast.per)
    with replica_lagging():
        filed = per.post("/saker/ny/", _filing(title="Nettopp meldt"), follow=True)
        assert "Nettopp meldt" in filed.content.decode()  # the case page reads the primary
        assert numbers(per.get("/saker/")) == []  # the list: a moment behind, as documented
    assert numbers(per.get("/saker/")) == [Case.objects.get().number]


def test_the_chosen_columns_show_at_once_while_the_replica_lags(
    cast: Cast, with_replica: None
) -> None:
    make_case(cast.fjordetaten, cast.per, title="Kolonner")
    per = client_for(cast.per)
    with replica_lagging():
        per.post("/saker/kolonner/", {"kolonner": ["nummer", "tittel", "kanal"]})
        chosen = per.get("/saker/").context["chosen"]
    assert chosen == {"nummer", "tittel", "kanal"}


def test_writes_inside_the_scope_go_to_the_primary(cast: Cast, with_replica: None) -> None:
    case = make_case(cast.fjordetaten, cast.per, title="Før")
    with queries() as sent, replica_reads(Case):
        read = Case.objects.get(pk=case.pk)
        assert read._state.db == REPLICA
        read.title = "Etter"
        read.save(update_fields=["title"])
        Case.objects.filter(pk=case.pk).update(description="Endret")
        with transaction.atomic():
            Case.objects.select_for_update().get(pk=case.pk)
    # Each would have failed on the replica, which refuses writes.
    assert [sql.split()[0] for sql in reads_of(Case, sent[REPLICA])] == ["SELECT"]
    assert [sql.split()[0] for sql in reads_of(Case, sent[DEFAULT_DB_ALIAS])] == [
        "UPDATE",
        "UPDATE",
        "SELECT",
    ]
    case.refresh_from_db()
    assert (case.title, case.description) == ("Etter", "Endret")


def test_outside_the_scope_and_for_other_models_reads_go_to_the_primary(
    cast: Cast, with_replica: None
) -> None:
    router = ReplicaRouter()
    assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
    with replica_reads(Case):
        assert router.db_for_read(Case) == REPLICA
        assert router.db_for_read(Membership) == DEFAULT_DB_ALIAS
        assert router.db_for_write(Case) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "cases") is True
    assert router.allow_migrate(REPLICA, "cases") is False
    with queries() as sent:
        assert Case.objects.count() == 0
        with replica_reads(Case):
            assert Membership.objects.filter(user=cast.per).exists()
    assert sent[REPLICA].captured_queries == []


def test_a_case_read_from_the_replica_may_point_at_a_user_read_from_the_primary(
    cast: Cast, with_replica: None
) -> None:
    make_case(cast.fjordetaten, cast.per, title="Relasjon")
    with replica_reads(Case):
        case = Case.objects.get()
    case.reported_by = cast.ola  # the primary's row
    assert case.reported_by == cast.ola


# --- the inline export ---------------------------------------------------------------------


def test_the_inline_export_reads_its_rows_from_the_replica(
    cast: Cast, with_replica: None, kari_sees_all: Client
) -> None:
    cases = [make_case(cast.fjordetaten, cast.per, title=f"Eksport {i}") for i in range(3)]
    with queries() as sent:
        response = kari_sees_all.get("/saker/eksport.xlsx")
    assert sheet_numbers(response) == sorted(case.number for case in cases)
    assert reads_of(Case, sent[REPLICA])
    assert reads_of(RoleAssignment, sent[DEFAULT_DB_ALIAS])


def test_the_plain_members_and_the_outsiders_exports_through_the_replica(
    cast: Cast, with_replica: None
) -> None:
    own = make_case(cast.fjordetaten, cast.per, title="Min")
    make_case(cast.fjordetaten, cast.ola, title="Olas")
    per, nina = client_for(cast.per), client_for(cast.nina)
    with queries() as sent:
        assert sheet_numbers(per.get("/saker/eksport.xlsx")) == [own.number]
        assert sheet_numbers(nina.get("/saker/eksport.xlsx")) == []
    assert reads_of(Case, sent[REPLICA])
    # Only the count that chooses between now and the background stays on the primary.
    assert [sql.split()[:2] for sql in reads_of(Case, sent[DEFAULT_DB_ALIAS])] == [
        ["SELECT", "COUNT(*)"],
        ["SELECT", "COUNT(*)"],
    ]


def test_the_background_export_reads_its_rows_from_the_replica_planned_for_every_row(
    cast: Cast, with_replica: None, kari_sees_all: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cases import exporting
    from cases.models import ExportJob

    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    cases = [make_case(cast.fjordetaten, cast.per, title=f"Stor {i}") for i in range(3)]
    kari_sees_all.get("/saker/eksport.xlsx")
    job = ExportJob.objects.get()
    with queries() as sent:
        exporting.make_export(str(job.pk))  # what the worker runs
    # Read before the next request, which empties the connections' query logs.
    replica = [query["sql"] for query in sent[REPLICA].captured_queries]
    assert "SET LOCAL cursor_tuple_fraction = 1.0" in replica
    assert reads_of(Case, sent[REPLICA])
    assert reads_of(RoleAssignment, sent[DEFAULT_DB_ALIAS])  # the gate, on the primary
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE
    assert sheet_numbers(kari_sees_all.get(f"/saker/eksport/{job.pk}/fil/")) == sorted(
        case.number for case in cases
    )


# --- without a replica -----------------------------------------------------------------------


def test_without_a_replica_every_query_goes_to_the_primary(
    cast: Cast, kari_sees_all: Client
) -> None:
    case = make_case(cast.fjordetaten, cast.per, title="Bare primær")
    with queries() as sent:
        assert numbers(kari_sees_all.get("/saker/")) == [case.number]
        assert sheet_numbers(kari_sees_all.get("/saker/eksport.xlsx")) == [case.number]
    assert sent[REPLICA].captured_queries == []
    assert reads_of(Case, sent[DEFAULT_DB_ALIAS])


# --- the settings ----------------------------------------------------------------------------


def _settings(monkeypatch: pytest.MonkeyPatch, **environment: str) -> dict[str, Any]:
    # Whatever the run itself was given (CI's second run sets DATABASE_OWNER_URL).
    for name in (
        "DATABASE_REPLICA_URL",
        "DATABASE_REPLICA_URL_FILE",
        "DATABASE_OWNER_URL",
        "DATABASE_OWNER_URL_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(settings_module.__file__ or "")))


@pytest.mark.django_db(databases=[])
def test_settings_without_a_replica_url_have_no_replica_and_no_router(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.internal/kundesenter")
    read = _settings(monkeypatch)
    assert list(read["DATABASES"]) == ["default"]
    assert "DATABASE_ROUTERS" not in read


@pytest.mark.django_db(databases=[])
def test_settings_with_a_replica_url_add_the_alias_and_the_router(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.internal/kundesenter")
    monkeypatch.setenv("DB_CONN_MAX_AGE", "30")
    url = tmp_path / "replica-url"
    url.write_text("postgresql://app:hemmelig@replica.internal:6432/kundesenter\n")
    read = _settings(monkeypatch, DATABASE_REPLICA_URL_FILE=str(url))
    replica = read["DATABASES"]["replica"]
    assert (replica["HOST"], replica["PORT"], replica["PASSWORD"]) == (
        "replica.internal",
        "6432",
        "hemmelig",
    )
    assert replica["TEST"] == {"MIRROR": "default"}
    assert replica["CONN_MAX_AGE"] == read["DATABASES"]["default"]["CONN_MAX_AGE"] == 30
    assert replica["CONN_HEALTH_CHECKS"] is True
    assert read["DATABASE_ROUTERS"] == [ROUTER]


@pytest.mark.django_db(databases=[])
def test_settings_refuse_a_replica_without_a_primary_or_not_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL_FILE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL is not"):
        _settings(monkeypatch, DATABASE_REPLICA_URL="postgresql://app@replica/kundesenter")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.internal/kundesenter")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_REPLICA_URL must start"):
        _settings(monkeypatch, DATABASE_REPLICA_URL="mysql://app@replica/kundesenter")
