"""What a message write costs at 5 000 000 cases: ``cases.services.do_add_message``.

A customer's message inserts the message and updates its case twice (the
customer's latest activity, and "last changed" through ``Case.touch``); a
message on a closed or waiting case also records the status it is handed back
in. "Last changed" is a key of several indexes, so PostgreSQL cannot update
the case in place (a HOT update): every update adds an entry to every index of
``cases_case``. That is the cost an unused index adds to each write.

Each write goes to a case drawn (with a fixed seed, so two runs write to the
same cases) from the bench organisations' cases, by its own reporter, inside a
transaction that is rolled back: nothing stays (messages are append-only and
could not be removed afterwards), and the cases keep their times. What is
timed is the whole call, every statement and index insertion included; only
the commit's flush of the WAL is left out. (The WAL a write makes cannot be
read apart from other sessions' on this PostgreSQL version without
pg_stat_statements, so it is not reported.)

Unlike the other benchmarks it does not migrate: it measures the schema the
database has, so a run before a migration and one after compare the two.
BENCH_LABEL names the run in bench/results/writes.json ("before", "after");
other labels already in the file are kept, so a before/after pair stays
together.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from typing import Any

from django.db import connection, transaction

from bench.common import RESULTS, summary, write_results
from cases.models import Case
from cases.services import do_add_message

WRITES = 200
WARMUP = 10
SEED = 15


class RolledBack(Exception):
    """Raised at the end of each timed write, so its transaction leaves nothing."""


def main() -> None:
    cases = pick_cases(WARMUP + WRITES)
    indexes = case_indexes()
    timings: list[float] = []
    for number, pk in enumerate(cases):
        elapsed = one_write(pk, number)
        if number >= WARMUP:
            timings.append(elapsed)
    if len(timings) != WRITES:
        raise SystemExit(f"writes: {len(timings)} timed writes, {WRITES} asked")
    figures = summary(timings) | {"mean_ms": round(statistics.fmean(timings), 2)}
    label = os.environ.get("BENCH_LABEL", "latest")
    total = Case.objects.count()
    print(f"{total} cases; cases_case has {len(indexes)} indexes")
    print(f"{'run':10} {'median ms':>10} {'p95 ms':>10} {'mean ms':>9} {'writes':>7}")
    print(
        f"{label:10} {figures['median_ms']:>10} {figures['p95_ms']:>10} "
        f"{figures['mean_ms']:>9} {len(timings):>7}"
    )
    runs = earlier_runs()
    runs[label] = figures | {"indexes": len(indexes), "index_names": indexes}
    path = write_results(
        "writes",
        {"cases": total, "writes": WRITES, "warmup": WARMUP, "seed": SEED, "runs": runs},
    )
    print(f"written to {path.relative_to(path.parents[2])}")


def pick_cases(count: int) -> list[int]:
    """``count`` case ids with a reporter, the same ones at every run on the same data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM cases_case")
        row = cursor.fetchone()
    highest = int(row[0]) if row and row[0] else 0
    if not highest:
        raise SystemExit("No cases: run generate_cases (or bench/case_list.py) first.")
    draw = random.Random(SEED)
    picked: list[int] = []
    while len(picked) < count:
        wanted = [draw.randint(1, highest) for _ in range(count)]
        found = set(
            Case.objects.filter(pk__in=wanted, reported_by__isnull=False).values_list(
                "pk", flat=True
            )
        )
        picked += [pk for pk in wanted if pk in found and pk not in picked]
    return picked[:count]


def one_write(pk: int, number: int) -> float:
    """Milliseconds of one customer message on case ``pk``, rolled back."""
    case = Case.objects.select_related("organisation", "reported_by").get(pk=pk)
    assert case.reported_by is not None
    elapsed = 0.0
    try:
        with transaction.atomic():
            started = time.perf_counter()
            do_add_message(actor=case.reported_by, case=case, body=f"Bench write {number}.")
            elapsed = (time.perf_counter() - started) * 1000
            raise RolledBack
    except RolledBack:
        pass
    return elapsed


def case_indexes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'cases_case' ORDER BY indexname"
        )
        return [row[0] for row in cursor.fetchall()]


def earlier_runs() -> dict[str, Any]:
    path = RESULTS / "writes.json"
    if not path.exists():
        return {}
    runs: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")).get("runs", {})
    return runs
