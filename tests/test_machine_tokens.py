"""Maskinporten-style machine tokens (portal.machine_tokens), against a real issuer over HTTP.

Every way a token can be wrong is refused with its reason and its status (401, or
403 for a token without the API's scope), never an exception of another kind.
Reading a token says which organisation it was issued for; what that
organisation's client may do is decided elsewhere (its registration), so an
outsider's token simply names the outsider's organisation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.utils import translation

from portal.machine_tokens import MachineToken, TokenRefused, read_token
from tests.issuer import FJORDETATEN, SCOPE, Issuer


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    """The reasons are read here in English; the API tells them in the language asked
    for (tests/test_api_tokens.py)."""
    with translation.override("en"):
        yield


def refused(raw: str) -> TokenRefused:
    with pytest.raises(TokenRefused) as caught:
        read_token(raw)
    return caught.value


def test_a_good_token_names_its_client_and_organisation(issuer: Issuer) -> None:
    assert read_token(issuer.mint()) == MachineToken(
        client_id="fjordetaten-hr", org_number=FJORDETATEN, scopes=frozenset({SCOPE})
    )


def test_an_outsiders_token_names_the_outsiders_organisation_never_another(
    issuer: Issuer,
) -> None:
    # Kystdirektoratet's client: the token says so, whatever else it claims.
    token = read_token(issuer.mint(org_number="981000022", client_id="kyst-sak", org="981000011"))
    assert (token.org_number, token.client_id) == ("981000022", "kyst-sak")


@pytest.mark.parametrize(
    "raw", ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "Bearer x", "\x00"]
)
def test_what_is_no_jwt_is_refused(issuer: Issuer, raw: str) -> None:
    assert refused(raw).status == 401


def test_an_unsigned_token_is_refused(issuer: Issuer) -> None:
    raw = jwt.encode({"iss": issuer.url, "scope": SCOPE}, "", algorithm="none")
    assert "RS256" in refused(raw).detail


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def test_a_token_signed_with_the_public_key_as_a_secret_is_refused(issuer: Issuer) -> None:
    # The classic confusion: HS256 with the issuer's public key as the shared secret.
    assert issuer.key is not None
    public = issuer.key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    # PyJWT will not make such a token; an attacker would, by hand.
    good = issuer.mint().split(".")
    header = _b64({"alg": "HS256", "kid": issuer.kid, "typ": "JWT"})
    signature = hmac.new(public, f"{header}.{good[1]}".encode(), hashlib.sha256).digest()
    raw = f"{header}.{good[1]}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    assert refused(raw).status == 401


def test_a_token_signed_by_a_key_that_is_not_the_issuers_is_refused(issuer: Issuer) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert refused(issuer.mint(key=stranger, kid="stranger")).detail == (
        "The token is not signed by a key of the issuer."
    )
    # The issuer's key id, and still not its signature.
    assert refused(issuer.mint(key=stranger)).detail == "The token's signature is not the issuer's."


def test_a_rotated_key_is_taken_up_and_the_old_one_no_longer_counts(issuer: Issuer) -> None:
    old = issuer.mint()
    assert read_token(old)
    fetched = issuer.jwks_fetches
    issuer.rotate()
    assert read_token(issuer.mint()).client_id == "fjordetaten-hr"
    assert issuer.jwks_fetches == fetched + 1  # the unknown kid fetched the keys again
    assert refused(old).status == 401


@pytest.mark.parametrize(
    ("claims", "detail"),
    [
        ({"exp": int(time.time()) - 120}, "The token has expired."),
        ({"iat": int(time.time()) + 600}, "The token was issued in the future."),
        ({"iss": "https://maskinporten.example/"}, "The token is from another issuer."),
    ],
    ids=["expired", "issued-in-the-future", "other-issuer"],
)
def test_times_and_issuer(issuer: Issuer, claims: dict[str, Any], detail: str) -> None:
    assert refused(issuer.mint(**claims)).detail == detail


def test_the_clock_may_be_off_by_the_leeway(issuer: Issuer, settings: Any) -> None:
    settings.MASKINPORTEN_CLOCK_LEEWAY = 30
    now = int(time.time())
    assert read_token(issuer.mint(exp=now - 10))
    assert read_token(issuer.mint(iat=now + 10))
    assert refused(issuer.mint(exp=now - 60)).detail == "The token has expired."


@pytest.mark.parametrize("claim", ["exp", "iat", "scope", "consumer", "client_id"])
def test_a_token_without_a_required_claim_is_refused(issuer: Issuer, claim: str) -> None:
    assert refused(issuer.mint(leave_out=(claim,))).detail == f"The token has no {claim} claim."


def test_the_audience_is_checked_when_it_is_set(issuer: Issuer, settings: Any) -> None:
    assert read_token(issuer.mint(aud="https://api.other.example"))  # not set: not asked
    settings.MASKINPORTEN_AUDIENCE = "https://kundesenter.example/api/v1/"
    assert read_token(issuer.mint(aud="https://kundesenter.example/api/v1/"))
    assert refused(issuer.mint(aud="https://api.other.example")).detail == (
        "The token is meant for another API."
    )
    assert refused(issuer.mint()).status == 401  # no aud at all


def test_a_token_without_the_apis_scope_is_forbidden(issuer: Issuer) -> None:
    wrong = refused(issuer.mint(scope="nav:aareg openid"))
    assert (wrong.status, wrong.error) == (403, "insufficient_scope")
    assert read_token(issuer.mint(scope=f"openid {SCOPE}")).scopes == {"openid", SCOPE}


@pytest.mark.parametrize(
    "consumer",
    [
        {"authority": "iso6523-actorid-upis", "ID": "0192:12345"},
        {"authority": "iso6523-actorid-upis", "ID": "9908:981000011"},
        {"ID": "0192:98100001X"},
        "0192:981000011",
        {},
    ],
)
def test_a_consumer_that_is_no_organisation_number_is_refused(
    issuer: Issuer, consumer: object
) -> None:
    assert "consumer" in refused(issuer.mint(consumer=consumer)).detail


def test_an_issuer_that_does_not_answer_is_a_503_not_a_500(issuer: Issuer) -> None:
    issuer.down()
    outage = refused(issuer.mint())
    assert (outage.status, outage.error) == (503, "temporarily_unavailable")


def test_metadata_that_names_another_issuer_is_not_used(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RFC 8414, 3.3: the metadata must name the issuer we trust, or its keys are not ours."""
    named = {**issuer.metadata(), "issuer": "https://someone-else.example/"}
    monkeypatch.setattr(issuer, "metadata", lambda: named)
    outage = refused(issuer.mint())
    assert (outage.status, outage.error) == (503, "temporarily_unavailable")


def test_without_an_issuer_the_api_takes_no_token(settings: Any) -> None:
    settings.MASKINPORTEN_ISSUER = ""
    assert refused("a.b.c").status == 401
