"""Runs tests/oidc/provider.mjs and logs in through it like a browser would."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = Path(__file__).resolve().parent / "provider.mjs"
CLIENT_ID = "kundesenter"
CLIENT_SECRET = "test-secret-not-for-production"
PORTAL = "http://testserver"
CALLBACK = f"{PORTAL}/oidc/callback/"
AFTER_LOGOUT = f"{PORTAL}/logg-inn/"
STARTUP_SECONDS = 30


@dataclass
class TestProvider:
    """The running provider: its issuer, its test routes, and its login form."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    issuer: str

    def endpoint(self, path: str) -> str:
        return f"{self.issuer}{path}"

    def authorizations(self) -> list[dict[str, str]]:
        """The query of every authorization request the provider received, oldest first."""
        response = requests.get(self.endpoint("/_test/authorizations"), timeout=10)
        response.raise_for_status()
        result: list[dict[str, str]] = response.json()
        return result

    def set_claims(self, sub: str, **claims: Any) -> None:
        """Create the account ``sub`` or change its claims (name, email, org, …)."""
        response = requests.post(self.endpoint(f"/_test/accounts/{sub}"), json=claims, timeout=10)
        response.raise_for_status()

    def misbehave(self, **quirks: Any) -> None:
        """From now on answer as the quirks say (provider.mjs lists them); none: as usual.
        Also starts the request counts afresh."""
        response = requests.post(self.endpoint("/_test/quirks"), json=quirks, timeout=10)
        response.raise_for_status()

    def requests_for(self, path: str) -> int:
        """How often ``path`` was requested since the last ``misbehave``."""
        response = requests.get(self.endpoint("/_test/requests"), timeout=10)
        response.raise_for_status()
        return int(response.json().get(path, 0))

    def log_in(self, authorize_url: str, account: str, browser: requests.Session) -> str:
        """Follow the authorization request at the provider, logging in as ``account`` when
        asked; return the portal address the provider sends the browser back to."""
        url = authorize_url
        for _ in range(10):
            response = browser.get(url, allow_redirects=False, timeout=10)
            if response.status_code == 200 and "/interaction/" in url:
                response = browser.post(
                    f"{url}/login", data={"login": account}, allow_redirects=False, timeout=10
                )
            assert response.status_code in {302, 303}, (response.status_code, response.text)
            url = urljoin(url, response.headers["Location"])
            if url.startswith(f"{PORTAL}/"):
                return url.removeprefix(PORTAL)
        raise AssertionError(f"The provider never sent the browser back: {url}")


def browser() -> requests.Session:
    """A fresh browser at the provider: no cookies, no proxies from the environment."""
    session = requests.Session()
    session.trust_env = False
    return session


def run_provider(log_dir: Path, portal: str = PORTAL) -> Iterator[TestProvider]:
    """Start the provider on a free port on 127.0.0.1 for the portal at ``portal``
    (its callback and post-logout addresses); stop it afterwards.

    Skips when Node or the oidc-provider package is missing, except in CI, where
    that fails the run: the login checks would be lost.
    """
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").is_dir():
        reason = (
            "The OIDC test provider needs Node and node_modules/oidc-provider "
            "(run `npm ci`, or `make install`)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: the login tests must run in CI")
        pytest.skip(reason)
    env = {
        **os.environ,
        "OIDC_TEST_CLIENT_ID": CLIENT_ID,
        "OIDC_TEST_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_TEST_REDIRECT_URIS": f"{portal}/oidc/callback/",
        "OIDC_TEST_POST_LOGOUT_REDIRECT_URIS": f"{portal}/logg-inn/",
    }
    log_path = log_dir / "oidc-provider.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own script, no shell
            [node, str(SCRIPT)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
        line = process.stdout.readline() if ready else ""
        if not line:
            process.kill()
            raise RuntimeError(
                f"The OIDC test provider did not start; see {log_path}:\n{log_path.read_text()}"
            )
        yield TestProvider(issuer=json.loads(line)["issuer"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
