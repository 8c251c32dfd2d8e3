"""Small typed readers for settings from the environment.

Each one fails loudly on a value it cannot read: a typo in production
configuration should stop the process at start, not change behaviour quietly.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
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


FILE_STORAGES = ("filesystem", "s3")


def file_storage() -> dict[str, Any]:
    """``STORAGES["default"]``, where every uploaded and exported file is kept.

    ``FILE_STORAGE=filesystem`` (the default): under MEDIA_ROOT, which several
    machines must then share. ``FILE_STORAGE=s3``: a bucket of S3-compatible
    object storage, through django-storages. Files are never linked to: a view
    checks access and streams them (``cases.access``), so objects stay private
    (the bucket's own ACL) and no signed URLs are made. See docs/configuration.md,
    "Files: local disk or object storage".
    """
    kind = envstr("FILE_STORAGE", "filesystem").strip().lower()
    if kind == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ImproperlyConfigured(
            f"FILE_STORAGE must be one of {', '.join(FILE_STORAGES)}, not {kind!r}"
        )
    bucket = envstr("S3_BUCKET", "").strip()
    if not bucket:
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs S3_BUCKET, the name of the bucket")
    endpoint = envstr("S3_ENDPOINT_URL", "").strip()
    if endpoint and urlsplit(endpoint).scheme not in {"http", "https"}:
        raise ImproperlyConfigured(
            f"S3_ENDPOINT_URL must be an http:// or https:// address, not {endpoint!r}"
        )
    access_key = secret("S3_ACCESS_KEY_ID") or ""
    secret_key = secret("S3_SECRET_ACCESS_KEY") or ""
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured(
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY (or their _FILE) are set together; "
            "with neither, boto3 finds the credentials itself (an instance role, AWS_* variables)"
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint or None,
            "region_name": envstr("S3_REGION", "").strip() or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            # No object is ever public or linked to: the bucket's own (private) ACL,
            # and no signed query strings, since views stream every file.
            "default_acl": None,
            "querystring_auth": False,
            # As on disk: a name is never written twice (django-storages overwrites).
            "file_overwrite": False,
        },
    }
