"""What the portal knows about the OpenID Connect provider: its endpoints and its keys.

An endpoint set in the settings (``OIDC_OP_*_ENDPOINT``) is used as given. The others
come from the provider's discovery document: ``OIDC_OP_DISCOVERY_URL``, else
``<issuer>/.well-known/openid-configuration`` when no endpoint is set at all. So an
operator sets the issuer, the client id and the secret, and nothing more.

The discovery document and the signing keys (JWKS) are fetched when a login first
needs them, never at import or by ``manage.py check``, and kept in Django's cache for
``OIDC_PROVIDER_CACHE_SECONDS`` so every worker shares them. A failed fetch is not
kept: the next login tries again. The keys are read as the API reads its issuer's
(``portal.jwks``): a token signed with a key id the cached keys do not have makes one
fresh fetch (the provider may have rotated its keys), at most one every
``OIDC_KEYS_COOLDOWN_SECONDS``.

Whatever goes wrong with the provider (down, slow, an answer that is not what it must
be) is a ``LoginFailed``; the login views turn it into the "login did not succeed"
page and a line in the log. This module also holds the system checks of the OIDC
settings (``portal.E101`` to ``portal.E107``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from django.conf import settings
from django.core import checks

from portal import jwks

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
# Our setting → its member in the discovery document. The first four are required.
REQUIRED_ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
OPTIONAL_ENDPOINTS = {"OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint"}
_ALL_ENDPOINTS = {**REQUIRED_ENDPOINTS, **OPTIONAL_ENDPOINTS}


class LoginFailed(Exception):
    """A login through the provider cannot go on; the message says why, for the log."""


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    userinfo: str
    jwks: str
    end_session: str  # "" when the provider has none: logout is then local only


def discovery_url() -> str:
    """The discovery document's address, or "" when the settings name every endpoint."""
    if settings.OIDC_OP_DISCOVERY_URL:
        return str(settings.OIDC_OP_DISCOVERY_URL)
    if all(getattr(settings, name) for name in REQUIRED_ENDPOINTS):
        return ""
    return str(settings.OIDC_OP_ISSUER).rstrip("/") + DISCOVERY_PATH


def endpoints() -> Endpoints:
    """The provider's endpoints: the settings', else the discovery document's.

    Raises LoginFailed when the document is needed and cannot be had or used."""
    url = discovery_url()
    document = discovery_document(url) if url else {}
    found = {}
    for name, member in _ALL_ENDPOINTS.items():
        found[name] = str(getattr(settings, name) or document.get(member, ""))
        if not found[name] and name in REQUIRED_ENDPOINTS:
            raise LoginFailed(f"The discovery document at {url} has no {member}")
    return Endpoints(
        authorization=found["OIDC_OP_AUTHORIZATION_ENDPOINT"],
        token=found["OIDC_OP_TOKEN_ENDPOINT"],
        userinfo=found["OIDC_OP_USER_ENDPOINT"],
        jwks=found["OIDC_OP_JWKS_ENDPOINT"],
        end_session=found["OIDC_OP_LOGOUT_ENDPOINT"],
    )


def discovery_document(url: str) -> dict[str, str]:
    """The endpoints the provider's discovery document names, from the cache if there."""
    return jwks.cached(
        "oidc-discovery",
        url,
        issuer=settings.OIDC_OP_ISSUER,
        seconds=settings.OIDC_PROVIDER_CACHE_SECONDS,
        load=lambda url: _checked_discovery(url, fetch_json(url, "discovery document")),
    )


def _checked_discovery(url: str, document: object) -> dict[str, str]:
    """The endpoint members of a discovery document that is about our issuer.

    OpenID Connect Discovery 4.3: its ``issuer`` must be exactly the one we expect,
    or anyone who can answer at the address could name their own endpoints."""
    if not isinstance(document, dict):
        raise LoginFailed(f"The discovery document at {url} is not a JSON object")
    if document.get("issuer") != settings.OIDC_OP_ISSUER:
        raise LoginFailed(
            f"The discovery document at {url} names issuer {document.get('issuer')!r}, "
            f"not the configured {settings.OIDC_OP_ISSUER!r}"
        )
    found: dict[str, str] = {}
    for member in _ALL_ENDPOINTS.values():
        value = document.get(member)
        if isinstance(value, str) and is_web_url(value):
            found[member] = value
    for name, member in REQUIRED_ENDPOINTS.items():
        if member not in found and not getattr(settings, name):
            raise LoginFailed(f"The discovery document at {url} has no {member}")
    for name in ("OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_LOGOUT_ENDPOINT"):
        member = _ALL_ENDPOINTS[name]
        if member in found and not getattr(settings, name):
            _warn_unless_form_action_allows(found[member])
    return found


