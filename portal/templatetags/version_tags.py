"""The header's switch between the new and the old version (rule 8), while the old one is open."""

from __future__ import annotations

from typing import Any

from django import template

from portal import version

register = template.Library()


@register.inclusion_tag("portal/_version_switch.html", takes_context=True)
def version_switch(context: template.Context) -> dict[str, Any]:
    """Shown to a logged-in user until the cutoff: a button to the other version.

    Going to the new version returns to the page the user is on, or, from an
    old page, to its counterpart (``new_version_url`` in the old pages' context).
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not getattr(user, "is_authenticated", False):
        return {"show": False}
    if not version.old_version_open():
        return {"show": False}
    current = version.current_version(request)
    if context.get("new_version_url"):
        back = str(context["new_version_url"])
    elif getattr(request.resolver_match, "namespace", "") == "old":
        back = ""
    else:
        back = request.get_full_path()
    return {
        "show": True,
        "in_old": current == version.OLD,
        "next": back,
        "csrf_token": context.get("csrf_token"),
    }
