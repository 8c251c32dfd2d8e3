"""A small token issuer that behaves like Maskinporten, on 127.0.0.1, for the API's tests.

It serves its authorization server metadata and its JWKS over HTTP, as
Maskinporten does, and mints client-credentials access tokens with a
``consumer`` claim, signed with RS256 by its current key. ``rotate()`` makes
a new key and publishes only it; ``down()`` stops answering.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

SCOPE = "dfo:kundesenter"


def _new_key() -> tuple[str, rsa.RSAPrivateKey]:
    return uuid.uuid4().hex[:12], rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Issuer:
    url: str = ""
    kid: str = ""
    key: rsa.RSAPrivateKey | None = None
    answering: bool = True
    jwks_fetches: int = 0
    server: ThreadingHTTPServer | None = field(default=None, repr=False)

    def rotate(self) -> None:
        self.kid, self.key = _new_key()

    def down(self) -> None:
        self.answering = False

    def jwks(self) -> dict[str, Any]:
        assert self.key is not None
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def mint(
        self,
        *,
        org_number: str = "981000011",
        client_id: str = "fjordetaten-hr",
        scope: str | None = SCOPE,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        algorithm: str = "RS256",
        leave_out: tuple[str, ...] = (),
        **claims: Any,
    ) -> str:
        """An access token as Maskinporten issues it; ``claims`` replace the usual ones."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.url,
            "client_amr": "private_key_jwt",
            "token_type": "Bearer",
            "client_id": client_id,
            "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{org_number}"},
            "iat": now,
            "exp": now + 120,
            "jti": uuid.uuid4().hex,
            "scope": scope,
            **claims,
        }
        for name in leave_out:
            payload.pop(name, None)
        signing_key: Any = key or self.key
        return jwt.encode(
            payload, signing_key, algorithm=algorithm, headers={"kid": kid or self.kid}
        )


def _handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if not issuer.answering:
                self.send_error(503)
                return
            if self.path == "/.well-known/oauth-authorization-server":
                body: dict[str, Any] = {"issuer": issuer.url, "jwks_uri": issuer.url + "jwk"}
            elif self.path == "/jwk":
                issuer.jwks_fetches += 1
                body = issuer.jwks()
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def issuer(settings: Any) -> Iterator[Issuer]:
    """The issuer, running, with the portal set to take its tokens."""
    from portal import machine_tokens

    made = Issuer()
    made.rotate()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(made))
    made.server = server
    made.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    settings.MASKINPORTEN_ISSUER = made.url
    settings.MASKINPORTEN_JWKS_URL = ""
    settings.MASKINPORTEN_AUDIENCE = ""
    settings.MASKINPORTEN_SCOPES = [SCOPE]
    settings.MASKINPORTEN_KEYS_COOLDOWN_SECONDS = 0  # a rotation is seen at once
    # Each test's issuer has its own address; nothing of another test's is kept.
    machine_tokens._keys.cache_clear()
    machine_tokens._metadata_jwks_url.cache_clear()
    try:
        yield made
    finally:
        server.shutdown()
        server.server_close()
        machine_tokens._keys.cache_clear()
        machine_tokens._metadata_jwks_url.cache_clear()
