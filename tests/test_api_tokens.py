"""Every negative of the API's authentication (issue 17, point 2), through the API itself:
a real issuer on 127.0.0.1 (tests/issuer.py), and each refusal a 401, 403 or 503 with a
problem+json body and, for a token refused, ``WWW-Authenticate`` (RFC 6750). Never a 500.

How each claim is read is tests/test_machine_tokens.py; here, what a system is told.
The outsider is Kystdirektoratet's system with a good token (its own organisation,
where it is not registered); the plain member is Per, logged in to the portal.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from django.test import Client

from portal.dev_issuer import new_key
from tests.api_helpers import P, problem, register
from tests.conftest import Cast, client_for
from tests.issuer import Issuer

CASES = "/api/v1/cases/"


@pytest.fixture
def registered(cast: Cast, issuer: Issuer) -> None:
    register(cast.fjordetaten, "fjordetaten-hr", P.READ_OWN, by=cast.kari)


def ask(token: str | None, header: str | None = None, language: str = "en") -> Any:
    headers = {"Accept-Language": language}
    if header is not None:
        headers["Authorization"] = header
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return Client().get(CASES, headers=headers)


def refused(response: Any, status: int, error: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = problem(response)
    challenge = response.get("WWW-Authenticate", "")
    if status == 401 or error == "insufficient_scope":
        assert challenge.startswith('Bearer realm="kundesenter"')
    if error:
        assert f'error="{error}"' in challenge
    return body


def test_a_good_token_of_a_registered_system_is_let_in(registered: None, issuer: Issuer) -> None:
    assert ask(issuer.mint()).status_code == 200


def test_no_token(registered: None) -> None:
    body = refused(ask(None), 401, None)
    assert "Bearer" in body["detail"]


@pytest.mark.parametrize("header", ["Basic a2FyaTpoZW1tZWxpZw==", "Bearer", "Bearer   ", "Token x"])
def test_not_a_bearer_token(registered: None, header: str) -> None:
    refused(ask(None, header=header), 401, "invalid_request")


@pytest.mark.parametrize("raw", ["x", "a.b.c", "e30.e30.", "\u00e6\u00f8\u00e5"])
def test_not_a_jwt(registered: None, raw: str) -> None:
    refused(ask(raw), 401, "invalid_token")


def test_unsigned_and_symmetric_tokens(registered: None, issuer: Issuer) -> None:
    good = jwt.decode(issuer.mint(), options={"verify_signature": False})
    unsigned = jwt.encode(good, "", algorithm="none")
    refused(ask(unsigned), 401, "invalid_token")
    forged = jwt.encode(good, "a-shared-secret-of-32-characters", algorithm="HS256")
    refused(ask(forged), 401, "invalid_token")


def test_signed_by_another_key(registered: None, issuer: Issuer) -> None:
    body = refused(ask(issuer.mint(key=new_key())), 401, "invalid_token")
    assert "issuer" in body["detail"] or "key" in body["detail"]


def test_expired_and_from_the_future(registered: None, issuer: Issuer) -> None:
    body = refused(ask(issuer.mint(seconds=-120)), 401, "invalid_token")
    assert "expired" in body["detail"]
    future = issuer.mint(iat=int(time.time()) + 3600, seconds=7200)
    refused(ask(future), 401, "invalid_token")


def test_the_reason_is_told_in_the_language_asked_for(registered: None, issuer: Issuer) -> None:
    expired = issuer.mint(seconds=-120)
    norwegian = problem(ask(expired, language="nb"))
    assert (norwegian["title"], norwegian["detail"]) == (
        "Tokenet ble ikke godtatt",
        "Tokenet har utløpt.",
    )
    assert problem(ask(expired, language="nn"))["detail"] == "Tokenet har gått ut."
    assert problem(ask(expired, language="en"))["detail"] == "The token has expired."


def test_another_issuer(registered: None, issuer: Issuer) -> None:
    body = refused(ask(issuer.mint(iss="https://maskinporten.example/")), 401, "invalid_token")
    assert "issuer" in body["detail"]


def test_another_audience(registered: None, issuer: Issuer, settings: Any) -> None:
    settings.MASKINPORTEN_AUDIENCE = "https://kundesenter.example/api"
    refused(ask(issuer.mint(aud="https://other.example/")), 401, "invalid_token")
    assert ask(issuer.mint(aud="https://kundesenter.example/api")).status_code == 200


def test_a_wrong_scope_is_forbidden(registered: None, issuer: Issuer) -> None:
    body = refused(ask(issuer.mint(scope="nav:aareg")), 403, "insufficient_scope")
    assert "scope" in body["detail"]
    assert 'scope="dfo:kundesenter"' in ask(issuer.mint(scope="nav:aareg"))["WWW-Authenticate"]


@pytest.mark.parametrize("claim", ["consumer", "client_id", "scope", "exp", "iat", "iss"])
def test_a_missing_claim(registered: None, issuer: Issuer, claim: str) -> None:
    refused(ask(issuer.mint(leave_out=(claim,))), 401, "invalid_token")


def test_a_consumer_that_is_no_organisation_number(registered: None, issuer: Issuer) -> None:
    token = issuer.mint(consumer={"authority": "iso6523-actorid-upis", "ID": "0192:12345"})
    refused(ask(token), 401, "invalid_token")


def test_a_good_token_of_an_unregistered_system_is_forbidden(
    cast: Cast, registered: None, issuer: Issuer
) -> None:
    """The outsider: a good token for Kystdirektoratet, where this client is not registered,
    and a client id Fjordetaten has not registered."""
    for token in (
        issuer.mint(org_number=cast.kystdir.org_number),
        issuer.mint(client_id="someone-else"),
    ):
        response = ask(token)
        assert response.status_code == 403
        assert "Min side" in problem(response)["detail"]


def test_the_issuer_down_is_a_503_with_retry_after(registered: None, issuer: Issuer) -> None:
    token = issuer.mint(kid="a-key-id-we-do-not-have")
    issuer.down()
    response = ask(token)
    assert response.status_code == 503
    assert response["Retry-After"]
    problem(response)


def test_a_person_in_the_portal_gets_no_api_through_their_session(
    cast: Cast, registered: None
) -> None:
    """The plain member (and the orderer) logged in to the portal: a session is not a token."""
    for person in (cast.per, cast.kari):
        response = client_for(person).get(CASES)
        assert response.status_code == 401
        problem(response)
