"""Least privilege at the database: the app role cannot get round the append-only tables.

The suite runs as production does (tests/database.py): the owner creates and
migrates the test database, the tests connect as the app role. So here the
test's own connection is the app's.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_migrate

from cases.services import do_add_message
from portal.checks import check_app_database_role
from portal.db import embedded
from portal.db.roles import (
    append_only_suspended,
    append_only_tables,
    as_owner,
    connected_as,
    grant_to_app_role,
    is_owner_connection,
)
from portal.env import database_owner_from_url
from portal.models import RoleType
from tests.cases_helpers import make_case
from tests.conftest import Cast, grant

# Every history-like table. Appointments, orders and decisions follow when they
# are restructured as histories.
APPEND_ONLY = [
    "access_accessgrant",
    "access_appointment",
    "access_appointmentdecision",
    "access_fullmaktstep",
    "access_fullmaktsubmission",
    "access_order",
    "access_orderline",
    "access_orderlinedecision",
    "cases_casechange",
    "cases_message",
    "cases_statuschange",
    "portal_auditevent",
    "portal_roleassignment",
]
# The ones a test can fill easily through the services; the trigger needs a row.
WITH_ROWS = ["cases_message", "cases_statuschange", "portal_auditevent", "portal_roleassignment"]


def run(sql: str) -> Any:
    """One statement in a savepoint, so a refusal leaves the test's transaction usable."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else None


def value(sql: str) -> Any:
    return run(sql)[0][0]


def superuser() -> str:
    # The bootstrap superuser; the embedded server and CI's server trust it locally.
    return str(value("SELECT rolname FROM pg_roles WHERE oid = 10"))


def test_the_suite_runs_as_the_app_role_with_an_owner_beside_it(db: None) -> None:
    assert settings.DATABASE_OWNER is not None
    assert value("SELECT current_user") == settings.DATABASES["default"]["USER"]
    assert value("SELECT current_user") != settings.DATABASE_OWNER["USER"]
    assert not is_owner_connection()


def test_the_app_role_is_no_superuser_and_owns_nothing(db: None) -> None:
    assert value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False
    assert (
        value(
            "SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole "
            "AND relnamespace = current_schema()::regnamespace"
        )
        == 0
    )
    assert value("SELECT count(*) FROM pg_proc WHERE proowner = current_user::regrole") == 0
    assert (
        value("SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace")
        > 0
    )


@pytest.mark.parametrize("table", ["cases_case", "portal_user", "portal_cache", *APPEND_ONLY])
def test_the_app_role_cannot_truncate(db: None, table: str) -> None:
    with pytest.raises(DatabaseError, match=f"permission denied for table {table}"):
        run(f"TRUNCATE {table}")


def test_the_app_role_cannot_switch_a_trigger_off(db: None) -> None:
    with pytest.raises(DatabaseError, match="must be owner of table cases_message"):
        run("ALTER TABLE cases_message DISABLE TRIGGER cases_message_append_only")
    with pytest.raises(DatabaseError, match="must be owner of table portal_auditevent"):
        run("ALTER TABLE portal_auditevent DISABLE TRIGGER USER")


def test_the_app_role_cannot_switch_triggers_off_with_session_replication_role(
    db: None,
) -> None:
    with pytest.raises(DatabaseError, match="permission denied to set parameter"):
        run("SET session_replication_role = replica")
    with pytest.raises(DatabaseError, match="permission denied to set parameter"):
        run("SET LOCAL session_replication_role = replica")


def test_the_app_role_cannot_create_objects(db: None) -> None:
    with pytest.raises(DatabaseError, match="permission denied for schema"):
        run("CREATE TABLE sneaky (id int)")
    with pytest.raises(DatabaseError, match="permission denied for schema"):
        run("CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'")


