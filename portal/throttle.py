"""Limits per client: the login throttle and the rate limit on anonymous feedback.

Both count in the shared cache (PostgreSQL's cache table or Redis), so every
worker process sees the same counts, and both key their counts by a keyed
hash of the client's address, never the address itself.

The login throttle slows a guesser down without locking the owner out. It
counts failed logins three ways, each with its own allowance and cap
(docs/configuration.md):

- per username and address: the guesser at one machine; a small allowance,
  then a wait that doubles with each failure, up to minutes;
- per address, across usernames: one machine trying many usernames; a larger
  allowance, the same doubling;
- per username, across addresses: a guess spread over many machines; its
  wait stays short (a minute at most), so the owner is slowed, not shut out.

Nothing sleeps in the request: an attempt that comes too early is refused with
the number of seconds left, before the password is checked. Once a count is
past its allowance, each attempt takes a turn with an atomic ``cache.add``, so
a burst of parallel guesses gets one guess through, not one per worker.
A successful login clears its username-and-address count; the other two are
left to expire, so a guesser cannot reset them with an account of their own.

A browser that has logged in as a username before carries a signed cookie
saying so. For that username it is counted on its own, by that cookie only,
so no guesser elsewhere, however many machines they have, can hold the owner
up at their own computer.
"""

from __future__ import annotations

import ipaddress
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from ipware import get_client_ip


def client_address(request: HttpRequest) -> str:
    """The client's address, as far as the deployment can vouch for it.

    Without a configured proxy it is REMOTE_ADDR, the other end of the
    connection: anyone can write X-Forwarded-For, so it is never read then.
    Behind TRUSTED_PROXY_COUNT proxies that each append the address they saw,
    the client is that many places from the right of X-Forwarded-For (the last
    proxy is REMOTE_ADDR itself); whatever a client wrote there itself is
    further left and ignored. With TRUSTED_PROXIES, only a request that comes
    from one of them is read that way.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies: int = settings.TRUSTED_PROXY_COUNT
    if proxies < 1 or not _is_trusted_proxy(remote):
        return remote
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        # Not strict: a chain longer than the proxies make (the client's own
        # X-Forwarded-For) is fine, as the client is counted from the right.
        strict=False,
    )
    # No usable header (a proxy that does not set it): the proxy's address.
    return address or remote


def _is_trusted_proxy(remote: str) -> bool:
    trusted: list[str] = settings.TRUSTED_PROXIES
    # No address at all: gunicorn on a Unix socket, which only the proxy reaches.
    if not trusted or not remote:
        return True
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in trusted)


def _address_key(request: HttpRequest) -> str:
    """The client's address as a key: hashed, and an IPv6 client by its /64.

    One IPv6 connection usually has a whole /64 to choose addresses from, so
    a limit per single IPv6 address would be no limit at all.
    """
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        pass
    else:
        if parsed.version == 6 and parsed.ipv4_mapped is None:
            address = str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return _hash("address", address)


def _hash(kind: str, value: str) -> str:
    # Keyed, so the cache holds neither addresses nor usernames, nor anything
    # that can be turned back into one by trying all IPv4 addresses.
    return salted_hmac(f"portal.throttle.{kind}", value).hexdigest()


# --- The login throttle ----------------------------------------------------------


@dataclass(frozen=True)
class _Limit:
    allowed: int  # failures before any wait
    max_wait: int  # seconds

    def wait_after(self, failures: int) -> int:
        """Seconds to wait after this many failures: 1, 2, 4, … up to the cap."""
        if failures < self.allowed:
            return 0
        return int(min(2 ** min(failures - self.allowed, 30), self.max_wait))


@dataclass(frozen=True)
class _Counter:
    key: str  # the failures counted
    turn_key: str  # exists while the next attempt must wait; holds the moment it may
    limit: _Limit


@dataclass
class LoginAttempt:
    """One login attempt's place in the throttle: ``wait`` is 0 or the seconds to wait."""

    counters: list[_Counter]
    wait: int = 0
    _turns: list[_Counter] = field(default_factory=list)

    def failed(self) -> None:
        """Count a wrong username or password, and start the wait it earns."""
        now = time.time()
        window: int = settings.LOGIN_THROTTLE_WINDOW_SECONDS
        counts = cache.get_many([counter.key for counter in self.counters])
        for counter in self.counters:
            failures = counts.get(counter.key, 0) + 1
            cache.set(counter.key, failures, timeout=window)
            wait = counter.limit.wait_after(failures)
            if wait:
                cache.set(counter.turn_key, now + wait, timeout=wait)

    def succeeded(self) -> None:
        """The owner is in: forget the failures of this username from here (address or browser)."""
        pair = self.counters[0]
        cache.delete_many([pair.key, pair.turn_key])
        self._release()

    def _release(self) -> None:
        cache.delete_many([counter.turn_key for counter in self._turns])
        self._turns = []


