"""What the locustfiles share (bench/load_users.py, bench/queue_load_users.py).

Imported only by them, in locust's own process (importing locust patches the
process for gevent). Three things:

- ``PacedUser``: a user who acts at ``pace`` actions a second on average, whatever
  the answers take, with random gaps (exponential: people do not click in step),
  so the users together arrive as a Poisson stream;
- ``note_server_time``: the server's own time of each answer (its Server-Timing
  header) by kind, beside locust's times, which also hold the wait for a free
  worker;
- at the end, each kind's figures written to the file named by LOAD_TIMES, for
  the bench that ran locust (``bench.load.run_locust_child``).
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from locust import FastHttpUser, events
from locust.env import Environment

SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")
# {kind: {ms: count}}, like locust's own response times.
server_times: dict[str, Counter[int]] = defaultdict(Counter)


class PacedUser(FastHttpUser):
    abstract = True
    pace = 1.0  # actions a second, on average
    due = 0.0  # when this user's next action is due (time.monotonic())
    random = random.Random()

    def wait_time(self) -> float:
        """Until this user's next action: random gaps of 1/pace s on average,
        counted from when the last one was due, not from its answer. A user who
        fell behind catches up at most one gap's worth, not a whole backlog."""
        now = time.monotonic()
        self.due = max(self.due, now - 1 / self.pace) + self.random.expovariate(self.pace)
        return max(0.0, self.due - now)


def note_server_time(kind: str, answer: Any) -> None:
    found = SERVER_TIMING.search(answer.headers.get("Server-Timing") or "")
    if found:
        server_times[kind][round(float(found.group(1)))] += 1


def forget_server_times(**_kwargs: Any) -> None:
    """With --reset-stats, the ramp is left out of the server's times too."""
    server_times.clear()


def write_times(environment: Environment, **_kwargs: Any) -> None:
    """locust's own figures (after --reset-stats) in LOAD_TIMES: each kind's count,
    failures, response times ({ms: count}, as locust rounds them) and the server's
    times, so the bench can give percentiles of several kinds together."""
    stats = environment.stats
    if stats is None or "LOAD_TIMES" not in os.environ:
        return
    kinds = {
        name: {
            "count": entry.num_requests,
            "failures": entry.num_failures,
            "response_times": {str(ms): n for ms, n in entry.response_times.items()},
            "server_times": {str(ms): n for ms, n in server_times[name].items()},
        }
        for (name, _method), entry in stats.entries.items()
    }
    errors = [
        {"name": error.name, "error": str(error.error), "occurrences": error.occurrences}
        for error in stats.errors.values()
    ]
    Path(os.environ["LOAD_TIMES"]).write_text(
        json.dumps({"kinds": kinds, "errors": errors}), encoding="utf-8"
    )


events.spawning_complete.add_listener(forget_server_times)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(write_times)  # type: ignore[no-untyped-call]
