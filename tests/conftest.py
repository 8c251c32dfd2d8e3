"""The fixed cast every test module draws on (STYLE.md, pattern 8).

Kari is the authorised payroll orderer, Ola holds fullmakt, Per is a plain
member, Eva's role has expired (all of Fjordetaten); Nina belongs to
Kystdirektoratet only; Mona belongs to both; Siv is support staff in both
teams (payroll and accounting). The roles
themselves are given by the layers that own them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache, caches
from django.test import Client

from portal.demo import org_number
from portal.models import Membership, Organisation, RoleAssignment, RoleType, User
from portal.services import do_assign_role
from portal.teams import TEAM_GROUPS

PASSWORD = "riktig-hest-batteri-stift"

pytest_plugins = [
    "tests.browser",
    "tests.database",
    "tests.oidc.fixtures",
    "tests.queue",
    "tests.processes",
    "tests.issuer",
]


@dataclass
class Cast:
    fjordetaten: Organisation
    kystdir: Organisation
    kari: User
    ola: User
    per: User
    eva: User
    nina: User
    mona: User
    siv: User


def make_user(username: str, *organisations: Organisation, **fields: object) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        first_name=username.capitalize(),
        last_name="Testesen",
        email=f"{username}@example.no",
        **fields,
    )
    for organisation in organisations:
        Membership.objects.create(user=user, organisation=organisation)
    return user


@pytest.fixture
def cast(db: None) -> Cast:
    # Login-throttle counts live in the cache table, which transactional
    # (browser) tests do not roll back: every story starts with none.
    cache.clear()
    fjordetaten = Organisation.objects.create(
        name="Fjordetaten", org_number=org_number("98100001"), slug="fjordetaten"
    )
    kystdir = Organisation.objects.create(
        name="Kystdirektoratet", org_number=org_number("98100002"), slug="kystdirektoratet"
    )
    siv = make_user("siv", is_staff=True)
    # Siv works both teams' areas (the teams are Django groups, made by a migration).
    siv.groups.set(Group.objects.filter(name__in=TEAM_GROUPS.values()))
    return Cast(
        fjordetaten=fjordetaten,
        kystdir=kystdir,
        kari=make_user("kari", fjordetaten),
        ola=make_user("ola", fjordetaten),
        per=make_user("per", fjordetaten),
        eva=make_user("eva", fjordetaten),
        nina=make_user("nina", kystdir),
        mona=make_user("mona", fjordetaten, kystdir),
        siv=siv,
    )


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2's deliberate slowness protects real passwords; the cast's are not.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_fragments() -> None:
    # Kept page fragments (the case list's filters) are per process; a test
    # starts without another test's, as a server starts after a deploy.
    caches["fragments"].clear()


def grant(
    person: User,
    organisation: Organisation,
    code: str,
    valid_from: dt.date = dt.date(2020, 1, 1),
    valid_to: dt.date | None = None,
    **fields: Any,
) -> RoleAssignment:
    """Register a role for a test through the same service staff use."""
    return do_assign_role(
        actor=None,
        person=person,
        organisation=organisation,
        role=RoleType.objects.get(code=code),
        valid_from=valid_from,
        valid_to=valid_to,
        basis=fields.pop("basis", RoleAssignment.Basis.STAFF),
        **fields,
    )
