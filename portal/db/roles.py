"""The two database roles: the owner changes the schema, the app only uses it.

The web and worker processes connect as the app role (DATABASE_URL), which
owns nothing: it cannot TRUNCATE, disable a trigger, change the schema or set
``session_replication_role``, so the append-only tables stay append-only
whatever the code does. The commands that change the schema switch the
``default`` connection to the owner (DATABASE_OWNER_URL, ``settings.DATABASE_OWNER``)
for their run with :func:`as_owner`, and after every ``migrate`` and
``createcachetable`` the owner grants the app role what it needs
(:func:`grant_to_app_role`), so new tables are covered at once.

Without DATABASE_OWNER_URL there is one connection for everything, as before:
:func:`as_owner` does nothing and nothing is granted; ``manage.py check
--deploy`` warns when that connection is a superuser or owns the tables
(``portal/checks.py``). The roles themselves are made by ``roles.sql``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# The function every append-only table's triggers call (portal migration 0005).
APPEND_ONLY_FUNCTION = "portal_refuse_change"


def owner_settings() -> Mapping[str, object] | None:
    """What the owner's connection changes in the ``default`` entry, or None (one role)."""
    owner: Mapping[str, object] | None = getattr(settings, "DATABASE_OWNER", None)
    return owner


def app_role(using: str = DEFAULT_DB_ALIAS) -> str:
    """The role the web and worker processes connect as."""
    return str(settings.DATABASES[using]["USER"])


def is_owner_connection(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the connection is the owner's now (always, with one role for everything)."""
    owner = owner_settings()
    if owner is None:
        return True
    current = connections[using].settings_dict
    return all(current.get(key) == value for key, value in owner.items())


@contextmanager
def connected_as(fields: Mapping[str, object], using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the block with this thread's connection made with ``fields`` changed.

    The connection is closed on the way in and out: a role cannot change in
    the middle of a transaction. Only this thread's connection changes (a
    copy of its settings); other threads, such as a test's live server, keep
    connecting as before.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        raise RuntimeError(
            "The database role cannot change inside a transaction: switch before it starts."
        )
    before = connection.settings_dict
    connection.close()
    connection.settings_dict = {**before, **fields}
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict = before


@contextmanager
def as_owner(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the block connected as the owner of the schema.

    Does nothing when the connection already is the owner's, or when there is
    one role for everything (no DATABASE_OWNER_URL).
    """
    owner = owner_settings()
    if owner is None or using != DEFAULT_DB_ALIAS or is_owner_connection(using):
        yield
        return
    with connected_as(owner, using):
        yield


_APPEND_ONLY_TABLES = """
SELECT DISTINCT c.relname
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
WHERE p.proname = %s AND c.relnamespace = current_schema()::regnamespace
ORDER BY c.relname
"""


def append_only_tables(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The tables guarded by the append-only trigger, as the database says (sorted)."""
    with connections[using].cursor() as cursor:
        cursor.execute(_APPEND_ONLY_TABLES, [APPEND_ONLY_FUNCTION])
        return [str(row[0]) for row in cursor.fetchall()]


def quote(identifier: str) -> str:
    """An SQL identifier, quoted as PostgreSQL reads it."""
    return '"' + identifier.replace('"', '""') + '"'


def grant_statements(cursor: Any, app: str) -> list[str]:
    """The statements that give ``app`` its rights in the current schema, and no more.

    Read and write on every table and use of every sequence; on the tables
    guarded by the append-only trigger, and on the record of migrations (only
    the owner migrates), only read and add. Everything else (TRUNCATE,
    REFERENCES, TRIGGER, MAINTAIN) is taken away. ``cursor`` is any DB-API
    cursor (the embedded server's setup has no Django connection).
    """
    cursor.execute("SELECT current_schema(), to_regclass('django_migrations') IS NOT NULL")
    schema_name, has_migration_record = cursor.fetchone()
    cursor.execute(_APPEND_ONLY_TABLES, [APPEND_ONLY_FUNCTION])
    read_and_add = [str(row[0]) for row in cursor.fetchall()]
    if has_migration_record:
        read_and_add.append("django_migrations")
    schema, role = quote(schema_name), quote(app)
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    ]
    if read_and_add:
        tables = ", ".join(quote(table) for table in read_and_add)
        statements.append(f"REVOKE UPDATE, DELETE ON {tables} FROM {role}")
    return statements


def grant_to_app_role(using: str = DEFAULT_DB_ALIAS) -> None:
    """As the owner: give the app role its rights (:func:`grant_statements`).

    Idempotent and in one transaction, so a running app never sees a table
    without its grants. Does nothing with one role for everything.
    """
    if owner_settings() is None:
        return
    if not is_owner_connection(using):
        raise RuntimeError("Only the owner's connection grants to the app role (as_owner).")
    connection = connections[using]
    with transaction.atomic(using), connection.cursor() as cursor:
        for statement in grant_statements(cursor, app_role(using)):
            cursor.execute(statement)


@contextmanager
def append_only_suspended(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Owner maintenance only: the append-only triggers are off for the block.

    For the test suite's flush and for ``generate_cases`` emptying empty
    tables, which TRUNCATE; the owner may switch a trigger off, the app role
    may not. Run it inside a transaction: then the switching is part of it,
    and a failure or an interruption cannot leave a trigger off. Afterwards
    every append-only trigger is on, whatever it was before.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("Switch the append-only triggers off only inside a transaction.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgrelid::regclass::text, quote_ident(t.tgname) FROM pg_trigger t "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE p.proname = %s AND c.relnamespace = current_schema()::regnamespace",
            [APPEND_ONLY_FUNCTION],
        )
        # Names from the catalogue, quoted by regclass and quote_ident.
        triggers = [(str(table), str(trigger)) for table, trigger in cursor.fetchall()]

    def switch(state: str) -> None:
        with connection.cursor() as cursor:
            for table, trigger in triggers:
                cursor.execute(f"ALTER TABLE {table} {state} TRIGGER {trigger}")

    switch("DISABLE")
    yield
    switch("ENABLE")


def app_role_problems(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What the connection could do that the app's must not; empty for a proper app role."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, current_user, current_schema(), "
            "(SELECT count(*) FROM pg_class c "
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
            " AND pg_has_role(c.relowner, 'MEMBER')), "
            "has_schema_privilege(current_schema(), 'CREATE') "
            "FROM pg_roles WHERE rolname = current_user"
        )
        row: Any = cursor.fetchone()
    superuser, user, schema, owned, may_create = row
    said = f"The database connection (role {user})"
    if superuser:
        return [
            f"{said} is a superuser: it can TRUNCATE the append-only tables, switch their "
            "triggers off and set session_replication_role."
        ]
    problems = []
    if owned:
        problems.append(
            f"{said} owns (or may act as the owner of) {owned} tables: it can TRUNCATE "
            "them and switch their triggers off."
        )
    if may_create:
        problems.append(
            f"{said} may create objects in schema {schema} (on PostgreSQL 14 and older: "
            f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC)."
        )
    return problems
