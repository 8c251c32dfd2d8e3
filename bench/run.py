"""Run every benchmark under bench/ and print its figures: `make bench`.

Each benchmark is a module ``bench/<name>.py`` with a ``main()`` that prints a
table and writes ``bench/results/<name>.json``. They run against the database
named by BENCH_DB_NAME in the embedded server (or DATABASE_URL when set).

``queue_load`` is not among those run by default: it needs a database of its
own (``make bench-queue``, bench/queue_load.py).
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ["pages", "case_list", "api", "writes", "load"]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("PLAIN_STATIC_STORAGE", "1")
    os.environ.setdefault("EMBEDDED_DB_NAME", os.environ.get("BENCH_DB_NAME", "kundesenter_bench"))
    import django

    django.setup()
    wanted = sys.argv[1:] or BENCHMARKS
    for name in wanted:
        started = time.perf_counter()
        print(f"\n== bench/{name}.py")
        importlib.import_module(f"bench.{name}").main()
        print(f"   ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
