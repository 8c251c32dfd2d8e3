"""An issuer's signing keys (its JWK set, RFC 7517), read one way for every caller.

The login (ID tokens from the OpenID Connect provider, ``portal.oidc_provider``) and
the API (Maskinporten's machine tokens, ``portal.machine_tokens``) both need "the key
for this token's algorithm and key id, from this JWKS address". ``signing_key``
answers it:

- The set is fetched when a token first needs it and kept in Django's cache for the
  caller's ``seconds``: every app process on every machine shares it
  (docs/deployment.md), so a deploy of many processes fetches it once, not once each.
- A failed fetch is never kept: the next token tries again.
- A key id the kept set lacks makes one fresh fetch (the issuer may have rotated its
  keys), and the fresh set is kept for everyone. Such fetches are made at most once
  per ``cooldown`` seconds per address, counted in the cache too, so a flood of tokens
  with made-up key ids cannot make the deployment hammer the issuer.
- Only public signing keys count: ``use`` absent or ``sig``, ``alg`` absent or the
  token's, the key type of the token's algorithm. Private and symmetric keys in a set
  are dropped (an issuer's mistake; PyJWT cannot verify with a private key). A token
  without a key id is matched only when exactly one key fits (OpenID Connect Core 10.1).
- PyJWT parses the keys (``PyJWK``); nothing here does cryptography.

The caller brings ``fetch(url)``, which GETs and parses a JSON document and raises
its own error when that fails, so each keeps its connection settings (timeouts,
proxies) and its error vocabulary for an issuer that cannot be reached. What this
module finds wrong itself is a ``KeysUnavailable`` (the answer is no JWK set with a
usable key: the issuer's fault) or a ``NoSuchKey`` (no key fits the token: the
token's fault); the callers turn them into their own refusals. ``cached`` is the same
shared cache for the issuers' other documents (discovery, metadata).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar, cast

import jwt
from django.core.cache import cache

T = TypeVar("T")
Fetch = Callable[[str], object]

# The key type each family of signing algorithms uses (RFC 7518).
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


class JWKSError(Exception):
    """The issuer's keys give no key for this token; the message says why, for a log."""


class KeysUnavailable(JWKSError):
    """The answer at the JWKS address is no JWK set, or has no key the portal can use."""


class NoSuchKey(JWKSError):
    """The JWK set has no single usable key for the token's algorithm and key id."""


def cached(kind: str, url: str, *, issuer: str, seconds: float, load: Callable[[str], T]) -> T:
    """What ``load(url)`` gives, kept in Django's cache for ``seconds``.

    Kept per ``issuer`` as well: what was checked for one issuer is never used for
    another. Whatever ``load`` raises is not kept; the next call loads again."""
    key = _cache_key(kind, issuer, url)
    found = cache.get(key)
    if found is not None:
        return cast(T, found)
    value = load(url)
    cache.set(key, value, seconds)
    return value


def signing_key(
    url: str,
    algorithm: str,
    kid: str | None,
    *,
    issuer: str,
    seconds: float,
    cooldown: float,
    fetch: Fetch,
) -> jwt.PyJWK:
    """The key of the JWK set at ``url`` that a token signed with ``algorithm`` under
    ``kid`` names; ``NoSuchKey`` when none does, even after a fresh fetch."""

    def load(address: str) -> list[dict[str, Any]]:
        return usable_keys(address, fetch(address))

    key = _pick(url, cached("jwks", url, issuer=issuer, seconds=seconds, load=load), algorithm, kid)
    if key is not None:
        return key
    if not _may_fetch_afresh(url, issuer, cooldown):
        raise NoSuchKey(
            f"The JWKS at {url} has no key {kid!r} for {algorithm}, and it was fetched "
            f"afresh less than {cooldown:g} s ago"
        )
    keys = load(url)
    cache.set(_cache_key("jwks", issuer, url), keys, seconds)
    key = _pick(url, keys, algorithm, kid)
    if key is None:
        raise NoSuchKey(f"The JWKS at {url} has no key {kid!r} for {algorithm}, fetched afresh")
    return key


def usable_keys(url: str, document: object) -> list[dict[str, Any]]:
    """The members of a JWK set (RFC 7517 5) that PyJWT can use as public keys; the
    set is refused without any."""
    members = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(members, list):
        raise KeysUnavailable(f"The JWKS endpoint {url} answered with something that is no JWK set")
    usable = []
    for member in members:
        if not isinstance(member, dict) or "d" in member or member.get("kty") == "oct":
            continue
        # Member by member rather than PyJWKSet, which skips a key PyJWT does not know
        # but lets a broken member through as another exception (an "alg" that is a
        # list raises TypeError), and keeps no plain member to share in the cache.
        try:
            jwt.PyJWK(member)
        except (jwt.PyJWTError, TypeError, ValueError, AttributeError, KeyError):
            continue
        usable.append(member)
    if not usable:
        raise KeysUnavailable(f"The JWKS at {url} has no key the portal can use")
    return usable


def _pick(
    url: str, keys: list[dict[str, Any]], algorithm: str, kid: str | None
) -> jwt.PyJWK | None:
    """The key for the token, None when no key has its kid (a fresh fetch may help)."""
    fitting = [key for key in keys if _usable_for(key, algorithm)]
    if kid is None:
        if len(fitting) == 1:
            return _as_key(url, fitting[0], algorithm)
        raise NoSuchKey(
            f"The token has no kid and the JWKS at {url} has {len(fitting)} keys for {algorithm}"
        )
    matching = [key for key in fitting if key.get("kid") == kid]
    if len(matching) > 1:
        raise NoSuchKey(f"The JWKS at {url} has several keys with kid {kid!r}")
    return _as_key(url, matching[0], algorithm) if matching else None


def _usable_for(key: dict[str, Any], algorithm: str) -> bool:
    return (
        key.get("use", "sig") == "sig"
        and key.get("alg", algorithm) == algorithm
        and key.get("kty") == _KEY_TYPES.get(algorithm[:2])
    )


def _as_key(url: str, member: dict[str, Any], algorithm: str) -> jwt.PyJWK:
    try:
        return jwt.PyJWK(member, algorithm=algorithm)
    except (jwt.PyJWTError, TypeError, ValueError) as exc:
        raise NoSuchKey(f"The key {member.get('kid')!r} at {url} is unusable: {exc}") from exc


def _may_fetch_afresh(url: str, issuer: str, cooldown: float) -> bool:
    """True for the first unknown key id at ``url`` in ``cooldown`` seconds, in any
    process: the cache's ``add`` sets the mark only where there is none."""
    if cooldown <= 0:
        return True
    return bool(cache.add(_cache_key("jwks-fetched-afresh", issuer, url), True, cooldown))


def _cache_key(kind: str, issuer: str, url: str) -> str:
    # Hashed, as the cache table's keys are at most 255 characters.
    digest = hashlib.sha256(f"{issuer}\n{url}".encode()).hexdigest()
    return f"portal.jwks.{kind}.{digest}"
