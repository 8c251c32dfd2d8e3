"""Extension points of the case page and the start page: layers above cases add to them.

Appointments and access orders are cases; the access layer registers a
panel that shows their details on the case page, without cases importing it.
A panel is a function of (user, case) that returns a template name and its
context, or None when it has nothing to show for that case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases.models import Case
from portal.models import Organisation, User

Panel = Callable[[User, Case], tuple[str, dict[str, Any]] | None]

_panels: list[Panel] = []


def register(panel: Panel) -> Panel:
    if panel not in _panels:
        _panels.append(panel)
    return panel


def render_context(user: User, case: Case) -> list[tuple[str, dict[str, Any]]]:
    return [shown for panel in _panels if (shown := panel(user, case)) is not None]


# The start page's notices: what waits for this person in a layer above (a function of
# (user, organisation) that returns a template and its context, or None).
StartNotice = Callable[[User, Organisation], tuple[str, dict[str, Any]] | None]

_start_notices: list[StartNotice] = []


def register_start_notice(notice: StartNotice) -> StartNotice:
    if notice not in _start_notices:
        _start_notices.append(notice)
    return notice


def start_notices(user: User, organisation: Organisation) -> list[tuple[str, dict[str, Any]]]:
    return [shown for notice in _start_notices if (shown := notice(user, organisation))]
