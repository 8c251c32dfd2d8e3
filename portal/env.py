"""Small typed readers for settings from the environment.

Each one fails loudly on a value it cannot read: a typo in production
configuration should stop the process at start, not change behaviour quietly.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str) -> str:
    return _read(name) or default


def envbool(name: str, default: bool) -> bool:
    value = _read(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envint(name: str, default: int) -> int:
    value = _read(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def envdate(name: str, default: dt.date) -> dt.date:
    value = _read(name)
    if value is None or value.strip() == "":
        return default
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from exc


def envlist(name: str, default: list[str]) -> list[str]:
    value = _read(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def secret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE points at {path!r}, which can't be read"
            ) from exc
    return os.environ.get(name)


def _read(name: str) -> str | None:
    return secret(name)


def database_from_url(url: str, setting: str = "DATABASE_URL") -> dict[str, object]:
    """Django's DATABASES entry for a postgres:// or postgresql:// URL (read from ``setting``)."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(
            f"{setting} must start with postgresql:// (PostgreSQL is the only database), "
            f"not {parts.scheme!r}"
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = query.pop("host", None) or (unquote(parts.hostname) if parts.hostname else "")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured(f"{setting} must name a database, e.g. .../kundesenter")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": query,
    }


def database_owner_from_url(url: str, app: Mapping[str, object]) -> dict[str, object]:
    """What the owner's connection (DATABASE_OWNER_URL) changes in the app's DATABASES entry.

    The two URLs must name the same database; host, port and options may differ (the app
    may go through a connection pooler, migrations straight to the server).
    """
    owner = database_from_url(url, "DATABASE_OWNER_URL")
    if owner["NAME"] != app["NAME"]:
        raise ImproperlyConfigured(
            f"DATABASE_OWNER_URL must name the database of DATABASE_URL ({app['NAME']!r}), "
            f"not {owner['NAME']!r}"
        )
    if not app["USER"] or not owner["USER"] or owner["USER"] == app["USER"]:
        raise ImproperlyConfigured(
            "With DATABASE_OWNER_URL, DATABASE_URL and DATABASE_OWNER_URL must each name "
            "their user, and not the same one (docs/configuration.md, database roles)"
        )
    return {key: owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS")}
