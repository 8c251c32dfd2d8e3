"""The client's address: REMOTE_ADDR, or X-Forwarded-For only as far as a configured proxy vouches.

Before, the throttle read REMOTE_ADDR only, and behind a proxy that is the
proxy's address: five failures by anyone blocked everyone (issue 12, finding 3).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse

from portal.throttle import _address_key, client_address
from tests.conftest import PASSWORD, Cast

PROXY = "10.0.0.9"


def address(remote: str, forwarded: str | None = None) -> str:
    extra: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **extra))


def fail_behind_proxy(client_ip: str, username: str) -> None:
    Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_ip).post(
        reverse("portal:login"), {"username": username, "password": "feil"}
    )


def test_without_a_proxy_setting_forwarded_for_is_never_read() -> None:
    assert address("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_without_a_proxy_setting_a_forged_forwarded_for_does_not_escape_the_throttle(
    cast: Cast,
) -> None:
    with time_machine.travel(dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC), tick=False):
        for number in range(5):
            Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.{number}").post(
                reverse("portal:login"), {"username": "per", "password": "feil"}
            )
        forger = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.99")
        response = forger.post(reverse("portal:login"), {"username": "per", "password": PASSWORD})
    assert response.status_code == 429


def test_behind_one_proxy_the_client_is_the_last_forwarded_address(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert address(PROXY, "203.0.113.1") == "203.0.113.1"
    # What the client wrote itself comes before what the proxy appended.
    assert address(PROXY, "1.2.3.4, 203.0.113.1") == "203.0.113.1"
    assert address(PROXY, "garbage, 203.0.113.1") == "203.0.113.1"
    assert address(PROXY, "2001:db8::1") == "2001:db8::1"


def test_behind_two_proxies_the_client_is_second_from_the_right(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 2
    assert address(PROXY, "1.2.3.4, 203.0.113.1, 10.0.0.5") == "203.0.113.1"


def test_a_proxy_that_sends_no_forwarded_for_gives_its_own_address(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert address(PROXY) == PROXY
    assert address(PROXY, "not an address") == PROXY


def test_with_trusted_proxies_a_client_reaching_the_app_directly_cannot_forge(
    settings: Any,
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8:ffff::1"]
    settings.TRUSTED_PROXY_COUNT = 1
    assert address(PROXY, "203.0.113.1") == "203.0.113.1"
    assert address("2001:db8:ffff::1", "203.0.113.1") == "203.0.113.1"
    assert address("198.51.100.7", "203.0.113.1") == "198.51.100.7"
    # gunicorn on a Unix socket gives no REMOTE_ADDR: only the proxy can connect there.
    assert address("", "203.0.113.1") == "203.0.113.1"
    # gunicorn on a Unix socket gives no REMOTE_ADDR: only the proxy can connect there.
    assert address("", "203.0.113.1") == "203.0.113.1"


def test_behind_a_configured_proxy_one_clients_failures_do_not_block_another(
    cast: Cast, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    # Time stands still, so the waits below cannot run out on a slow machine.
    with time_machine.travel(dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC), tick=False):
        _fail_and_log_in_behind_proxy()


def _fail_and_log_in_behind_proxy() -> None:
    for number in range(30):
        fail_behind_proxy("203.0.113.1", f"guess{number}")
    fail_behind_proxy("203.0.113.1", "per")
    other = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.2")
    other.post(reverse("portal:login"), {"username": "per", "password": PASSWORD})
    assert "_auth_user_id" in other.session
    same = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.1")
    response = same.post(reverse("portal:login"), {"username": "kari", "password": PASSWORD})
    assert response.status_code == 429


def test_an_ipv6_client_is_counted_by_its_whole_network() -> None:
    def key(remote: str) -> str:
        return _address_key(RequestFactory().get("/", REMOTE_ADDR=remote))

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9")
    assert key("2001:db8:1:2::1") != key("2001:db8:1:3::1")
    assert key("192.0.2.1") != key("192.0.2.2")
    assert "192.0.2.1" not in key("192.0.2.1")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TRUSTED_PROXIES", "10.0.0.0/8,nginx"),
        ("TRUSTED_PROXY_COUNT", "-1"),
        ("LOGIN_THROTTLE_WINDOW_SECONDS", "60"),
    ],
)
def test_a_setting_that_cannot_work_stops_the_start(variable: str, value: str) -> None:
    environment = {**os.environ, "SECRET_KEY": "x", variable: value}
    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings"],
        cwd=Path(__file__).resolve().parent.parent,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert variable in result.stderr