def check_login(request: HttpRequest, username: str) -> LoginAttempt:
    """May this client try this username now? Call before checking the password.

    If it may, the attempt holds the turns of the counts that are past their
    allowance until ``failed`` or ``succeeded``; if not, ``wait`` says how long.
    """
    attempt = LoginAttempt(_login_counters(request, username))
    now = time.time()
    counts = cache.get_many([counter.key for counter in attempt.counters])
    for counter in attempt.counters:
        wait = counter.limit.wait_after(counts.get(counter.key, 0))
        if not wait:
            continue
        if cache.add(counter.turn_key, now + wait, timeout=wait):
            attempt._turns.append(counter)
            continue
        until = cache.get(counter.turn_key)
        left = math.ceil(until - now) if isinstance(until, int | float) else 1
        attempt.wait = max(attempt.wait, left, 1)
    if attempt.wait:
        # Refused: the turns taken for the other counts were not used.
        attempt._release()
    return attempt


def _login_counters(request: HttpRequest, username: str) -> list[_Counter]:
    """The counts this attempt is measured by; the first is cleared by a success."""
    user = _username_key(username)
    pair = _Limit(settings.LOGIN_THROTTLE_PAIR_FAILURES, settings.LOGIN_THROTTLE_PAIR_MAX_WAIT)
    device = _known_device(request, user)
    if device:
        # The owner's own browser: only its own failures slow it down.
        return [_counter(f"device:{_hash('device', f'{user}:{device}')}", pair)]
    address = _address_key(request)
    return [
        _counter(f"pair:{_hash('pair', f'{user}:{address}')}", pair),
        _counter(
            f"address:{address}",
            _Limit(
                settings.LOGIN_THROTTLE_ADDRESS_FAILURES, settings.LOGIN_THROTTLE_ADDRESS_MAX_WAIT
            ),
        ),
        _counter(
            f"username:{user}",
            _Limit(
                settings.LOGIN_THROTTLE_USERNAME_FAILURES,
                settings.LOGIN_THROTTLE_USERNAME_MAX_WAIT,
            ),
        ),
    ]


def _counter(name: str, limit: _Limit) -> _Counter:
    return _Counter(key=f"login-fail:{name}", turn_key=f"login-turn:{name}", limit=limit)


def _username_key(username: str) -> str:
    # Usernames compared as a person would type them; a count per spelling
    # would let the guesser vary the case.
    return _hash("username", username.strip().casefold())


DEVICE_COOKIE = "login_device"
_DEVICE_SALT = "portal.throttle.device"


def remember_device(request: HttpRequest, response: HttpResponse, username: str) -> None:
    """After a good password: this browser is now known for this username.

    The cookie holds a random id for the browser and the keyed hash of the
    username, signed; it tells nobody who logged in, and a guesser cannot make
    one for a username whose password they do not have.
    """
    device = _device_payload(request).get("device")
    if not isinstance(device, str):
        device = secrets.token_urlsafe(16)
    days: int = settings.LOGIN_THROTTLE_DEVICE_DAYS
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps({"user": _username_key(username), "device": device}, salt=_DEVICE_SALT),
        max_age=days * 24 * 60 * 60,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _known_device(request: HttpRequest, user: str) -> str | None:
    payload = _device_payload(request)
    device = payload.get("device")
    if payload.get("user") == user and isinstance(device, str):
        return device
    return None


def _device_payload(request: HttpRequest) -> dict[str, Any]:
    days: int = settings.LOGIN_THROTTLE_DEVICE_DAYS
    try:
        payload = signing.loads(
            request.COOKIES.get(DEVICE_COOKIE, ""),
            salt=_DEVICE_SALT,
            max_age=days * 24 * 60 * 60,
        )
    except signing.BadSignature:
        return {}
    return payload if isinstance(payload, dict) else {}


# --- The rate limit on feedback ----------------------------------------------------


def take_feedback_slot(request: HttpRequest) -> int:
    """Take one of the client's FEEDBACK_RATE_LIMIT slots; 0, or the seconds until one frees.

    Each slot is a cache key that lives FEEDBACK_RATE_WINDOW_SECONDS; it is
    taken with ``cache.add``, which only one request can win, so parallel
    requests cannot share a slot.
    """
    limit: int = settings.FEEDBACK_RATE_LIMIT
    window: int = settings.FEEDBACK_RATE_WINDOW_SECONDS
    prefix = f"feedback:{_address_key(request)}"
    keys = [f"{prefix}:{slot}" for slot in range(limit)]
    now = time.time()
    taken = cache.get_many(keys)
    for key in keys:
        if key not in taken and cache.add(key, now + window, timeout=window):
            return 0
    frees = [until for until in taken.values() if isinstance(until, int | float)]
    return max(math.ceil(min(frees) - now), 1) if frees else window
