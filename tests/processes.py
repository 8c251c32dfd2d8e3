"""Processes a test starts on its own database: workers of the queue, app servers.

They connect to the test's database (embedded or not) by URL, as the app role
the test runs as, and are killed when the test ends, whatever it ended with.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

REPO = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The test's database as a DATABASE_URL, for a process the test starts."""
    params = connection.get_connection_params()
    user = quote(str(params.get("user", "")), safe="")
    password = params.get("password")
    login = f"{user}:{quote(str(password), safe='')}" if password else user
    host = str(params.get("host") or "")
    port = params.get("port") or ""
    database = quote(str(params["dbname"]), safe="")
    if host.startswith("/"):  # a socket directory: given as a parameter
        return f"postgresql://{login}@:{port}/{database}?host={quote(host, safe='')}"
    return f"postgresql://{login}@{host}:{port}/{database}"


@contextmanager
def second_connection() -> Iterator[Any]:
    """A connection of the test's own beside Django's, to the same database, in a
    transaction: what it writes or locks holds until the block ends (rolled back)."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    other.ensure_connection()
    raw = other.connection
    raw.autocommit = False
    try:
        yield raw
    finally:
        raw.rollback()
        other.close()


def waiting_on_a_lock(query_like: str = "%") -> int | None:
    """The backend of another connection to this database that waits for a lock now,
    running a statement like ``query_like``; None when none does."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND query LIKE %s",
            [query_like],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    condition: Callable[[], Any],
    *,
    timeout: float = 60,
    interval: float = 0.1,
    what: str | Callable[[], str] = "",
) -> Any:
    """Poll ``condition`` until it gives something true; fail after ``timeout`` seconds,
    saying ``what`` was awaited (a callable is asked then: the processes' output)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    said = what() if callable(what) else what
    pytest.fail(f"Not within {timeout} s: {said or condition}")


@dataclass
class Processes:
    """The processes one test started, and the environment they share."""

    env: dict[str, str]
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    folder: Path = REPO

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
        log = self.folder / f"{name}-{len(self.started)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - this Python, our own arguments
                [sys.executable, *args],
                cwd=REPO,
                env={**self.env, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        self.logs.append(log)
        return process

    def worker(self, **env: str) -> subprocess.Popen[bytes]:
        """A worker of the queue, as production runs it (docs/deployment.md)."""
        return self.start(
            "worker", "manage.py", "procrastinate", "worker", "--concurrency", "2", **env
        )

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """As the machine's out-of-memory killer or a pulled plug would: no clean-up."""
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')}" for log in self.logs)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def processes(transactional_db: None, tmp_path: Path, settings: Any) -> Iterator[Processes]:
    """Start processes on the test's database; they share its files (MEDIA_ROOT)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "FILE_STORAGE", "S3_"))
    }
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="portal.settings",
        SECRET_KEY=settings.SECRET_KEY,  # sessions the test makes hold there
        PLAIN_STATIC_STORAGE="1",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DEBUG="",
        PYTHONUNBUFFERED="1",
        # A dead worker is noticed within seconds rather than a minute.
        QUEUE_HEARTBEAT_SECONDS="1",
        QUEUE_STALLED_SECONDS="3",
    )
    started = Processes(env=env, folder=tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