def test_every_history_table_is_append_only_with_the_one_trigger(db: None) -> None:
    assert append_only_tables() == APPEND_ONLY
    # tgtype bits: 1 row, 2 before, 8 delete, 16 update, 32 truncate.
    triggers = run(
        "SELECT c.relname, t.tgtype::int & 1 = 1, t.tgtype::int & 2 = 2, "
        "t.tgtype::int & 24 = 24, t.tgtype::int & 32 = 32, t.tgenabled "
        "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'portal_refuse_change'"
    )
    for table in APPEND_ONLY:
        mine = [row[1:] for row in triggers if row[0] == table]
        assert (True, True, True, False, "O") in mine, f"{table}: no UPDATE/DELETE row trigger"
        assert (False, True, False, True, "O") in mine, f"{table}: no TRUNCATE trigger"


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_app_role_may_only_read_and_add_to_a_history(db: None, table: str) -> None:
    granted = run(
        f"SELECT has_table_privilege('{table}', 'SELECT'), "
        f"has_table_privilege('{table}', 'INSERT'), "
        f"has_table_privilege('{table}', 'UPDATE'), has_table_privilege('{table}', 'DELETE')"
    )[0]
    assert granted == (True, True, False, False)
    with pytest.raises(DatabaseError, match=f"permission denied for table {table}"):
        run(f"UPDATE {table} SET id = id")  # noqa: S608 - names from APPEND_ONLY
    with pytest.raises(DatabaseError, match=f"permission denied for table {table}"):
        run(f"DELETE FROM {table}")  # noqa: S608 - names from APPEND_ONLY


def test_the_app_role_reads_and_writes_the_other_tables_but_not_the_migration_record(
    db: None,
) -> None:
    for table in ("cases_case", "cases_follower", "portal_user", "portal_cache"):
        assert run(
            f"SELECT has_table_privilege('{table}', 'SELECT, INSERT'), "
            f"has_table_privilege('{table}', 'UPDATE'), has_table_privilege('{table}', 'DELETE'), "
            f"has_table_privilege('{table}', 'TRUNCATE'), has_table_privilege('{table}', 'TRIGGER')"
        )[0] == (True, True, True, False, False)
    assert run(
        "SELECT has_table_privilege('django_migrations', 'SELECT'), "
        "has_table_privilege('django_migrations', 'INSERT'), "
        "has_table_privilege('django_migrations', 'UPDATE, DELETE')"
    )[0] == (True, True, False)
    assert value(
        "SELECT has_sequence_privilege(pg_get_serial_sequence('cases_case', 'id'), 'USAGE')"
    )
    assert not value(
        "SELECT has_sequence_privilege(pg_get_serial_sequence('cases_case', 'id'), 'UPDATE')"
    )


def test_the_owner_is_refused_by_the_trigger_too(transactional_db: None, cast: Cast) -> None:
    # Committed rows (a transactional test), then the owner, who has every privilege.
    case = make_case(cast.fjordetaten, cast.per)
    do_add_message(actor=cast.per, case=case, body="Hei")
    grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    with as_owner():
        assert is_owner_connection()
        for table in APPEND_ONLY:
            if table in WITH_ROWS:
                assert value(f"SELECT count(*) FROM {table}") > 0  # noqa: S608 - names from APPEND_ONLY
                with pytest.raises(DatabaseError, match=f"{table} is append-only: UPDATE"):
                    run(f"UPDATE {table} SET id = id")  # noqa: S608 - names from APPEND_ONLY
                with pytest.raises(DatabaseError, match=f"{table} is append-only: DELETE"):
                    run(f"DELETE FROM {table}")  # noqa: S608 - names from APPEND_ONLY
            with pytest.raises(DatabaseError, match=f"{table} is append-only: TRUNCATE"):
                run(f"TRUNCATE {table} CASCADE")
    assert value("SELECT current_user") == settings.DATABASES["default"]["USER"]


