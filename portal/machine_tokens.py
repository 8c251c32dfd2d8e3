"""Machine tokens: the access tokens Maskinporten issues to an organisation's systems.

An agency's own system calls the API (``/api/v1/``) with ``Authorization: Bearer
<JWT>``, a token Maskinporten issued to one of its clients. ``read_token``
accepts it only when every one of these holds, and says which did not:

- it is a JWS signed with RS256 by a key in the issuer's JWKS (found through
  the issuer's metadata, ``<issuer>/.well-known/oauth-authorization-server``,
  unless ``MASKINPORTEN_JWKS_URL`` is set). The keys are read as the login
  reads its provider's (``portal.jwks``): the metadata and the keys are kept
  in Django's cache for ``MASKINPORTEN_KEYS_SECONDS``, shared by every
  process; a token signed with a key id they lack fetches them again (at
  most once every ``MASKINPORTEN_KEYS_COOLDOWN_SECONDS``), so the issuer may
  rotate its keys at any time. An issuer that cannot be reached, or answers
  with no usable keys, is a 503: the token may be good;
- ``iss`` is ``MASKINPORTEN_ISSUER``; ``exp`` is in the future and ``iat`` not
  in it, each within ``MASKINPORTEN_CLOCK_LEEWAY`` seconds; ``aud`` names
  ``MASKINPORTEN_AUDIENCE`` when that is set;
- ``scope`` holds at least one of the scopes the API offers
  (``MASKINPORTEN_SCOPES``); what each scope allows is the API's business;
- ``consumer`` names the organisation the token was issued for, as
  ``{"authority": "iso6523-actorid-upis", "ID": "0192:<org number>"}``, and
  ``client_id`` the client.

Which organisation's data the client may reach, and what it may do, is never
taken from the token: the organisation registers its clients (issue 17,
point 3). This module only says who is calling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.conf import settings
from django.utils.translation import gettext as _

from portal import jwks

ALGORITHMS = ["RS256"]
METADATA_PATH = "/.well-known/oauth-authorization-server"
CONSUMER_ID = re.compile(r"^0192:(?P<org_number>\d{9})$")


class TokenRefused(Exception):
    """The token is not accepted; ``status`` is 401 (who are you?) or 403 (not this)."""

    def __init__(self, detail: str, *, status: int = 401, error: str = "invalid_token") -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.error = error


@dataclass(frozen=True)
class MachineToken:
    client_id: str
    org_number: str
    scopes: frozenset[str]


def read_token(raw: str) -> MachineToken:
    """The caller a bearer token names, or ``TokenRefused`` saying why not."""
    if not settings.MASKINPORTEN_ISSUER:
        raise TokenRefused(_("The API takes no tokens: MASKINPORTEN_ISSUER is not set."))
    try:
        header = jwt.get_unverified_header(raw)
    except jwt.PyJWTError:
        raise TokenRefused(_("The bearer token is not a JWT.")) from None
    if header.get("alg") not in ALGORITHMS:
        raise TokenRefused(
            _("The token must be signed with %(algorithms)s.")
            % {"algorithms": ", ".join(ALGORITHMS)}
        )
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise TokenRefused(_("The token is not signed by a key of the issuer."))
    try:
        key = jwks.signing_key(
            _jwks_url(),
            header["alg"],
            kid,
            issuer=settings.MASKINPORTEN_ISSUER,
            seconds=settings.MASKINPORTEN_KEYS_SECONDS,
            cooldown=settings.MASKINPORTEN_KEYS_COOLDOWN_SECONDS,
            fetch=_fetch_json,
        )
    except jwks.KeysUnavailable:
        raise TokenRefused(
            _("The issuer's keys could not be fetched; try again later."),
            status=503,
            error="temporarily_unavailable",
        ) from None
    except jwks.NoSuchKey:
        raise TokenRefused(_("The token is not signed by a key of the issuer.")) from None
    audience = settings.MASKINPORTEN_AUDIENCE or None
    try:
        claims: dict[str, Any] = jwt.decode(
            raw,
            key,
            algorithms=ALGORITHMS,
            issuer=settings.MASKINPORTEN_ISSUER,
            audience=audience,
            leeway=settings.MASKINPORTEN_CLOCK_LEEWAY,
            options={
                "require": ["iss", "exp", "iat", "scope", "consumer", "client_id"],
                "verify_aud": audience is not None,
            },
        )
    except jwt.ExpiredSignatureError:
        raise TokenRefused(_("The token has expired.")) from None
    except jwt.ImmatureSignatureError:
        raise TokenRefused(_("The token was issued in the future.")) from None
    except jwt.InvalidIssuerError:
        raise TokenRefused(_("The token is from another issuer.")) from None
    except jwt.InvalidAudienceError:
        raise TokenRefused(_("The token is meant for another API.")) from None
    except jwt.MissingRequiredClaimError as missing:
        raise TokenRefused(
            _("The token has no %(claim)s claim.") % {"claim": missing.claim}
        ) from None
    except jwt.InvalidSignatureError:
        raise TokenRefused(_("The token's signature is not the issuer's.")) from None
    except jwt.PyJWTError:
        raise TokenRefused(_("The token's signature or claims are not valid.")) from None
    return _caller(claims)


def _caller(claims: dict[str, Any]) -> MachineToken:
    scope = claims["scope"]
    scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
    if not scopes & set(settings.MASKINPORTEN_SCOPES):
        raise TokenRefused(
            _("The token has none of this API's scopes."), status=403, error="insufficient_scope"
        )
    consumer = claims["consumer"]
    found = CONSUMER_ID.match(consumer.get("ID", "")) if isinstance(consumer, dict) else None
    if found is None:
        raise TokenRefused(_("The token's consumer is not an organisation number (0192:…)."))
    client_id = claims["client_id"]
    if not isinstance(client_id, str) or not client_id:
        raise TokenRefused(_("The token's client_id is empty."))
    return MachineToken(client_id=client_id, org_number=found["org_number"], scopes=scopes)


def _jwks_url() -> str:
    if settings.MASKINPORTEN_JWKS_URL:
        return str(settings.MASKINPORTEN_JWKS_URL)
    issuer = str(settings.MASKINPORTEN_ISSUER)
    return jwks.cached(
        "maskinporten-metadata",
        issuer.rstrip("/") + METADATA_PATH,
        issuer=issuer,
        seconds=settings.MASKINPORTEN_KEYS_SECONDS,
        load=_jwks_uri_in_metadata,
    )


def _jwks_uri_in_metadata(url: str) -> str:
    """``jwks_uri`` from the issuer's authorization server metadata (RFC 8414), which
    must name the issuer we trust (its section 3.3): metadata that names another is
    not used, lest a wrong address give us another issuer's keys."""
    metadata = _fetch_json(url)
    named = metadata.get("issuer") if isinstance(metadata, dict) else None
    if named != settings.MASKINPORTEN_ISSUER:
        raise jwks.KeysUnavailable(f"The metadata at {url} names the issuer {named!r}")
    jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
    if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
        raise jwks.KeysUnavailable(f"No jwks_uri in the metadata at {url}")
    return jwks_uri


def _fetch_json(url: str) -> object:
    """A JSON document from the issuer; any failure means its keys cannot be had now."""
    try:
        response = requests.get(url, timeout=settings.MASKINPORTEN_TIMEOUT)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise jwks.KeysUnavailable(f"The issuer's {url} failed: {exc}") from exc
