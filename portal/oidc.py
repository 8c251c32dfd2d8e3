"""Login through the OpenID Connect provider: who the person is, and where they start.

mozilla-django-oidc runs the protocol: the authorization code flow with PKCE
(S256), state and nonce, and the ID token's signature. This backend adds what
the library leaves out or does differently by default:

- the ID token's issuer and audience are verified (the library checks neither),
  and the userinfo answer must be about the same ``sub`` as the ID token;
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

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from portal.models import Organisation, User

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

    def expected_audience(self) -> str:
        """The audience every ID token must be for: this portal's client id."""
        return str(self.OIDC_RP_CLIENT_ID)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super().verify_token(token, **kwargs)  # signature, nonce
        self.verify_issuer_and_audience(payload)
        return payload

    def verify_issuer_and_audience(self, payload: dict[str, Any]) -> None:
        """OpenID Connect Core 3.1.3.7: iss is the provider's, aud names this client (and
        azp does when there are several audiences); exp and sub are present."""
        issuer = settings.OIDC_OP_ISSUER
        if not issuer or payload.get("iss") != issuer:
            raise SuspiciousOperation(
                f"ID token issuer {payload.get('iss')!r} is not the configured {issuer!r}"
            )
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        client = self.expected_audience()
        if not isinstance(audiences, list) or client not in audiences:
            raise SuspiciousOperation(f"ID token audience {audience!r} does not name {client!r}")
        if len(audiences) > 1 and payload.get("azp") != client:
            raise SuspiciousOperation("ID token with several audiences is not authorised for us")
        # PyJWT has checked exp against the clock if present; it must be present.
        if "exp" not in payload or not payload.get("sub"):
            raise SuspiciousOperation("ID token without exp or sub")

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo answer is about another subject")
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
