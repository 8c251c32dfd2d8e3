"""System checks of the deployment that Django's own do not cover."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DEFAULT_DB_ALIAS, DatabaseError

from portal.db.roles import app_role_problems

_ROLE_HINT = (
    "Connect the app as a role that owns nothing (portal/db/roles.sql) and give the "
    "owner's credentials to migrate in DATABASE_OWNER_URL; see docs/configuration.md, "
    "database roles."
)


@register(Tags.security, Tags.database, deploy=True)
def check_app_database_role(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """``check --deploy``: the app's connection must not be able to get round the database.

    Unlike Django's database checks this one runs without ``--database``: a
    deployment whose app connects as a superuser or as the owner of the tables
    has append-only tables that anyone who runs code in it can empty.
    """
    if databases is not None and DEFAULT_DB_ALIAS not in databases:
        return []
    try:
        problems = app_role_problems(DEFAULT_DB_ALIAS)
    except DatabaseError as error:
        return [
            CheckWarning(
                f"Could not check the role of the database connection: {error}",
                id="portal.W010",
            )
        ]
    return [CheckWarning(problem, hint=_ROLE_HINT, id="portal.W011") for problem in problems]
