"""A login throttle against password guessing.

Failures are counted per username and per client address in the shared cache
for a window; once either count reaches the limit, logins for it are refused
until the window has passed, whether the password is right or not.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _keys(request: HttpRequest, username: str) -> list[str]:
    keys = [f"login-fail:ip:{client_address(request)}"]
    if username:
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()
        keys.append(f"login-fail:user:{digest}")
    return keys


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR is what the WSGI server saw; behind a proxy the deployment
    # sets it from the proxy's header (docs/configuration.md).
    return str(request.META.get("REMOTE_ADDR", ""))


def is_blocked(request: HttpRequest, username: str) -> bool:
    limit = settings.LOGIN_THROTTLE_ATTEMPTS
    return any((cache.get(key) or 0) >= limit for key in _keys(request, username))


def record_failure(request: HttpRequest, username: str) -> None:
    window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    for key in _keys(request, username):
        if cache.add(key, 1, timeout=window):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


def record_success(request: HttpRequest, username: str) -> None:
    cache.delete_many(_keys(request, username)[1:])
