"""The header's switch between the new and the old version (rule 8), while the old one is open."""

from __future__ import annotations

from typing import Any

from django import template

from portal import version

register = template.Library()


@register.inclusion_tag("portal/_version_switch.html", takes_context=True)
def version_switch(context: template.Context) -> dict[str, Any]:
    """Shown to a logged-in user until the cutoff: a button to the other version.

    What it offers follows the page, not the session: an old page offers the new
    version, a new page the old one, and either leads to the matching page in the
    other version (``version.counterpart``).
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not getattr(user, "is_authenticated", False):
        return {"show": False}
    if not version.old_version_open():
        return {"show": False}
    in_old = getattr(request.resolver_match, "namespace", "") == "old"
    if in_old and context.get("new_version_url"):
        target = str(context["new_version_url"])
    else:
        target = version.counterpart(request.path)
    return {
        "show": True,
        "in_old": in_old,
        "next": target,
        "csrf_token": context.get("csrf_token"),
    }
