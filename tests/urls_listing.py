"""Every URL pattern of the project, for the tests that go through all of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


def patterns(
    resolvers: list[Any] | None = None,
    prefix: str = "",
    namespace: str = "",
    urlconf: str | None = None,
) -> Iterator[tuple[str, str, URLPattern]]:
    """(route, name, pattern) for every URL pattern, with the namespace in the name."""
    for entry in get_resolver(urlconf).url_patterns if resolvers is None else resolvers:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from patterns(entry.url_patterns, prefix + str(entry.pattern), inner, urlconf)
        else:
            name = f"{namespace}:{entry.name}".lstrip(":") if entry.name else ""
            yield prefix + str(entry.pattern), name, entry
