"""What the provider answers, and what the portal makes of it (finding 7 of issue 12).

The suite's provider (tests/oidc/provider.mjs) is told to misbehave: a clock that is
off, tokens without kid or signed with a key it does not publish, a token response
without an ID token, a JWKS endpoint that serves something else. Every answer the
portal cannot trust ends on the login page with "The login did not succeed" and a
line in the log; none is a 500. A provider with a sloppy but harmless habit (a clock
2 s ahead, no kid when it has one key) still lets people in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import ec as ec_key
from cryptography.hazmat.primitives.asymmetric import rsa as rsa_key
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from portal import oidc_provider
from portal.models import User
from tests.conftest import Cast
from tests.oidc.fixtures import (
    assert_refused,
    configure_portal,
    log_in,
    refusals,
    start_login,
)
from tests.oidc.support import TestProvider, browser


@pytest.fixture(autouse=True)
def _english_by_default(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def assert_logged_in(client: Client, response: Any, cast: Cast) -> None:
    assert response.status_code == 302
    assert response["Location"] == reverse("start")
    assert client.session[SESSION_KEY] == str(cast.kari.pk)


def refused_login(
    client: Client, oidc: TestProvider, caplog: pytest.LogCaptureFixture, *, says: str
) -> None:
    """Kari logs in at the provider; the portal refuses the answer, says so, logs why."""
    caplog.set_level("WARNING")
    assert_refused(client, log_in(client, oidc, "sub-kari"))
    logged = refusals(caplog)
    assert any(says in line for line in logged), logged


# --- The ID token's times -------------------------------------------------------------


def test_an_expired_id_token_is_refused(
    accounts: Cast, oidc: TestProvider, caplog: pytest.LogCaptureFixture
) -> None:
    oidc.misbehave(times={"exp": -120})  # two minutes ago: beyond the minute's leeway
    refused_login(Client(), oidc, caplog, says="expired")


def test_an_id_token_issued_in_the_future_is_refused(
    accounts: Cast, oidc: TestProvider, caplog: pytest.LogCaptureFixture
) -> None:
    oidc.misbehave(clock_skew=300)
    refused_login(Client(), oidc, caplog, says="not yet valid")


def test_an_id_token_not_valid_until_later_is_refused(
    accounts: Cast, oidc: TestProvider, caplog: pytest.LogCaptureFixture
) -> None:
    oidc.misbehave(times={"nbf": 300})
    refused_login(Client(), oidc, caplog, says="not yet valid")


def test_a_provider_whose_clock_is_two_seconds_ahead_still_lets_people_in(
    accounts: Cast, oidc: TestProvider
) -> None:
    oidc.misbehave(clock_skew=2)
    client = Client()
    assert_logged_in(client, log_in(client, oidc, "sub-kari"), accounts)


def test_a_token_that_expired_within_the_leeway_is_accepted(
    accounts: Cast, oidc: TestProvider
) -> None:
    oidc.misbehave(times={"exp": -30})
    client = Client()
    assert_logged_in(client, log_in(client, oidc, "sub-kari"), accounts)


def test_the_clock_leeway_is_a_setting(
    accounts: Cast, oidc: TestProvider, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.OIDC_CLOCK_LEEWAY = 0
    oidc.misbehave(clock_skew=2)
    refused_login(Client(), oidc, caplog, says="not yet valid")


# --- The ID token's signature ---------------------------------------------------------


def test_a_token_without_kid_is_accepted_when_the_provider_has_one_key(
    accounts: Cast, oidc: TestProvider
) -> None:
    oidc.misbehave(kid=None)
    client = Client()
    assert_logged_in(client, log_in(client, oidc, "sub-kari"), accounts)


def test_a_token_without_kid_is_refused_when_the_provider_has_several_keys(
    accounts: Cast, oidc: TestProvider, caplog: pytest.LogCaptureFixture
) -> None:
    oidc.misbehave(kid=None, jwks="two-keys")
    refused_login(Client(), oidc, caplog, says="no kid")


def test_a_token_signed_by_a_key_not_in_the_jwks_is_refused_after_one_fresh_look(
    accounts: Cast, oidc: TestProvider, caplog: pytest.LogCaptureFixture
) -> None:
    oidc.misbehave(sign_with="unknown")
    refused_login(Client(), oidc, caplog, says="unknown-key")
    assert oidc.requests_for("/jwks") == 2  # the cached keys, then once more for a rotation


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(
    accounts: Cast, oidc: TestProvider, caplog: pytest.LogCaptureFixture
) -> None:
    oidc.misbehave(sign_with="unknown", kid="test-key")
    refused_login(Client(), oidc, caplog, says="signature")


def test_an_unsigned_token_is_refused(
    accounts: Cast, oidc: TestProvider, caplog: pytest.LogCaptureFixture
) -> None:
    oidc.misbehave(alg="none")
    refused_login(Client(), oidc, caplog, says="'none'")


def test_the_keys_are_fetched_once_and_again_when_the_provider_rotates_them(
    accounts: Cast, oidc: TestProvider
) -> None:
    for _ in range(2):
        client = Client()
        assert_logged_in(client, log_in(client, oidc, "sub-kari"), accounts)
    assert oidc.requests_for("/jwks") == 1  # cached for the second login
    oidc.misbehave(sign_with="second", jwks="both")  # a new key, published with the old
    client = Client()
    assert_logged_in(client, log_in(client, oidc, "sub-kari"), accounts)
    assert oidc.requests_for("/jwks") == 1  # the unknown kid made the portal look again


def test_a_signed_userinfo_answer_is_verified_like_the_id_token(
    accounts: Cast, oidc: TestProvider, caplog: pytest.LogCaptureFixture
) -> None:
    oidc.set_claims("sub-kari", email="kari.signed@fjordetaten.example")
    oidc.misbehave(userinfo="signed")
    client = Client()
    assert_logged_in(client, log_in(client, oidc, "sub-kari"), accounts)
    assert User.objects.get(pk=accounts.kari.pk).email == "kari.signed@fjordetaten.example"
    oidc.misbehave(userinfo="signed-elsewhere")
    refused_login(Client(), oidc, caplog, says="unknown-key")


def jwks_answer(monkeypatch: pytest.MonkeyPatch, *keys: dict[str, Any]) -> None:
    """The provider's JWKS as ``keys``, without asking it (for sets it cannot be made to
    serve)."""
    monkeypatch.setattr(oidc_provider, "fetch_json", lambda url, what: {"keys": list(keys)})


def test_only_public_signing_keys_for_the_algorithm_count(
    db: None, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.OIDC_OP_JWKS_ENDPOINT = "https://login.example/jwks"
    for name in ("OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT"):
        setattr(settings, name, "https://login.example/x")
    settings.OIDC_OP_USER_ENDPOINT = "https://login.example/me"
    rsa = jwt.algorithms.RSAAlgorithm.to_jwk(
        rsa_key.generate_private_key(65537, 2048).public_key(), as_dict=True
    )
    ec = jwt.algorithms.ECAlgorithm.to_jwk(
        ec_key.generate_private_key(ec_key.SECP256R1()).public_key(), as_dict=True
    )
    jwks_answer(
        monkeypatch,
        {**rsa, "kid": "for-encryption", "use": "enc"},
        {**rsa, "kid": "for-another-alg", "alg": "RS512"},
        {**ec, "kid": "elliptic"},
        {"kty": "oct", "k": "c2VjcmV0", "kid": "symmetric"},
        {**rsa, "kid": "the-one"},
    )
    assert oidc_provider.signing_key("RS256", None).key_id == "the-one"
    assert oidc_provider.signing_key("ES256", "elliptic").key_id == "elliptic"
    with pytest.raises(oidc_provider.LoginFailed, match="no key 'symmetric'"):
        oidc_provider.signing_key("RS256", "symmetric")
    jwks_answer(monkeypatch, {**rsa, "kid": "twice"}, {**rsa, "kid": "twice"})
    cache.clear()
    with pytest.raises(oidc_provider.LoginFailed, match="several keys with kid 'twice'"):
        oidc_provider.signing_key("RS256", "twice")


# --- Broken answers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quirks", "says"),
    [
        ({"id_token": "omit"}, "no ID token"),
        ({"id_token": "garbage"}, "ID token"),
        ({"token": "not-json"}, "token"),
        ({"jwks": "discovery"}, "JWKS"),
        ({"jwks": "not-json"}, "JWKS"),
        ({"jwks": "error"}, "500"),
        ({"jwks": "private"}, "no key the portal can use"),
        ({"userinfo": "error"}, "500"),
        ({"userinfo": "not-json"}, "userinfo"),
    ],
    ids=[
        "token-response-without-id-token",
        "id-token-that-is-no-jwt",
        "token-response-not-json",
        "jwks-endpoint-serving-the-discovery-document",
        "jwks-endpoint-serving-html",
        "jwks-endpoint-failing",
        "jwks-endpoint-serving-a-private-key",
        "userinfo-endpoint-failing",
        "userinfo-endpoint-serving-html",
    ],
)
def test_a_broken_answer_from_the_provider_is_refused(
    accounts: Cast,
    oidc: TestProvider,
    caplog: pytest.LogCaptureFixture,
    quirks: dict[str, Any],
    says: str,
) -> None:
    oidc.misbehave(**quirks)
    refused_login(Client(), oidc, caplog, says=says)


# --- Endpoints from the discovery document ----------------------------------------------

DISCOVERY = "/.well-known/openid-configuration"


@pytest.fixture
def discovered(settings: Any, oidc: TestProvider) -> TestProvider:
    """The portal told only the issuer, the client id and the secret."""
    configure_portal(settings, oidc, endpoints=False)
    return oidc


def test_issuer_client_and_secret_are_enough_to_log_in_and_out(
    accounts: Cast, discovered: TestProvider
) -> None:
    for _ in range(2):
        client = Client()
        assert_logged_in(client, log_in(client, discovered, "sub-kari"), accounts)
    assert discovered.requests_for(DISCOVERY) == 1  # cached after the first use
    assert discovered.requests_for("/jwks") == 1
    response = client.post(reverse("portal:logout"))
    assert response["Location"].startswith(f"{discovered.issuer}/session/end?")


def test_the_discovery_document_is_fetched_again_when_its_time_is_up(
    accounts: Cast, discovered: TestProvider, settings: Any
) -> None:
    settings.OIDC_PROVIDER_CACHE_SECONDS = 600
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=True) as clock:
        Client().get("/oidc/authenticate/")
        clock.shift(dt.timedelta(seconds=601))
        Client().get("/oidc/authenticate/")
    assert discovered.requests_for(DISCOVERY) == 2


def test_a_discovery_url_can_be_given_and_endpoints_set_beside_it_win(
    accounts: Cast, discovered: TestProvider, settings: Any
) -> None:
    settings.OIDC_OP_DISCOVERY_URL = f"{discovered.issuer}{DISCOVERY}"
    settings.OIDC_OP_LOGOUT_ENDPOINT = "https://logout.example/end"
    client = Client()
    assert_logged_in(client, log_in(client, discovered, "sub-kari"), accounts)
    response = client.post(reverse("portal:logout"))
    assert response["Location"].startswith("https://logout.example/end?")


@pytest.mark.parametrize(
    ("quirks", "says"),
    [
        ({"discovery": {"issuer": "https://evil.example"}}, "issuer"),
        ({"discovery": {"token_endpoint": None}}, "token_endpoint"),
        ({"discovery": "error"}, "503"),
    ],
    ids=["another-issuer", "without-token-endpoint", "provider-down"],
)
def test_a_discovery_document_the_portal_cannot_use_ends_on_the_failure_page(
    accounts: Cast,
    discovered: TestProvider,
    caplog: pytest.LogCaptureFixture,
    quirks: dict[str, Any],
    says: str,
) -> None:
    caplog.set_level("WARNING")
    discovered.misbehave(**quirks)
    client = Client()
    assert_refused(client, client.get("/oidc/authenticate/"))
    assert any(says in line for line in refusals(caplog)), refusals(caplog)
    # A failure is not remembered: once the provider answers properly, people get in.
    discovered.misbehave()
    assert_logged_in(client, log_in(client, discovered, "sub-kari"), accounts)


def test_a_provider_nobody_answers_for_ends_on_the_failure_page(
    accounts: Cast, discovered: TestProvider, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING")
    settings.OIDC_OP_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    client = Client()
    assert_refused(client, client.get("/oidc/authenticate/"))
    assert refusals(caplog)


def test_the_provider_going_down_during_a_login_ends_on_the_failure_page(
    accounts: Cast, discovered: TestProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING")
    client = Client()
    authorize_url = start_login(client)
    callback = discovered.log_in(authorize_url, "sub-kari", browser())
    cache.clear()  # what the portal knew about the provider is gone
    discovered.misbehave(discovery="error")
    assert_refused(client, client.get(callback))
    assert any("503" in line for line in refusals(caplog))


def test_logout_while_the_provider_is_down_still_logs_out_here(
    accounts: Cast, discovered: TestProvider
) -> None:
    client = Client()
    log_in(client, discovered, "sub-kari")
    cache.clear()
    discovered.misbehave(discovery="error")
    response = client.post(reverse("portal:logout"))
    assert response["Location"] == reverse("portal:login")
    assert SESSION_KEY not in client.session


def test_a_discovered_endpoint_the_csp_would_block_is_logged(
    accounts: Cast, discovered: TestProvider, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.CONTENT_SECURITY_POLICY = settings.CONTENT_SECURITY_POLICY.replace(
        f" {discovered.issuer}", ""
    )
    caplog.set_level("WARNING")
    Client().get("/oidc/authenticate/")
    assert any("outside the CSP's form-action" in line for line in refusals(caplog))
