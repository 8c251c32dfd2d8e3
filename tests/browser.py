"""Browser fixtures: Playwright driving Debian's Chromium, and axe-core checks.

Chromium is never downloaded by Playwright: we use /usr/bin/chromium (or
CHROMIUM_PATH). Where it is missing, browser tests skip with the reason, except
in CI (CI=true), where a missing browser fails the run.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# The WCAG 2.1 A and AA rules, plus axe's best practices (landmarks, headings).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def chromium_path() -> str | None:
    candidate = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return candidate if Path(candidate).exists() else shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        reason = "Chromium is not installed (/usr/bin/chromium); apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: browser tests must run in CI")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread for the
    # rest of the session; Django refuses ORM calls next to a running loop
    # unless told that the (entirely synchronous) code here is safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _new_page(chromium: Any, live_server: Any, **options: Any) -> Iterator[Any]:
    context = chromium.new_context(locale="nb-NO", base_url=live_server.url, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Iterator[Any]:
    yield from _new_page(chromium, live_server)


@pytest.fixture
def page_without_js(chromium: Any, live_server: Any) -> Iterator[Any]:
    """A browser with JavaScript off: every page must work like this too."""
    yield from _new_page(chromium, live_server, java_script_enabled=False)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core in the page and return its violations (empty is the goal)."""
    page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    return list(result["violations"])


def assert_no_axe_violations(page: Any) -> None:
    violations = axe_violations(page)
    summary = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
    ]
    assert violations == [], f"axe-core on {page.url}:\n{json.dumps(summary, indent=2)}"


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/logg-inn/")
    page.get_by_label("Brukernavn", exact=True).fill(username)
    page.get_by_label("Passord", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Logg inn", exact=True).click()


_skipped_browser_tests: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "browser" in report.keywords:
        _skipped_browser_tests.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped browser test is a failure: the checks it makes would be lost."""
    if os.environ.get("CI") and _skipped_browser_tests:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"CI: {len(_skipped_browser_tests)} browser test(s) were skipped; failing the run.",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
