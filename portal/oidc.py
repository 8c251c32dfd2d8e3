"""Login through the OpenID Connect provider: who the person is, and where they start.

mozilla-django-oidc runs the protocol: the authorization code flow with PKCE
(S256), state and nonce. This backend adds what the library leaves out or does
differently by default:

- the provider's endpoints and keys come from ``portal.oidc_provider`` (the settings
  or the discovery document, fetched when first needed), not from the settings the
  library reads when it is constructed;
- the ID token is checked here in full: signature (with the one key a provider
  without ``kid`` has, and one fresh look at the keys for an unknown ``kid``),
  issuer, audience, and exp, iat and nbf with ``OIDC_CLOCK_LEEWAY`` seconds of
  leeway for the provider's clock; unsigned tokens never pass;
- every answer from the provider is checked before it is used; one that cannot be
  used is a ``LoginFailed``, never an exception the library did not expect;
- the userinfo answer must be about the same ``sub`` as the ID token;
- people are matched on the provider's ``sub`` (``User.oidc_sub``), never on
  e-mail: an address can change hands, a subject identifier cannot;
- first and last name and e-mail follow the claims at every login;
- the organisation claim (organisation numbers) is only a preference among the
  person's own memberships. Membership is the portal's record: no claim ever
  creates one, and a new person gets none (they land on the "whom to ask" page).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from portal import oidc_provider
from portal.models import Organisation, User
from portal.oidc_provider import LoginFailed

logger = logging.getLogger(__name__)

# Claims about the person that may come in the ID token as well as from userinfo.
PERSON_CLAIMS = ("name", "given_name", "family_name", "email")
_ORG_NUMBERS_ATTRIBUTE = "_oidc_org_numbers"
_MAX_LENGTHS = {"first_name": 150, "last_name": 150, "email": 254}  # AbstractUser's
_ORG_NUMBER = re.compile(r"(?:^|\D)(\d{9})$")


def org_numbers_from_claim(value: object) -> list[str]:
    """The organisation numbers in an organisation claim: one string or a list of them.

    Each string is a nine-digit organisation number, possibly with spaces or a
    prefix (``"981 000 013"``, ``"NO:ORGNR:981000013"``); anything else is ignored.
    """
    items = value if isinstance(value, list) else [value]
    numbers = []
    for item in items:
        if isinstance(item, str):
            match = _ORG_NUMBER.search(item.replace(" ", ""))
            if match:
                numbers.append(match.group(1))
    return numbers


def claimed_org_numbers(user: User) -> list[str]:
    """The organisation numbers the claim named at this login (none unless through the provider)."""
    return list(getattr(user, _ORG_NUMBERS_ATTRIBUTE, []))


def choose_active_organisation(
    organisations: list[Organisation], *, slug: str | None, org_numbers: Iterable[str]
) -> Organisation | None:
    """Of the person's own organisations: the direct link's, else the first one the claim names.

    None when neither names one of them; then the usual default (the first) applies.
    Never anything outside ``organisations``: a claim grants no membership.
    """
    if slug:
        for organisation in organisations:
            if organisation.slug == slug:
                return organisation
    for number in org_numbers:
        for organisation in organisations:
            if organisation.org_number == number:
                return organisation
    return None


class PortalOIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """mozilla-django-oidc's backend with the portal's checks and matching (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's: it reads the endpoints from the settings here, and Django
        # builds a backend for every request. The endpoints are looked up at use.
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.UserModel = User

    def expected_audience(self) -> str:
        """The audience every ID token must be for: this portal's client id."""
        return str(self.OIDC_RP_CLIENT_ID)

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Redeem the code at the token endpoint (client_secret_post); the answer must
        hold an ID token and an access token."""
        url = oidc_provider.endpoints().token
        response = oidc_provider.provider_request("POST", url, "token endpoint", data=payload)
        try:
            answer = response.json()
        except ValueError as exc:
            raise LoginFailed(f"The token endpoint's answer is not JSON: {exc}") from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("id_token"), str):
            raise LoginFailed("The token endpoint's answer has no ID token")
        if not isinstance(answer.get("access_token"), str):
            raise LoginFailed("The token endpoint's answer has no access token")
        return answer

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The ID token's claims, once its signature, issuer, audience, times and nonce hold."""
        payload = self.decode_jwt(token, "ID token", require=["iss", "aud", "exp", "iat", "sub"])
        self.verify_issuer_and_audience(payload)
        if payload.get("nonce") != kwargs.get("nonce"):
            raise LoginFailed("The ID token's nonce is not the one this login sent")
        return payload

    def decode_jwt(self, token: str, what: str, *, require: list[str]) -> dict[str, Any]:
        """A JWT from the provider, signed with OIDC_RP_SIGN_ALGO by the provider's key
        (or, for the HS algorithms, the client secret); exp, iat and nbf, where present,
        hold with OIDC_CLOCK_LEEWAY seconds of leeway."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise LoginFailed(f"The {what} is not a JWT: {exc}") from exc
        algorithm = header.get("alg")
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise LoginFailed(
                f"The {what} is signed with {algorithm!r}, not {self.OIDC_RP_SIGN_ALGO!r}"
            )
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise LoginFailed(f"The {what}'s kid is not a string")
        key: Any = (
            self.OIDC_RP_CLIENT_SECRET
            if algorithm.startswith("HS")
            else oidc_provider.signing_key(algorithm, kid)
        )
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                leeway=settings.OIDC_CLOCK_LEEWAY,
                # Issuer and audience are checked below, with messages that say which.
                options={"require": require, "verify_aud": False, "verify_iss": False},
            )
        except jwt.InvalidSignatureError as exc:
            raise LoginFailed(f"The {what}'s signature does not verify (kid {kid!r})") from exc
        except jwt.PyJWTError as exc:
            raise LoginFailed(f"The {what} is not valid: {exc}") from exc
        return payload

    def verify_issuer_and_audience(self, payload: dict[str, Any]) -> None:
        """OpenID Connect Core 3.1.3.7: iss is the provider's, aud names this client (and
        azp does when there are several audiences)."""
        issuer = settings.OIDC_OP_ISSUER
        if not issuer or payload.get("iss") != issuer:
            raise LoginFailed(
                f"ID token issuer {payload.get('iss')!r} is not the configured {issuer!r}"
            )
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        client = self.expected_audience()
        if not isinstance(audiences, list) or client not in audiences:
            raise LoginFailed(f"ID token audience {audience!r} does not name {client!r}")
        if len(audiences) > 1 and payload.get("azp") != client:
            raise LoginFailed("ID token with several audiences is not authorised for us")
        if not isinstance(payload.get("sub"), str) or not payload["sub"]:
            raise LoginFailed("ID token without sub")

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The userinfo answer (JSON, or a JWT signed like the ID token) about the ID
        token's subject, with the person claims the ID token carried as a base."""
        url = oidc_provider.endpoints().userinfo
        response = oidc_provider.provider_request(
            "GET", url, "userinfo endpoint", headers={"Authorization": f"Bearer {access_token}"}
        )
        if response.headers.get("content-type", "").lower().startswith("application/jwt"):
            signed = self.decode_jwt(response.text, "userinfo answer", require=["sub"])
            # Core 5.3.2: a signed answer should name issuer and audience; when it does,
            # they must be ours like the ID token's.
            if "iss" in signed or "aud" in signed:
                self.verify_issuer_and_audience(signed)
            userinfo: object = signed
        else:
            try:
                userinfo = response.json()
            except ValueError as exc:
                raise LoginFailed(f"The userinfo answer is not JSON: {exc}") from exc
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            raise LoginFailed("The userinfo answer is about another subject")
        from_id_token = {
            key: payload[key] for key in (*PERSON_CLAIMS, settings.OIDC_ORG_CLAIM) if key in payload
        }
        return {**from_id_token, **userinfo}

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return isinstance(claims.get("sub"), str) and bool(claims["sub"])

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        return User.objects.filter(oidc_sub=claims["sub"])

    def describe_user_by_claims(self, claims: dict[str, Any]) -> str:
        return f"sub {claims.get('sub')!r}"

    def get_username(self, claims: dict[str, Any]) -> str:
        """A stable, opaque username for a new person: no personal data, not the e-mail."""
        return "oidc-" + hashlib.sha256(str(claims["sub"]).encode()).hexdigest()[:24]

    def create_user(self, claims: dict[str, Any]) -> User:
        """A person the portal has not seen: an account without password or memberships."""
        user = User.objects.create_user(
            username=self.get_username(claims), oidc_sub=str(claims["sub"])
        )
        logger.info("OIDC login created user %s (no memberships)", user.pk)
        return self.update_user(user, claims)

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        """Names and e-mail as the provider has them now; remembers the organisation claim."""
        given, family = claims.get("given_name"), claims.get("family_name")
        name = claims.get("name")
        if not given and not family and isinstance(name, str) and name.strip():
            given, _, family = name.strip().rpartition(" ")
            if not given:
                given, family = family, ""
        email = claims.get("email")
        if isinstance(email, str):
            try:
                validate_email(email.strip())
            except ValidationError:
                logger.warning("OIDC login for user %s: the e-mail claim is not valid", user.pk)
                email = None
        changed = []
        for field, value in (("first_name", given), ("last_name", family), ("email", email)):
            if not isinstance(value, str) or not value.strip():
                continue
            value = value.strip()[: _MAX_LENGTHS[field]]
            if getattr(user, field) != value:
                setattr(user, field, value)
                changed.append(field)
        if changed:
            user.save(update_fields=changed)
        setattr(
            user,
            _ORG_NUMBERS_ATTRIBUTE,
            org_numbers_from_claim(claims.get(settings.OIDC_ORG_CLAIM)),
        )
        return user

    def get_user(self, user_id: int) -> User | None:
        # The library's version lets a deactivated user stay logged in; Django's does not.
        user = ModelBackend.get_user(self, user_id)
        return user if isinstance(user, User) else None
