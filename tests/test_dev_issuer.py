"""manage.py dev_issuer: the development issuer serves its keys and mints tokens the portal
takes, with one key kept on disk; never with DEBUG off."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client

from portal.dev_issuer import JWT_BEARER, DevClient, make_grant, new_key
from portal.machine_tokens import read_token
from tests.api_helpers import P, register
from tests.conftest import Cast
from tests.issuer import FJORDETATEN, SCOPE, Issuer
from tests.processes import Processes, free_port, wait_for


def _token(*args: str) -> str:
    out = StringIO()
    call_command("dev_issuer", "token", *args, stdout=out)
    return out.getvalue().strip()


def test_it_refuses_to_run_with_debug_off(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        _token()


def test_a_token_it_mints_is_taken_by_the_portal_with_the_key_it_serves(
    processes: Processes, settings: Any, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    settings.MASKINPORTEN_ISSUER = url
    settings.MASKINPORTEN_JWKS_URL = ""
    settings.MASKINPORTEN_AUDIENCE = ""
    processes.start(
        "issuer", "manage.py", "dev_issuer", "serve",
        DEBUG="1", VAR_DIR=str(tmp_path), MASKINPORTEN_ISSUER=url,
    )  # fmt: skip

    def metadata() -> Any:
        try:
            return requests.get(url + ".well-known/oauth-authorization-server", timeout=2).json()
        except requests.RequestException:
            return None

    assert wait_for(metadata, what=lambda: processes.output())["jwks_uri"] == url + "jwk"
    cache.clear()  # nothing kept from another issuer at this address
    # Fjordetaten's client, by default; another organisation's when asked: the token
    # names the organisation it was minted for, and only that one.
    own = read_token(_token())
    assert (own.org_number, own.client_id) == ("974000016", "demo-hr")
    assert own.scopes == set(settings.MASKINPORTEN_SCOPES)
    other = read_token(_token("--org", "974000024", "--client", "kyst-sak"))
    assert (other.org_number, other.client_id) == ("974000024", "kyst-sak")
    assert (tmp_path / "dev-issuer" / "key.pem").stat().st_mode & 0o077 == 0
    # As a system does it: the demo's HR system (registered when the issuer started)
    # signs a grant with its own key and asks the token endpoint for a token.
    grant = StringIO()
    call_command("dev_issuer", "grant", stdout=grant)
    form = {"grant_type": JWT_BEARER, "assertion": grant.getvalue().strip()}
    answer = requests.post(url + "token", data=form, timeout=5)
    assert answer.status_code == 200, answer.text
    asked = read_token(answer.json()["access_token"])
    assert (asked.org_number, asked.client_id) == ("974000016", "demo-hr")
    # Another client is registered the same way; one never registered gets no grant.
    call_command("dev_issuer", "client", "--client", "kyst-sak", "--org", "974000024")
    call_command("dev_issuer", "grant", "--client", "kyst-sak", stdout=StringIO())
    with pytest.raises(CommandError, match="dev_issuer client"):
        call_command("dev_issuer", "grant", "--client", "ukjent", stdout=StringIO())
    with pytest.raises(CommandError, match="letters"):
        call_command("dev_issuer", "client", "--client", "../ut", stdout=StringIO())


# --- The token endpoint: a client's JWT grant for an access token, as Maskinporten -----


@pytest.fixture
def hr_client(issuer: Issuer) -> tuple[DevClient, rsa.RSAPrivateKey]:
    """Fjordetaten's HR system as Maskinporten knows it, with its own key."""
    key = new_key()
    client = DevClient("fjordetaten-hr", FJORDETATEN, key.public_key(), frozenset([SCOPE]))
    issuer.clients[client.client_id] = client
    return client, key


def _ask(issuer: Issuer, assertion: str, grant_type: str = JWT_BEARER) -> requests.Response:
    form = {"grant_type": grant_type, "assertion": assertion}
    return requests.post(issuer.url + "token", data=form, timeout=5)


def _grant(issuer: Issuer, signing_key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    fields: dict[str, Any] = {
        "client_id": "fjordetaten-hr",
        "key": signing_key,
        "audience": issuer.url,
        "scope": SCOPE,
        **overrides,
    }
    return make_grant(**fields)


def test_a_registered_client_gets_a_token_the_api_takes(
    cast: Cast, issuer: Issuer, hr_client: tuple[DevClient, rsa.RSAPrivateKey]
) -> None:
    metadata = requests.get(issuer.url + ".well-known/oauth-authorization-server", timeout=5)
    assert metadata.json()["token_endpoint"] == issuer.url + "token"
    answer = _ask(issuer, _grant(issuer, hr_client[1]))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 120, SCOPE)
    assert answer.headers["Cache-Control"] == "no-store"
    token = read_token(body["access_token"])
    assert (token.org_number, token.client_id) == (FJORDETATEN, "fjordetaten-hr")
    # Registered in the portal, the system is let in with it; unregistered, it is not.
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert Client().get("/api/v1/subject-areas/", headers=bearer).status_code == 403
    register(cast.fjordetaten, "fjordetaten-hr", P.FILE_PAYROLL, by=cast.kari)
    assert Client().get("/api/v1/subject-areas/", headers=bearer).status_code == 200


def test_the_outsiders_client_gets_a_token_for_its_own_organisation_only(
    cast: Cast, issuer: Issuer
) -> None:
    """Kystdirektoratet's system, even under the client id Fjordetaten registered."""
    register(cast.fjordetaten, "fjordetaten-hr", P.READ_OWN, by=cast.kari)
    key = new_key()
    issuer.clients["fjordetaten-hr"] = DevClient(
        "fjordetaten-hr", cast.kystdir.org_number, key.public_key(), frozenset([SCOPE])
    )
    answer = _ask(issuer, _grant(issuer, key))
    assert read_token(answer.json()["access_token"]).org_number == cast.kystdir.org_number
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert Client().get("/api/v1/cases/", headers=bearer).status_code == 403


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"audience": "https://maskinporten.no/"}, "invalid_grant"),
        ({"seconds": -60}, "invalid_grant"),  # expired
        ({"seconds": 600}, "invalid_grant"),  # longer than Maskinporten takes
        ({"scope": "dfo:noe-annet"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"key": "other"}, "invalid_grant"),  # signed with a key that is not the client's
        ({"kid": "not-the-clients"}, "invalid_grant"),
        ({"client_id": "unknown"}, "invalid_client"),
    ],
)
def test_a_grant_that_is_not_good_is_refused_with_the_reason(
    issuer: Issuer,
    hr_client: tuple[DevClient, rsa.RSAPrivateKey],
    overrides: dict[str, Any],
    error: str,
) -> None:
    if overrides.get("key") == "other":
        overrides = {**overrides, "key": new_key(), "kid": hr_client[0].kid}
    answer = _ask(issuer, _grant(issuer, hr_client[1], **overrides))
    assert answer.status_code == (401 if error == "invalid_client" else 400)
    assert answer.json()["error"] == error
    assert answer.json()["error_description"]


def test_a_grant_is_used_once_and_only_the_jwt_bearer_grant_is_taken(
    issuer: Issuer, hr_client: tuple[DevClient, rsa.RSAPrivateKey]
) -> None:
    grant = _grant(issuer, hr_client[1])
    assert _ask(issuer, grant, grant_type="client_credentials").json()["error"] == (
        "unsupported_grant_type"
    )
    assert _ask(issuer, "not a jwt").json()["error"] == "invalid_request"
    assert _ask(issuer, grant).status_code == 200
    again = _ask(issuer, grant)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
