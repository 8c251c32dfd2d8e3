"""The three apps are layers: portal < cases < access. No import goes upwards.

``portal.urls`` is the composition root (the URL map names every app's views)
and is the one module allowed to import the layers above it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"portal": 0, "cases": 1, "access": 2}
COMPOSITION_ROOTS = {ROOT / "portal" / "urls.py"}


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & LAYERS.keys()


@pytest.mark.parametrize("app", sorted(LAYERS))
def test_app_imports_only_layers_below_it(app: str) -> None:
    offences = []
    for path in (ROOT / app).rglob("*.py"):
        if path in COMPOSITION_ROOTS:
            continue
        for imported in _imported_apps(path):
            if LAYERS[imported] > LAYERS[app]:
                offences.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert offences == []


def _defers(path: Path) -> list[int]:
    """Lines of ``path`` that put a job on the queue by Procrastinate's own defer."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"defer", "defer_async", "batch_defer"}
    ]


def test_jobs_are_deferred_only_through_the_transactions_connection() -> None:
    # Inside a worker, Procrastinate's own defer commits at once on a pool of its
    # own (docs/decisions.md, "Background work"): every job goes through
    # portal.queue.defer_in_transaction, the one place that calls it.
    offences = [
        f"{path.relative_to(ROOT)}:{line}"
        for app in LAYERS
        for path in (ROOT / app).rglob("*.py")
        if path != ROOT / "portal" / "queue.py"
        for line in _defers(path)
    ]
    assert offences == []
