"""The embedded PostgreSQL is let go of however its processes end (issue 16, point 5).

Real processes against a data directory of the module's own (initialised once
per test process and reused): processes that connect through the portal's
backend ("holders"), ``manage.py runserver`` with its reloader, and real
signals. The embedded server is shared by every process of a checkout; the
last to leave stops it. Before the fix, a process ended by SIGTERM, SIGHUP or
SIGKILL stayed on the wheel's list (``.handle_pids.json``) for ever, so the
server was never stopped again; SIGTERM to runserver's parent killed its child
outright and left PostgreSQL running; and a ``postmaster.pid`` naming a process
id another program had taken made the next start fail.

No people are involved here, so the outsider and the plain member have no
part in this module.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from portal.db.embedded import _wheel_lock
from tests.processes import REPO, free_port, wait_for

# Connects through the portal's backend (which starts or joins the server),
# then answers "query" with the result of SELECT 1, until stdin closes.
HOLDER = """
import django, sys
django.setup()
from django.db import connection
connection.ensure_connection()
print("ready", flush=True)
for line in sys.stdin:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        print("ok" if cursor.fetchone() == (1,) else "wrong", flush=True)
"""


@dataclass
class Var:
    """A VAR_DIR with its embedded server, and the processes a test started on it."""

    path: Path
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def pgdata(self) -> Path:
        return self.path / "pgdata"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
        env.update(
            VAR_DIR=str(self.path),
            DJANGO_SETTINGS_MODULE="portal.settings",
            SECRET_KEY="tests-only-not-secret",
            EMBEDDED_DB_NAME="kundesenter",
            DEBUG="",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def start(self, *args: str, own_group: bool = False, **env: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(  # noqa: S603 - this Python, our own arguments
            [sys.executable, *args],
            cwd=REPO,
            env=self.env(**env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=own_group,  # as in a terminal of its own
        )
        self.processes.append(process)
        return process

    def holder(self) -> subprocess.Popen[str]:
        """A process using the server, once it has connected."""
        process = self.start("-c", HOLDER)
        assert read_line(process) == "ready"
        return process

    def handles(self) -> list[int]:
        """The wheel's list of the processes using the server.

        Read under the wheel's lock, as the processes read it: they rewrite it
        in place, and a read in the middle sees an empty file.
        """
        path = self.pgdata / ".handle_pids.json"
        with _wheel_lock():
            return json.loads(path.read_text()) if path.exists() else []

    def servers(self) -> list[int]:
        """PostgreSQL servers running on this data directory, by their process id.

        A backend the server has just forked carries the server's command line
        until it names itself, so processes whose parent is one of them are not
        servers.
        """
        found: dict[int, int] = {}
        for process in psutil.process_iter(["name", "cmdline", "status", "ppid"]):
            if (
                process.info["name"] == "postgres"
                and str(self.pgdata) in (process.info["cmdline"] or [])
                and process.info["status"] != psutil.STATUS_ZOMBIE
            ):
                found[process.pid] = process.info["ppid"]
        return [pid for pid, parent in found.items() if parent not in found]

    def manage(self, *args: str) -> str:
        return subprocess.run(  # noqa: S603 - this Python, our own arguments
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout


def read_line(process: subprocess.Popen[str], timeout: float = 60) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"process {process.pid} ended ({process.wait()}) without answering")
        if line.strip() in ("ready", "ok", "wrong"):  # anything else is log output
            return line.strip()
    pytest.fail(f"no answer from process {process.pid} in {timeout} s")


def ask(process: subprocess.Popen[str]) -> str:
    """Whether the process can still use its connection."""
    assert process.stdin is not None
    process.stdin.write("query\n")
    process.stdin.flush()
    return read_line(process)


def end(process: subprocess.Popen[str], signum: int) -> int:
    process.send_signal(signum)
    return process.wait(60)


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Per test process (xdist worker): the first test initialises the data directory.
    return tmp_path_factory.mktemp("embedded-var").resolve()


@pytest.fixture
def var(var_dir: Path) -> Iterator[Var]:
    var = Var(var_dir)
    yield var
    for process in var.processes:
        if process.poll() is None:
            process.kill()
        process.wait()
    # Whatever a failed test left running: a fast shutdown, as the wheel does.
    for pid in var.servers():
        server = psutil.Process(pid)
        server.send_signal(signal.SIGINT)
        server.wait(30)
    (var.pgdata / ".handle_pids.json").unlink(missing_ok=True)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_the_last_process_ended_by_a_signal_stops_the_server(var: Var, signum: int) -> None:
    holder = var.holder()
    assert var.servers()
    assert var.handles() == [holder.pid]

    assert end(holder, signum) == -signum  # it still dies of the signal
    assert var.servers() == []
    assert var.handles() == []
    # And the next start is clean.
    again = var.holder()
    assert ask(again) == "ok"
    assert end(again, signal.SIGTERM) == -signal.SIGTERM
    assert var.servers() == []


def test_a_killed_process_is_forgotten_and_its_server_reused(var: Var) -> None:
    killed = var.holder()
    server = var.servers()
    assert end(killed, signal.SIGKILL) == -signal.SIGKILL
    # Nobody let go: the server runs on, with the dead process on its list.
    assert var.servers() == server
    assert var.handles() == [killed.pid]

    holder = var.holder()
    assert var.servers() == server  # joined, not started again
    assert var.handles() == [holder.pid]  # the dead one is gone
    assert end(holder, signal.SIGTERM) == -signal.SIGTERM
    assert var.servers() == []


def test_a_handle_list_broken_by_a_kill_is_repaired(var: Var) -> None:
    killed = var.holder()
    end(killed, signal.SIGKILL)
    # The wheel rewrites the list in place: killed in the middle, it is empty.
    (var.pgdata / ".handle_pids.json").write_text("")

    holder = var.holder()
    assert var.handles() == [holder.pid]
    end(holder, signal.SIGTERM)
    assert var.servers() == []


@pytest.mark.parametrize("taken", [False, True], ids=["pid-gone", "pid-taken"])
def test_a_killed_server_starts_again(var: Var, taken: bool) -> None:
    killed = var.holder()
    (server,) = var.servers()
    end(killed, signal.SIGKILL)
    psutil.Process(server).kill()
    wait_for(lambda: var.servers() == [])
    lock = var.pgdata / "postmaster.pid"
    assert lock.exists()  # left behind, as after a power cut
    other = subprocess.Popen(["sleep", "120"])  # noqa: S607 - any other program
    if taken:
        # After a reboot its process id may be another program's. The wheel
        # took that for the server, and at exit, failing to stop it, killed it.
        for path in (lock, var.pgdata / ".s.PGSQL.5432.lock"):
            lines = path.read_text().splitlines()
            path.write_text("\n".join([str(other.pid), *lines[1:]]) + "\n")

    try:
        holder = var.holder()
        assert ask(holder) == "ok"
        assert len(var.servers()) == 1
        assert var.handles() == [holder.pid]
        end(holder, signal.SIGTERM)
        assert var.servers() == []
        assert other.poll() is None  # the other program lives on
    finally:
        other.kill()
        other.wait()


def test_two_processes_share_the_server_and_the_last_stops_it(var: Var) -> None:
    web, worker = var.holder(), var.holder()
    assert sorted(var.handles()) == sorted([web.pid, worker.pid])
    server = var.servers()

    end(worker, signal.SIGTERM)
    assert var.servers() == server  # not stopped under the web process
    assert ask(web) == "ok"
    assert var.handles() == [web.pid]

    # A normal exit (stdin closed) of the last one stops it too.
    assert web.stdin is not None
    web.stdin.close()
    assert web.wait(60) == 0
    assert var.servers() == []
    assert var.handles() == []


def test_runserver_keeps_the_server_over_reloads_and_sigterm_stops_it(var: Var) -> None:
    # A settings module of the test's own, which the reloader watches: touching
    # it reloads this runserver only.
    settings_module = var.path / "reloading_settings.py"
    settings_module.write_text("from portal.settings import *  # noqa: F403\n")
    parent = var.start(
        "manage.py",
        "runserver",
        f"127.0.0.1:{free_port()}",
        DJANGO_SETTINGS_MODULE="reloading_settings",
        PYTHONPATH=str(var.path),
    )

    def children() -> list[int]:
        return [child.pid for child in psutil.Process(parent.pid).children()]

    # The parent holds the server; its child joins when it checks the migrations.
    wait_for(lambda: len(var.handles()) == 2 and len(children()) == 1)
    (child,) = children()
    assert sorted(var.handles()) == sorted([parent.pid, child])
    server = var.servers()

    def reloaded() -> bool:
        # Touched until the reloader, which only sees changes after its first
        # look at the file, starts a new child.
        later = time.time() + 5
        os.utime(settings_module, (later, later))
        return len(var.handles()) == 2 and children() not in ([], [child])

    wait_for(reloaded, interval=1)
    assert var.servers() == server  # the reload did not stop it
    (new_child,) = children()
    assert sorted(var.handles()) == sorted([parent.pid, new_child])

    # As `make run` is stopped from outside: runserver kills its child outright.
    end(parent, signal.SIGTERM)
    assert not psutil.pid_exists(new_child) or (
        psutil.Process(new_child).status() == psutil.STATUS_ZOMBIE
    )
    assert var.servers() == []
    assert var.handles() == []


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGHUP], ids=["Ctrl-C", "terminal-closed"]
)
def test_runserver_stopped_from_its_terminal_stops_the_server(var: Var, signum: int) -> None:
    # The terminal signals every process of the group: runserver's parent and child.
    parent = var.start("manage.py", "runserver", f"127.0.0.1:{free_port()}", own_group=True)
    wait_for(lambda: len(var.handles()) == 2)
    assert var.servers()

    os.killpg(parent.pid, signum)
    parent.wait(60)
    wait_for(lambda: var.servers() == [], timeout=10)
    assert var.handles() == []


def test_a_person_stops_the_server_by_hand(var: Var) -> None:
    assert "is not running" in var.manage("embedded_postgres", "status")
    killed = var.holder()
    (server,) = var.servers()
    end(killed, signal.SIGKILL)

    status = var.manage("embedded_postgres", "status")
    assert f"is running (pid {server}" in status
    assert "used by no process" in status  # the killed one is forgotten

    assert f"Stopped the embedded PostgreSQL in {var.pgdata} (pid {server})" in var.manage(
        "embedded_postgres", "stop"
    )
    assert var.servers() == []
    assert "was not running" in var.manage("embedded_postgres", "stop")
