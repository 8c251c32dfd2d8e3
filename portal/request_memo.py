"""Answers worked out once a request: the gate's questions asked by several layers.

A list page asks "is this person an active member here?" and "where does
she hold utvidet tilgang today?" in the middleware, in rule 1 and in the
view; each answer is a query. ``per_request`` keeps a function's answer
for the rest of the request (``RequestMemoMiddleware`` opens and closes the
memo), keyed by the function and its arguments' primary keys. Outside a
request (commands, workers, tests calling a function directly) nothing is
kept. A membership or role saved or deleted during the request clears the
memo, so a page that changes the register and then asks again gets the new
answer.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

Result = TypeVar("Result")

_memo: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("request_memo", default=None)


class RequestMemoMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)


def _key_part(value: Any) -> Any:
    pk = getattr(value, "pk", None)
    return (type(value).__name__, pk) if pk is not None else value


def _key(function: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The memo's key for ``function(*args)``; None if an argument is unsaved."""
    if any(getattr(arg, "pk", 0) is None for arg in args):
        return None
    return (function.__qualname__, *map(_key_part, args))


def per_request(function: Callable[..., Result]) -> Callable[..., Result]:
    """Keep ``function``'s answer for the rest of the request (arguments: model objects
    or other hashable values; an unsaved object or an anonymous user is never kept)."""

    @wraps(function)
    def kept(*args: Any) -> Result:
        memo, key = _memo.get(), _key(function, args)
        if memo is None or key is None:
            return function(*args)
        if key not in memo:
            memo[key] = function(*args)
        return memo[key]  # type: ignore[no-any-return]

    return kept


def remember(function: Callable[..., Result], args: tuple[Any, ...], answer: Result) -> None:
    """Keep ``answer`` as ``function(*args)``'s for the rest of the request, when a
    broader question asked in the same terms has answered it already."""
    memo, key = _memo.get(), _key(function, args)
    if memo is not None and key is not None:
        memo[key] = answer


def forget(**_kwargs: Any) -> None:
    """Clear the request's memo (a signal receiver: the register changed)."""
    memo = _memo.get()
    if memo is not None:
        memo.clear()
