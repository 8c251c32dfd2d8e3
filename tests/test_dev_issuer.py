"""manage.py dev_issuer: the development issuer serves its keys and mints tokens the portal
takes, with one key kept on disk; never with DEBUG off."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.cache import cache
from django.core.management import CommandError, call_command

from portal.machine_tokens import read_token
from tests.processes import Processes, free_port, wait_for


def _token(*args: str) -> str:
    out = StringIO()
    call_command("dev_issuer", "token", *args, stdout=out)
    return out.getvalue().strip()


def test_it_refuses_to_run_with_debug_off(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        _token()


def test_a_token_it_mints_is_taken_by_the_portal_with_the_key_it_serves(
    processes: Processes, settings: Any, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    settings.MASKINPORTEN_ISSUER = url
    settings.MASKINPORTEN_JWKS_URL = ""
    settings.MASKINPORTEN_AUDIENCE = ""
    processes.start(
        "issuer", "manage.py", "dev_issuer", "serve",
        DEBUG="1", VAR_DIR=str(tmp_path), MASKINPORTEN_ISSUER=url,
    )  # fmt: skip

    def metadata() -> Any:
        try:
            return requests.get(url + ".well-known/oauth-authorization-server", timeout=2).json()
        except requests.RequestException:
            return None

    assert wait_for(metadata, what=lambda: processes.output())["jwks_uri"] == url + "jwk"
    cache.clear()  # nothing kept from another issuer at this address
    # Fjordetaten's client, by default; another organisation's when asked: the token
    # names the organisation it was minted for, and only that one.
    own = read_token(_token())
    assert (own.org_number, own.client_id) == ("974000016", "demo-hr")
    assert own.scopes == set(settings.MASKINPORTEN_SCOPES)
    other = read_token(_token("--org", "974000024", "--client", "kyst-sak"))
    assert (other.org_number, other.client_id) == ("974000024", "kyst-sak")
    assert (tmp_path / "dev-issuer" / "key.pem").stat().st_mode & 0o077 == 0