def _warn_unless_form_action_allows(url: str) -> None:
    """Forms end in redirects to these endpoints; the CSP's form-action must allow them."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    for directive in str(settings.CONTENT_SECURITY_POLICY).split(";"):
        sources = directive.split()
        if sources[:1] == ["form-action"] and origin not in sources:
            logger.warning(
                "The provider's endpoint %s is outside the CSP's form-action; set it in its "
                "OIDC_OP_* setting so the portal allows its origin",
                url,
            )


def signing_key(algorithm: str, kid: str | None) -> jwt.PyJWK:
    """The provider's key an ID token (or a signed userinfo answer) names by ``kid``,
    for ``algorithm``: read as every issuer's keys are (``portal.jwks``)."""
    try:
        return jwks.signing_key(
            endpoints().jwks,
            algorithm,
            kid,
            issuer=settings.OIDC_OP_ISSUER,
            seconds=settings.OIDC_PROVIDER_CACHE_SECONDS,
            cooldown=settings.OIDC_KEYS_COOLDOWN_SECONDS,
            fetch=lambda url: fetch_json(url, "JWKS"),
        )
    except jwks.JWKSError as exc:
        raise LoginFailed(str(exc)) from exc


def fetch_json(url: str, what: str) -> object:
    """GET a JSON document from the provider; any failure is a LoginFailed."""
    response = provider_request("GET", url, what)
    try:
        return response.json()
    except requests.JSONDecodeError as exc:
        raise LoginFailed(f"The provider's {what} at {url} is not JSON: {exc}") from exc


def provider_request(method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
    """A request to the provider with the OIDC settings' timeout, proxies and TLS checks;
    a failure or an HTTP error status is a LoginFailed."""
    try:
        response = requests.request(
            method,
            url,
            timeout=settings.OIDC_TIMEOUT,
            proxies=getattr(settings, "OIDC_PROXY", None),
            verify=getattr(settings, "OIDC_VERIFY_SSL", True),
            **kwargs,
        )
        response.raise_for_status()
    except requests.HTTPError as exc:
        # The body says why (OAuth's "error", e.g. invalid_grant); never a token.
        body = exc.response.text[:200] if exc.response is not None else ""
        raise LoginFailed(f"The provider's {what} at {url} failed: {exc} {body!r}") from exc
    except requests.RequestException as exc:
        raise LoginFailed(f"The provider's {what} at {url} failed: {exc}") from exc
    return response


def is_web_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in {"https", "http"} and bool(parts.netloc)


# --- System checks (registered in portal.apps; also run at WSGI start-up) ----------------


def check_configuration(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    """The OIDC settings are complete as soon as any of them is given: half a
    configuration must stop the start, not silently leave only the password login."""
    if not settings.OIDC_ENABLED:
        return []
    errors: list[checks.CheckMessage] = []
    off = "or remove every OIDC_ connection setting to offer the password login only"
    if not settings.OIDC_OP_ISSUER:
        errors.append(
            checks.Error(
                "OpenID Connect is half configured: OIDC_OP_ISSUER is missing.",
                hint=f"Set it to the provider's issuer, exactly as its ID tokens' iss; {off}.",
                id="portal.E101",
            )
        )
    if not settings.OIDC_RP_CLIENT_ID:
        errors.append(
            checks.Error(
                "OpenID Connect is half configured: OIDC_RP_CLIENT_ID is missing.",
                hint=f"Set it to the portal's client id at the provider; {off}.",
                id="portal.E102",
            )
        )
    if not settings.OIDC_RP_CLIENT_SECRET:
        errors.append(
            checks.Error(
                "OpenID Connect is configured without OIDC_RP_CLIENT_SECRET.",
                hint="Set OIDC_RP_CLIENT_SECRET or OIDC_RP_CLIENT_SECRET_FILE.",
                id="portal.E103",
            )
        )
    missing = [name for name in REQUIRED_ENDPOINTS if not getattr(settings, name)]
    if 0 < len(missing) < len(REQUIRED_ENDPOINTS) and not settings.OIDC_OP_DISCOVERY_URL:
        errors.append(
            checks.Error(
                f"Some OpenID Connect endpoints are set and these are not: {', '.join(missing)}.",
                hint="Set all four, or none (they then come from the issuer's discovery "
                "document), or set OIDC_OP_DISCOVERY_URL for the ones not set.",
                id="portal.E104",
            )
        )
    for name in ("OIDC_OP_ISSUER", "OIDC_OP_DISCOVERY_URL", *_ALL_ENDPOINTS):
        value = getattr(settings, name)
        if value and not is_web_url(value):
            errors.append(
                checks.Error(
                    f"{name} is not an absolute http(s) address: {value!r}.",
                    id="portal.E105",
                )
            )
    algorithm = settings.OIDC_RP_SIGN_ALGO
    if algorithm == "none" or algorithm not in jwt.algorithms.get_default_algorithms():
        errors.append(
            checks.Error(
                f"OIDC_RP_SIGN_ALGO {algorithm!r} is not a signing algorithm the portal accepts.",
                hint="Use the provider's, e.g. RS256 or ES256; unsigned tokens are never accepted.",
                id="portal.E106",
            )
        )
    for name in (
        "OIDC_CLOCK_LEEWAY",
        "OIDC_PROVIDER_CACHE_SECONDS",
        "OIDC_KEYS_COOLDOWN_SECONDS",
        "OIDC_TIMEOUT",
    ):
        if getattr(settings, name) < 0:
            errors.append(
                checks.Error(f"{name} must not be negative.", id="portal.E107"),
            )
    return errors
