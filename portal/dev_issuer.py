"""A token issuer for development and tests that behaves like Maskinporten.

It publishes its authorization server metadata
(``/.well-known/oauth-authorization-server``) and its keys (``/jwk``) over
HTTP, as Maskinporten does, and mints client-credentials access tokens with a
``consumer`` claim, signed with RS256. ``manage.py dev_issuer`` serves it and
prints tokens (development only); the test suite runs one per test
(tests/issuer.py). It never runs with DEBUG off.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

METADATA_PATH = "/.well-known/oauth-authorization-server"
JWKS_PATH = "/jwk"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def stored_key(path: Path) -> rsa.RSAPrivateKey:
    """The key kept in ``path`` (made, readable by this user only, the first time)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = new_key().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.touch(mode=0o600)
        path.write_bytes(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey), f"{path} holds no RSA key"
    return key


def key_id(key: rsa.RSAPrivateKey) -> str:
    """The key's RFC 7638 thumbprint, shortened: the same key always has the same id."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    members = json.dumps({name: public[name] for name in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(members.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:16]


@dataclass
class DevIssuer:
    url: str
    key: rsa.RSAPrivateKey
    kid: str = ""
    answering: bool = True
    jwks_fetches: int = 0
    server: ThreadingHTTPServer | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.kid = self.kid or key_id(self.key)

    def rotate(self, key: rsa.RSAPrivateKey | None = None) -> None:
        """Publish a new key only (the old one withdrawn) and sign with it."""
        self.key = key or new_key()
        self.kid = key_id(self.key)

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def metadata(self) -> dict[str, Any]:
        # No token endpoint: tokens come from ``manage.py dev_issuer token``.
        return {"issuer": self.url, "jwks_uri": self.url.rstrip("/") + JWKS_PATH}

    def mint(
        self,
        *,
        org_number: str,
        client_id: str,
        scope: str | None,
        seconds: int = 120,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
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
            "exp": now + seconds,
            "jti": uuid.uuid4().hex,
            "scope": scope,
            **claims,
        }
        for name in leave_out:
            payload.pop(name, None)
        return jwt.encode(
            payload, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def serve(self, host: str, port: int) -> ThreadingHTTPServer:
        """Answer on ``host:port`` in a thread of this process; ``url`` becomes its address."""
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.url = f"http://{host}:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def _handler(issuer: DevIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if not issuer.answering:
                self.send_error(503)
                return
            if self.path == METADATA_PATH:
                body = issuer.metadata()
            elif self.path == JWKS_PATH:
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
