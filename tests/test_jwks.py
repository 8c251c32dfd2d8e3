"""One reader of an issuer's keys (portal.jwks), for the API's tokens and the login.

Against real issuers over HTTP (tests/issuer.py for the API, tests/oidc/ for the
login), counting what they are asked: the keys one process fetched serve every
other process through the shared cache; a rotated key is taken up at once; tokens
with made-up key ids make at most one fetch per cooldown; a failed fetch is never
kept, and never wipes the keys kept before it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core import checks
from django.test import Client
from django.utils import translation

from portal import oidc_provider
from portal.machine_tokens import TokenRefused, read_token
from tests.conftest import Cast
from tests.issuer import FJORDETATEN, Issuer
from tests.oidc.fixtures import assert_refused, log_in
from tests.oidc.support import TestProvider
from tests.processes import Processes

# Read in a process of its own, as another app process of the deployment would.
READ_IN_ANOTHER_PROCESS = """
import os, django
django.setup()
from portal.machine_tokens import read_token
token = read_token(os.environ["TOKEN"])
print("read", token.org_number, token.client_id)
"""


def refused(raw: str) -> TokenRefused:
    """Why ``raw`` is refused, in English (the API tells it in the language asked for)."""
    with translation.override("en"), pytest.raises(TokenRefused) as caught:
        read_token(raw)
    return caught.value


@pytest.fixture
def cooldown(issuer: Issuer, settings: Any) -> int:
    """The production default: an unknown key id fetches at most every 30 s."""
    settings.MASKINPORTEN_KEYS_COOLDOWN_SECONDS = 30
    return 30


# --- Shared by every process ------------------------------------------------------------


def test_keys_one_process_fetched_serve_another_process_without_a_fetch(
    issuer: Issuer, processes: Processes
) -> None:
    assert read_token(issuer.mint()).org_number == FJORDETATEN
    assert issuer.jwks_fetches == 1
    # Another app process, with Kystdirektoratet's client's token: the outsider's
    # token is read with the same keys and names the outsider's organisation.
    reader = processes.start(
        "reader",
        "-c",
        READ_IN_ANOTHER_PROCESS,
        TOKEN=issuer.mint(org_number="981000022", client_id="kyst-sak"),
        MASKINPORTEN_ISSUER=issuer.url,
        MASKINPORTEN_SCOPES="dfo:kundesenter",
    )
    assert reader.wait(timeout=60) == 0, processes.output()
    assert "read 981000022 kyst-sak" in processes.output()
    assert issuer.jwks_fetches == 1  # found in the cache: the issuer was not asked


def test_the_issuers_metadata_is_kept_in_the_cache_as_well(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_token(issuer.mint())
    gone = {"issuer": issuer.url, "jwks_uri": "http://127.0.0.1:9/gone"}
    monkeypatch.setattr(issuer, "metadata", lambda: gone)
    assert read_token(issuer.mint()).client_id == "fjordetaten-hr"  # the kept jwks_uri


# --- Rotation and the cooldown ----------------------------------------------------------


def test_a_rotated_key_is_taken_up_at_once_even_right_after_a_fetch(
    issuer: Issuer, cooldown: int
) -> None:
    read_token(issuer.mint())
    issuer.rotate()
    # Only fetches for an unknown key id count towards the cooldown, not the first.
    assert read_token(issuer.mint()).client_id == "fjordetaten-hr"
    assert issuer.jwks_fetches == 2
    # The fresh set is kept for everyone: the next token with the new key asks nobody.
    assert read_token(issuer.mint())
    assert issuer.jwks_fetches == 2


def test_made_up_key_ids_make_one_fetch_per_cooldown(issuer: Issuer, cooldown: int) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=True) as clock:
        read_token(issuer.mint())
        for _ in range(20):
            made_up = issuer.mint(key=stranger, kid=uuid.uuid4().hex)
            assert refused(made_up).detail == "The token is not signed by a key of the issuer."
        assert issuer.jwks_fetches == 2  # the first read, and one fresh look for them all
        # A rotation within the cooldown waits for it; the old key still counts meanwhile.
        old = issuer.mint()
        issuer.rotate()
        assert refused(issuer.mint()).status == 401
        assert read_token(old)
        assert issuer.jwks_fetches == 2
        clock.shift(dt.timedelta(seconds=cooldown + 1))
        assert read_token(issuer.mint()).client_id == "fjordetaten-hr"
        assert issuer.jwks_fetches == 3
        assert refused(old).status == 401  # withdrawn with the fetch that found the new key


# --- Failures are not kept ----------------------------------------------------------------


def test_a_failed_fetch_is_not_kept(issuer: Issuer) -> None:
    issuer.down()
    assert refused(issuer.mint()).status == 503
    issuer.answering = True
    assert read_token(issuer.mint()).client_id == "fjordetaten-hr"
    assert issuer.jwks_fetches == 1


def test_an_issuer_down_at_a_fresh_look_leaves_the_kept_keys_in_use(issuer: Issuer) -> None:
    good = issuer.mint()
    read_token(good)
    issuer.down()
    outage = refused(issuer.mint(kid="rotated-meanwhile"))
    assert (outage.status, outage.error) == (503, "temporarily_unavailable")
    assert read_token(good).client_id == "fjordetaten-hr"  # from the cache, unharmed


def test_keys_the_issuer_serves_broken_are_a_503_and_not_kept(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as broken:
        # Only a symmetric key: nothing the portal may verify with.
        broken.setattr(issuer, "jwks", lambda: {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})
        assert refused(issuer.mint()).status == 503
    assert read_token(issuer.mint()).client_id == "fjordetaten-hr"
    assert issuer.jwks_fetches == 2


def test_a_token_from_another_organisations_client_is_read_with_the_same_keys(
    issuer: Issuer,
) -> None:
    read_token(issuer.mint())
    outsider = read_token(issuer.mint(org_number="981000022", client_id="kyst-sak"))
    assert (outsider.org_number, issuer.jwks_fetches) == ("981000022", 1)


# --- The login reads its provider's keys the same way -------------------------------------


def test_the_logins_made_up_key_ids_make_one_fetch_per_cooldown(
    accounts: Cast, oidc: TestProvider, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "en"  # the refusal page, as assert_refused reads it
    oidc.misbehave(sign_with="unknown")
    for _ in range(3):
        client = Client()
        assert_refused(client, log_in(client, oidc, "sub-kari"))
    assert oidc.requests_for("/jwks") == 2  # the first, and one fresh look for all three


def test_the_logins_cooldown_is_a_setting_and_never_negative(settings: Any) -> None:
    settings.OIDC_ENABLED = True
    settings.OIDC_OP_ISSUER = "https://login.example"
    settings.OIDC_RP_CLIENT_ID = "kundesenter"
    settings.OIDC_RP_CLIENT_SECRET = "s3cret"
    settings.OIDC_KEYS_COOLDOWN_SECONDS = -1
    found = oidc_provider.check_configuration()
    assert [(type(error), error.id) for error in found] == [(checks.Error, "portal.E107")]
    assert "OIDC_KEYS_COOLDOWN_SECONDS" in found[0].msg
