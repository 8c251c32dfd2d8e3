from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal import env


def test_envbool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, expected in [("1", True), ("true", True), ("ON", True), ("0", False), ("no", False)]:
        monkeypatch.setenv("X_FLAG", value)
        assert env.envbool("X_FLAG", not expected) is expected
    monkeypatch.delenv("X_FLAG")
    assert env.envbool("X_FLAG", True) is True


def test_envbool_fails_loudly_on_a_typo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env.envbool("X_FLAG", False)


def test_envint_and_envdate_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env.envint("X_INT", 1)
    monkeypatch.setenv("X_DATE", "18.11.2022")
    with pytest.raises(ImproperlyConfigured, match="YYYY-MM-DD"):
        env.envdate("X_DATE", dt.date(2022, 1, 1))
    monkeypatch.setenv("X_DATE", "2022-11-18")
    assert env.envdate("X_DATE", dt.date(2022, 1, 1)) == dt.date(2022, 11, 18)


def test_secret_from_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    path = tmp_path / "key"
    path.write_text("s3cret\n")
    monkeypatch.setenv("X_SECRET_FILE", str(path))
    assert env.secret("X_SECRET") == "s3cret"
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="X_SECRET_FILE"):
        env.secret("X_SECRET")


def test_database_url_is_parsed_for_postgresql_only() -> None:
    config = env.database_from_url(
        "postgresql://ks:p%40ss@db.internal:6432/kundesenter?sslmode=require"
    )
    assert config["NAME"] == "kundesenter"
    assert config["USER"] == "ks"
    assert config["PASSWORD"] == "p@ss"
    assert config["HOST"] == "db.internal"
    assert config["PORT"] == "6432"
    assert config["OPTIONS"] == {"sslmode": "require"}
    socket = env.database_from_url("postgres:///kundesenter?host=/run/postgresql")
    assert socket["HOST"] == "/run/postgresql"
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL"):
        env.database_from_url("sqlite:///db.sqlite3")
    with pytest.raises(ImproperlyConfigured, match="name a database"):
        env.database_from_url("postgresql://localhost")


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off(tmp_path) -> None:
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_defaults_are_safe() -> None:
    from django.conf import settings

    assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.CSRF_COOKIE_SECURE is True
    assert settings.SECURE_HSTS_SECONDS >= 31_536_000
    assert settings.X_FRAME_OPTIONS == "DENY"
    assert settings.TIME_ZONE == "Europe/Oslo"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "nb"
    assert [code for code, _ in settings.LANGUAGES] == ["nb", "nn", "en"]