def test_the_owner_switches_the_triggers_off_for_one_transaction_only(
    transactional_db: None, cast: Cast
) -> None:
    make_case(cast.fjordetaten, cast.per)
    with as_owner():
        with pytest.raises(RuntimeError, match="inside a transaction"), append_only_suspended():
            pass
        with transaction.atomic():
            with append_only_suspended():
                run("DELETE FROM cases_statuschange")
            assert value("SELECT count(*) FROM cases_statuschange") == 0
            transaction.set_rollback(True)
        assert value("SELECT count(*) FROM cases_statuschange") == 1
        with pytest.raises(DatabaseError, match="append-only"):
            run("DELETE FROM cases_statuschange")


def test_migrate_runs_as_the_owner_and_grants_what_it_made(transactional_db: None) -> None:
    seen: list[str] = []

    def who_migrates(**kwargs: Any) -> None:
        seen.append(value("SELECT current_user"))

    with as_owner():
        run("CREATE TABLE probe_new (id int)")
    try:
        assert not value("SELECT has_table_privilege('probe_new', 'INSERT')")
        post_migrate.connect(who_migrates, dispatch_uid="test.who_migrates")
        try:
            call_command("migrate", verbosity=0)
        finally:
            post_migrate.disconnect(dispatch_uid="test.who_migrates")
        assert set(seen) == {settings.DATABASE_OWNER["USER"]}  # type: ignore[index]
        assert value("SELECT current_user") == settings.DATABASES["default"]["USER"]
        run("INSERT INTO probe_new VALUES (1)")
        with pytest.raises(DatabaseError, match="permission denied"):
            run("TRUNCATE probe_new")
    finally:
        with as_owner():
            run("DROP TABLE probe_new")


def test_granting_is_the_owners_alone(db: None) -> None:
    with pytest.raises(RuntimeError, match="owner"):
        grant_to_app_role()


def test_the_role_cannot_change_inside_a_transaction(db: None) -> None:
    with pytest.raises(RuntimeError, match="inside a transaction"), as_owner():
        pass


def test_with_one_url_there_is_no_switching_and_no_granting(db: None, settings: Any) -> None:
    settings.DATABASE_OWNER = None
    before = connection.settings_dict
    with as_owner():
        assert connection.settings_dict is before
    assert is_owner_connection()
    grant_to_app_role()  # nothing to do, and no error although the connection is the app's


def test_the_owner_url_must_name_the_same_database_and_another_user() -> None:
    app = {"NAME": "kundesenter", "USER": "kundesenter_app"}
    owner = database_owner_from_url(
        "postgresql://kundesenter_owner:hemmelig@db:5432/kundesenter", app
    )
    assert owner == {
        "USER": "kundesenter_owner",
        "PASSWORD": "hemmelig",
        "HOST": "db",
        "PORT": "5432",
        "OPTIONS": {},
    }
    with pytest.raises(Exception, match="must name the database"):
        database_owner_from_url("postgresql://kundesenter_owner@db/annen", app)
    with pytest.raises(Exception, match="not the same one"):
        database_owner_from_url("postgresql://kundesenter_app@db/kundesenter", app)


# --- The deploy check ---------------------------------------------------------------------


def test_the_deploy_check_is_quiet_for_the_app_role(db: None) -> None:
    assert check_app_database_role() == []


def test_the_deploy_check_warns_when_the_app_connects_as_the_owner(
    transactional_db: None,
) -> None:
    with as_owner():
        warnings = check_app_database_role()
    assert [warning.id for warning in warnings] == ["portal.W011", "portal.W011"]
    assert "owns (or may act as the owner of)" in warnings[0].msg
    assert "may create objects in schema public" in warnings[1].msg


def test_the_deploy_check_warns_on_a_superuser_url(transactional_db: None) -> None:
    name = superuser()
    out = StringIO()
    with connected_as({"USER": name, "PASSWORD": ""}):
        # Only the database checks: the browser tests' session allows async-unsafe
        # calls, which another deploy check reports as an error.
        call_command("check", "--deploy", "--tag", "database", stderr=out, stdout=StringIO())
    assert f"portal.W011) The database connection (role {name}) is a superuser" in out.getvalue()


# --- The embedded server's set-up ---------------------------------------------------------


