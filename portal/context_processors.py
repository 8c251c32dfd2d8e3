from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs on every page: the organisation switcher's data."""
    return {
        "active_organisation": getattr(request, "organisation", None),
        "member_organisations": getattr(request, "organisations", []),
    }
