"""Take the README's screenshots of the demo: `make screenshots`.

Starts the development server on a port of its own with the demo data
(`seed_demo`, idempotent), logs in as Kari with the password form and saves the
case list, a case and Min side (whole pages, its first grouping open) at 1280
and 390 px wide into docs/screenshots/; then, as Lena of Team lønn, the support
desk's queue and a case on it at 1280 px.
Uses Debian's Chromium like the browser tests (CHROMIUM_PATH to override).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "docs" / "screenshots"
PORT = int(os.environ.get("SCREENSHOT_PORT", "8199"))
BASE = f"http://127.0.0.1:{PORT}"
WIDTHS = {"desktop": (1280, 900), "mobile": (390, 844)}


def wait_for_server() -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{BASE}/helse/", timeout=1)  # noqa: S310 (our own server)
            return
        except OSError:
            time.sleep(0.3)
    sys.exit("the development server did not start")


def main() -> None:
    env = dict(os.environ, DEBUG="1")
    python = sys.executable
    subprocess.run([python, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True)  # noqa: S603
    server = subprocess.Popen(  # noqa: S603
        [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{PORT}"], cwd=ROOT, env=env
    )
    try:
        wait_for_server()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                args=["--headless=new", "--no-sandbox"],
            )
            for label, (width, height) in WIDTHS.items():
                context = browser.new_context(
                    locale="nb-NO",
                    viewport={"width": width, "height": height},
                    base_url=BASE,
                    reduced_motion="reduce",  # a disclosure opens at once, not over 0.4 s
                )
                page = context.new_page()
                page.goto("/logg-inn/")
                page.fill("#id_username", "kari")
                page.fill("#id_password", "kundesenter-demo")
                page.locator('form[action="/logg-inn/"] button[type=submit]').click()
                page.wait_for_load_state()
                page.goto("/saker/")
                page.screenshot(path=OUT / f"case-list-{label}.png")
                page.locator("table tbody a").first.click()
                page.wait_for_load_state()
                page.screenshot(path=OUT / f"case-{label}.png", full_page=True)
                page.goto("/min-side/")
                page.locator("details").first.evaluate("(d) => { d.open = true; }")
                page.screenshot(path=OUT / f"my-page-{label}.png", full_page=True)
                context.close()
            # The support desk, as Lena of Team lønn sees it (the admin is for desktops).
            width, height = WIDTHS["desktop"]
            context = browser.new_context(
                locale="nb-NO",
                viewport={"width": width, "height": height},
                base_url=BASE,
                reduced_motion="reduce",
            )
            page = context.new_page()
            page.goto("/logg-inn/")
            page.fill("#id_username", "lena")
            page.fill("#id_password", "kundesenter-demo")
            page.locator('form[action="/logg-inn/"] button[type=submit]').click()
            page.wait_for_load_state()
            page.goto("/admin/")
            page.screenshot(path=OUT / "desk-queue-desktop.png")
            page.locator(".desk-table tbody a").first.click()
            page.wait_for_load_state()
            page.screenshot(path=OUT / "desk-case-desktop.png", full_page=True)
            context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
