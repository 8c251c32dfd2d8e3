"""The portal configured for the suite's OpenID Connect provider, and a browser's ways
through a login; a pytest plugin (tests/conftest.py) so every OIDC test module shares them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from portal.models import User
from tests.conftest import Cast
from tests.oidc.support import CLIENT_ID, CLIENT_SECRET, TestProvider, browser, run_provider


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestProvider]:
    yield from run_provider(tmp_path_factory.mktemp("oidc"))


@pytest.fixture
def oidc(settings: Any, oidc_provider: TestProvider) -> TestProvider:
    """The portal configured for the test provider, as the OIDC_* variables would; the
    provider answers as usual (no quirks left from another test)."""
    oidc_provider.misbehave()
    configure_portal(settings, oidc_provider)
    return oidc_provider


def configure_portal(settings: Any, provider: TestProvider, *, endpoints: bool = True) -> None:
    """The settings an operator would give; ``endpoints=False`` leaves the endpoints to
    the provider's discovery document."""
    issuer = provider.issuer
    settings.CONTENT_SECURITY_POLICY = settings.CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {issuer}"
    )
    settings.OIDC_ENABLED = True
    settings.OIDC_OP_ISSUER = issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_DISCOVERY_URL = ""
    for name, path in ENDPOINTS.items():
        setattr(settings, name, f"{issuer}{path}" if endpoints else "")
    settings.OIDC_PROXY = {"http": "", "https": ""}  # the provider is local: never a proxy
    settings.AUTHENTICATION_BACKENDS = [
        "portal.oidc.PortalOIDCBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    settings.ROOT_URLCONF = "tests.oidc.urls"


# The test provider's endpoints (oidc-provider's default routes).
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "/auth",
    "OIDC_OP_TOKEN_ENDPOINT": "/token",
    "OIDC_OP_USER_ENDPOINT": "/me",
    "OIDC_OP_JWKS_ENDPOINT": "/jwks",
    "OIDC_OP_LOGOUT_ENDPOINT": "/session/end",
}


@pytest.fixture
def accounts(cast: Cast, oidc: TestProvider) -> Cast:
    """Kari and Mona as the provider knows them; their portal users carry their sub."""
    oidc.set_claims(
        "sub-kari",
        name="Kari Nordmann",
        given_name="Kari",
        family_name="Nordmann",
        email="kari.nordmann@fjordetaten.example",
        org=cast.fjordetaten.org_number,
    )
    oidc.set_claims(
        "sub-mona",
        name="Mona Lid",
        given_name="Mona",
        family_name="Lid",
        email="mona.lid@kystdir.example",
        org=cast.fjordetaten.org_number,
    )
    User.objects.filter(pk=cast.kari.pk).update(oidc_sub="sub-kari")
    User.objects.filter(pk=cast.mona.pk).update(oidc_sub="sub-mona")
    return cast


def start_login(client: Client, start: str = "/oidc/authenticate/") -> str:
    """Follow the portal's redirects from ``start`` to the provider's authorization URL."""
    location = start
    while location.startswith("/"):
        response = client.get(location)
        assert response.status_code == 302, (location, response.status_code)
        location = response["Location"]
    return location


def log_in(
    client: Client,
    provider: TestProvider,
    account: str,
    start: str = "/oidc/authenticate/",
    *,
    at_provider: Any = None,
) -> Any:
    """A whole login: portal → provider (log in as ``account``) → the portal's callback."""
    callback = provider.log_in(start_login(client, start), account, at_provider or browser())
    return client.get(callback)


def query_of(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def assert_refused(client: Client, response: Any) -> None:
    """The designed refusal: back on the login page, not logged in, told why in words."""
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login")
    assert SESSION_KEY not in client.session
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The login did not succeed" in page


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The log lines of refused provider logins."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("portal") and record.levelno >= logging.WARNING
    ]
