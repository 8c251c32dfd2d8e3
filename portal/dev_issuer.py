"""A token issuer for development and tests that behaves like Maskinporten.

It publishes its authorization server metadata
(``/.well-known/oauth-authorization-server``) and its keys (``/jwk``) over
HTTP, as Maskinporten does, and mints client-credentials access tokens with a
``consumer`` claim, signed with RS256. Like Maskinporten it has a token
endpoint (``/token``) for the JWT-bearer grant: a registered client signs a
short grant with its own key and gets an access token for its organisation.
``manage.py dev_issuer`` serves it, registers clients, and prints grants and
tokens (development only); the test suite runs one per test (tests/issuer.py).
It never runs with DEBUG off.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

METADATA_PATH = "/.well-known/oauth-authorization-server"
JWKS_PATH = "/jwk"
TOKEN_PATH = "/token"  # noqa: S105 (an address, not a secret)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRANT_MAX_SECONDS = 120  # Maskinporten takes a grant valid for at most two minutes
TOKEN_SECONDS = 120  # and its access tokens live that long by default
GRANT_MAX_BYTES = 64 * 1024
CLIENT_FILE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


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


def key_id(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    """The key's RFC 7638 thumbprint, shortened: the same key always has the same id."""
    if isinstance(key, rsa.RSAPrivateKey):
        key = key.public_key()
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    members = json.dumps({name: public[name] for name in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(members.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:16]


@dataclass(frozen=True)
class DevClient:
    """A client as Maskinporten knows it: its id, the organisation that owns it, the
    public key it signs its grants with, and the scopes it may ask for."""

    client_id: str
    org_number: str
    key: rsa.RSAPublicKey
    scopes: frozenset[str]

    @property
    def kid(self) -> str:
        return key_id(self.key)


def make_grant(
    *,
    client_id: str,
    key: rsa.RSAPrivateKey,
    audience: str,
    scope: str,
    seconds: int = 60,
    kid: str | None = None,
    **claims: Any,
) -> str:
    """The JWT grant a client sends to the token endpoint, signed with its own key."""
    now = int(time.time())
    payload = {
        "iss": client_id,
        "aud": audience,
        "scope": scope,
        "iat": now,
        "exp": now + seconds,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid or key_id(key)})


class GrantRefused(Exception):
    """An RFC 6749 error answer of the token endpoint."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass
class DevIssuer:
    url: str
    key: rsa.RSAPrivateKey
    kid: str = ""
    answering: bool = True
    jwks_fetches: int = 0
    clients: dict[str, DevClient] = field(default_factory=dict)
    # Where ``manage.py dev_issuer client`` keeps the clients it registers, if anywhere.
    clients_dir: Path | None = None
    used_grants: set[str] = field(default_factory=set, repr=False)
    _grants_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
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
        base = self.url.rstrip("/")
        return {
            "issuer": self.url,
            "jwks_uri": base + JWKS_PATH,
            "token_endpoint": base + TOKEN_PATH,
            "grant_types_supported": [JWT_BEARER],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        }

    def client(self, client_id: str) -> DevClient | None:
        """A registered client: one given to this issuer, or one kept in ``clients_dir``."""
        if client_id in self.clients:
            return self.clients[client_id]
        if self.clients_dir is None or not CLIENT_FILE_NAME.match(client_id):
            return None
        return read_client(self.clients_dir, client_id)

    def exchange(self, form: dict[str, str]) -> dict[str, Any]:
        """The token endpoint: a JWT-bearer grant for an access token, as Maskinporten
        answers it, or ``GrantRefused``."""
        if form.get("grant_type") != JWT_BEARER:
            raise GrantRefused("unsupported_grant_type", f"grant_type must be {JWT_BEARER}")
        assertion = form.get("assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise GrantRefused("invalid_request", "assertion is not a JWT") from None
        client = self.client(str(unverified.get("iss", "")))
        if client is None:
            raise GrantRefused("invalid_client", "the grant's iss is no registered client", 401)
        if header.get("alg") != "RS256" or header.get("kid") != client.kid:
            raise GrantRefused("invalid_grant", "the grant is not signed with the client's key")
        try:
            claims = jwt.decode(
                assertion,
                client.key,
                algorithms=["RS256"],
                audience=self.url,
                leeway=10,
                options={"require": ["iss", "aud", "iat", "exp", "jti", "scope"]},
            )
        except jwt.PyJWTError as problem:
            raise GrantRefused("invalid_grant", f"the grant is not valid: {problem}") from None
        if int(claims["exp"]) - int(claims["iat"]) > GRANT_MAX_SECONDS:
            raise GrantRefused("invalid_grant", f"a grant lives {GRANT_MAX_SECONDS} s at most")
        asked = set(str(claims["scope"]).split())
        if not asked or not asked <= client.scopes:
            raise GrantRefused("invalid_scope", "the client may not ask for that scope")
        with self._grants_lock:
            if claims["jti"] in self.used_grants:
                raise GrantRefused("invalid_grant", "this grant (its jti) was used before")
            self.used_grants.add(claims["jti"])
        scope = " ".join(sorted(asked))
        token = self.mint(
            org_number=client.org_number,
            client_id=client.client_id,
            scope=scope,
            seconds=TOKEN_SECONDS,
        )
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS,
            "scope": scope,
        }

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


def client_files(directory: Path, client_id: str) -> tuple[Path, Path]:
    """Where a client registered by ``manage.py dev_issuer client`` is kept: its
    registration, and its private key (which in truth only the system holds)."""
    return directory / f"{client_id}.json", directory / f"{client_id}.pem"


def read_client(directory: Path, client_id: str) -> DevClient | None:
    registration, key_file = client_files(directory, client_id)
    if not registration.exists() or not key_file.exists():
        return None
    facts = json.loads(registration.read_text())
    return DevClient(
        client_id=client_id,
        org_number=facts["org"],
        key=stored_key(key_file).public_key(),
        scopes=frozenset(facts["scopes"]),
    )


def write_client(directory: Path, client_id: str, org_number: str, scopes: list[str]) -> DevClient:
    """Register ``client_id`` of ``org_number`` (its key made the first time)."""
    if not CLIENT_FILE_NAME.match(client_id):
        raise ValueError("a client id of letters, digits, '.', '_' and '-' only")
    registration, key_file = client_files(directory, client_id)
    stored_key(key_file)
    registration.write_text(json.dumps({"org": org_number, "scopes": scopes}, indent=2))
    client = read_client(directory, client_id)
    assert client is not None
    return client


def _handler(issuer: DevIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if not issuer.answering:
                self.send_error(503)
                return
            if self.path == METADATA_PATH:
                self._send(200, issuer.metadata())
            elif self.path == JWKS_PATH:
                issuer.jwks_fetches += 1
                self._send(200, issuer.jwks())
            else:
                self.send_error(404)

        def do_POST(self) -> None:
            if not issuer.answering:
                self.send_error(503)
                return
            if self.path != TOKEN_PATH:
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > GRANT_MAX_BYTES:
                self._send(413, {"error": "invalid_request", "error_description": "too large"})
                return
            fields = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
            form = {name: values[0] for name, values in fields.items()}
            try:
                self._send(200, issuer.exchange(form))
            except GrantRefused as refusal:
                self._send(
                    refusal.status,
                    {"error": refusal.error, "error_description": refusal.description},
                )

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