@pytest.fixture
def scratch_database(db: None) -> Any:
    """A database made and filled by the superuser, as var/pgdata was before the two roles."""
    connection.ensure_connection()
    endpoint = embedded.Endpoint(
        host=str(connection.settings_dict["HOST"] or "localhost"),
        port=int(connection.settings_dict["PORT"] or 5432),
        user=superuser(),
    )
    name = "kundesenter_handover_test"
    with psycopg.connect(
        host=endpoint.host,
        port=endpoint.port,
        user=endpoint.user,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
        try:
            with psycopg.connect(
                host=endpoint.host, port=endpoint.port, user=endpoint.user, dbname=name
            ) as old:
                old.execute(
                    "CREATE EXTENSION pg_trgm; "
                    "CREATE TABLE django_migrations "
                    "(id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY); "
                    "CREATE TABLE notes (id serial PRIMARY KEY, body text); "
                    "CREATE INDEX notes_body ON notes (body); "
                    "CREATE SEQUENCE loose; "
                    "CREATE VIEW note_bodies AS SELECT body FROM notes; "
                    "CREATE FUNCTION portal_refuse_change() RETURNS trigger LANGUAGE plpgsql "
                    "AS $$ BEGIN RAISE EXCEPTION 'no'; END $$; "
                    "CREATE TABLE history (id int); "
                    "CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history "
                    "FOR EACH ROW EXECUTE FUNCTION portal_refuse_change();"
                )
            yield endpoint, name
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_an_old_database_is_handed_over_to_the_owner(scratch_database: Any) -> None:
    endpoint, name = scratch_database
    owner = str(settings.DATABASE_OWNER["USER"])  # type: ignore[index]
    app = str(settings.DATABASES["default"]["USER"])
    embedded._hand_over(endpoint, name, owner, app)
    with psycopg.connect(
        host=endpoint.host, port=endpoint.port, user=endpoint.user, dbname=name
    ) as conn:
        owners: dict[str, str] = dict(
            conn.execute(
                "SELECT relname, pg_get_userbyid(relowner) FROM pg_class "
                "WHERE relnamespace = 'public'::regnamespace"
            ).fetchall()
        )
        assert set(owners.values()) == {owner}, owners  # sequences and indexes followed
        assert {"notes", "notes_id_seq", "notes_body", "loose", "note_bodies"} <= owners.keys()
        assert conn.execute(
            "SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'portal_refuse_change'"
        ).fetchone() == (owner,)
        # What the extension brought stays the extension's.
        assert conn.execute(
            "SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'similarity'"
        ).fetchone() == (endpoint.user,)
        assert conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        ).fetchone() == (owner,)
        rights = conn.execute(
            "SELECT has_table_privilege(%(app)s, 'notes', 'UPDATE'), "
            "has_table_privilege(%(app)s, 'history', 'INSERT'), "
            "has_table_privilege(%(app)s, 'history', 'UPDATE'), "
            "has_table_privilege(%(app)s, 'django_migrations', 'DELETE')",
            {"app": app},
        ).fetchone()
        assert rights == (True, True, False, False)


def test_the_roles_file_can_run_again_and_again(db: None) -> None:
    connection.ensure_connection()
    with psycopg.connect(
        host=str(connection.settings_dict["HOST"] or "localhost"),
        port=int(connection.settings_dict["PORT"] or 5432),
        user=superuser(),
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(embedded.ROLES_SQL.read_text(encoding="utf-8"))
        admin.execute(embedded.ROLES_SQL.read_text(encoding="utf-8"))
        roles = admin.execute(
            "SELECT rolname, rolsuper, rolcanlogin, rolcreaterole, rolbypassrls FROM pg_roles "
            "WHERE rolname IN ('kundesenter_owner', 'kundesenter_app') ORDER BY rolname"
        ).fetchall()
    assert roles == [
        ("kundesenter_app", False, True, False, False),
        ("kundesenter_owner", False, True, False, False),
    ]
