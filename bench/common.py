"""Helpers shared by the benchmarks: timing, percentiles, result files, gunicorn and the
queue's workers, and the CPU time of processes and of the machine (from /proc)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
REQUEST_TIMEOUT_S = 120
SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def time_calls(call: Callable[[], Any], repeat: int, warmup: int = 5) -> list[float]:
    """Milliseconds for each of ``repeat`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def time_get(
    server: Gunicorn,
    path: str,
    warmup: int,
    repeat: int,
    cookie: str = "",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``repeat`` timed GETs of ``path`` after ``warmup`` untimed ones: the server's
    median and p95 (its Server-Timing; the client's time where an answer has none,
    counted in ``no_server_timing``), the client's median, the statuses, and the
    requests that failed to connect or read."""
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()

    def call() -> Response | None:
        try:
            response = server.get(path, cookie, headers)
        except (OSError, http.client.HTTPException) as exc:
            errors[type(exc).__name__] += 1
            return None
        statuses[response.status] += 1
        return response

    for _ in range(warmup):
        call()
    statuses.clear()
    timed = [r for r in (call() for _ in range(repeat)) if r is not None]
    server_ms = [r.server_ms if r.server_ms is not None else r.client_ms for r in timed]
    figures: dict[str, Any] = summary(server_ms) if server_ms else {"median_ms": None}
    figures.setdefault("p95_ms", None)
    figures["client_median_ms"] = (
        round(statistics.median(r.client_ms for r in timed), 2) if timed else None
    )
    figures["timed"] = len(timed)
    figures["status"] = "/".join(str(s) for s, _ in statuses.most_common()) or "error"
    missing = sum(r.server_ms is None for r in timed)
    if missing:
        figures["no_server_timing"] = missing
    if errors:
        figures["errors"] = dict(errors)
    if timed:
        figures["bytes"] = len(timed[-1].body)
    return figures


def summary(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2)}


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process the benchmarks start (app server or worker): this
    one's, with production's settings but plain static files and cookies over HTTP."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-not-secret"),
        "PLAIN_STATIC_STORAGE": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "0",
        "SERVER_TIMING": "1",  # the benchmarks read their figures from it
        **(extra or {}),
    }
    env.pop("DEBUG", None)
    return env


class Gunicorn:
    """``gunicorn portal.wsgi`` as production runs it, with ``workers`` workers (two,
    as on the 2-core machine) on a free port of 127.0.0.1; ``env`` adds to or
    overrides the environment it gets."""

    def __init__(self, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.workers = workers
        self.extra_env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.failed = False
        self.restarts = 0
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix="bench-gunicorn-", suffix=".log", delete=False
        )

    def start(self) -> None:
        env = server_env(self.extra_env)
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "portal.wsgi",
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--timeout",
            str(REQUEST_TIMEOUT_S),
        ]
        if int(metadata.version("gunicorn").split(".")[0]) >= 27:
            # Not the shared control socket under $HOME that every gunicorn 27 opens.
            command.append("--no-control-socket")
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.failed = True
                raise SystemExit(f"gunicorn exited early; see {self.log.name}:\n{self.tail()}")
            try:
                if self.get("/helse/").status == 200:
                    print(f"gunicorn ready on 127.0.0.1:{self.port}")
                    return
            except OSError:
                pass
            time.sleep(0.25)
        self.failed = True
        raise SystemExit(f"gunicorn did not answer /helse/ in 90 s; see {self.log.name}")

    def get(self, path: str, cookie: str = "", headers: dict[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        sent = {**({"Cookie": cookie} if cookie else {}), **(headers or {})}
        try:
            started = time.perf_counter()
            conn.request("GET", path, headers=sent)
            answer = conn.getresponse()
            body = answer.read()
            client_ms = (time.perf_counter() - started) * 1000
            match = SERVER_TIMING.search(answer.getheader("Server-Timing") or "")
            server_ms = float(match.group(1)) if match else None
            return Response(answer.status, server_ms, client_ms, body)
        finally:
            conn.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def restart(self) -> None:
        """Start again after gunicorn died (its log is kept and its tail printed)."""
        self.failed = True
        print(f"gunicorn exited (status {self.process and self.process.returncode}):")
        print(self.tail())
        self.restarts += 1
        self.start()

    def stop(self) -> None:
        terminate(self.process, timeout=30)
        self.log.close()
        if not self.failed:
            Path(self.log.name).unlink(missing_ok=True)

    def tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")[-3000:]


def terminate(process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """SIGTERM, and SIGKILL if the process has not exited ``timeout`` seconds later."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


@dataclass
class Response:
    status: int
    server_ms: float | None
    client_ms: float
    body: bytes = b""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class QueueWorker:
    """A worker of the queue as production runs it, ``manage.py procrastinate worker``,
    with ``concurrency`` jobs at a time; ``env`` adds to or overrides its environment.
    Its log is kept (and its path printed) when it exited by itself."""

    def __init__(self, concurrency: int = 2, env: dict[str, str] | None = None) -> None:
        self.concurrency = concurrency
        self.extra_env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix="bench-worker-", suffix=".log", delete=False
        )

    def start(self) -> None:
        command = [sys.executable, "manage.py", "procrastinate", "worker"]
        command += ["--concurrency", str(self.concurrency)]
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command
            command,
            cwd=ROOT,
            env=server_env({"PYTHONUNBUFFERED": "1", **self.extra_env}),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM: the worker finishes the jobs it runs, then exits."""
        if self.log.closed:
            return  # stopped already
        died = not self.alive()
        terminate(self.process, timeout=60)
        self.log.close()
        if died:
            print(f"a worker had exited by itself; its log: {self.log.name}")
        else:
            Path(self.log.name).unlink(missing_ok=True)


# --- CPU time, from /proc ---------------------------------------------------------


def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state is the first)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = proc_stat(int(entry.name))
            if fields and int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def process_cpu(pid: int) -> float:
    """CPU seconds of a process, its children, and the children that ended (a gunicorn
    master and its workers, a worker of the queue)."""
    ticks = 0
    for each in [pid, *children(pid)]:
        fields = proc_stat(each)
        if fields is None:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
        if each == pid:
            ticks += int(fields[13]) + int(fields[14])  # ended children: cutime, cstime
    return ticks / CLOCK_TICKS


def machine_busy() -> float:
    """CPU seconds the whole machine spent on anything but idling, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS
