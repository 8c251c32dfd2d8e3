"""The token issuer of the API's tests: portal.dev_issuer, one per test on 127.0.0.1.

``issuer.mint()`` makes a good token for Fjordetaten's HR system unless told
otherwise; ``rotate()`` publishes a new key only; ``answering = False`` stops
it answering. RSA keys are slow to make, so a few are made once per session.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache as django_cache

from portal.demo import org_number
from portal.dev_issuer import DevIssuer, new_key

SCOPE = "dfo:kundesenter"
FJORDETATEN = org_number("98100001")  # the cast's Fjordetaten (tests/conftest.py)


@cache
def _keys() -> Iterator[rsa.RSAPrivateKey]:
    return itertools.cycle([new_key() for _ in range(3)])


class Issuer(DevIssuer):
    def rotate(self, key: rsa.RSAPrivateKey | None = None) -> None:
        super().rotate(key or next(_keys()))

    def down(self) -> None:
        self.answering = False

    def mint(  # the test's defaults
        self,
        *,
        org_number: str = FJORDETATEN,
        client_id: str = "fjordetaten-hr",
        scope: str | None = SCOPE,
        **rest: Any,
    ) -> str:
        return super().mint(org_number=org_number, client_id=client_id, scope=scope, **rest)


@pytest.fixture
def issuer(db: None, settings: Any) -> Iterator[Issuer]:
    """The issuer, running, with the portal set to take its tokens. Its keys are kept
    in Django's cache (a table), hence the database."""
    made = Issuer(url="", key=next(_keys()))
    made.serve("127.0.0.1", 0)
    settings.MASKINPORTEN_ISSUER = made.url
    settings.MASKINPORTEN_JWKS_URL = ""
    settings.MASKINPORTEN_AUDIENCE = ""
    settings.MASKINPORTEN_SCOPES = [SCOPE]
    settings.MASKINPORTEN_KEYS_COOLDOWN_SECONDS = 0  # a rotation is seen at once
    # Nothing another test's issuer published is kept, even at the same address.
    django_cache.clear()
    try:
        yield made
    finally:
        made.stop()
        django_cache.clear()
