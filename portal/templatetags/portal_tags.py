"""Template helpers: accessible form fields in Designsystemet markup."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField, CheckboxInput, CheckboxSelectMultiple, RadioSelect
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

register = template.Library()


@register.inclusion_tag("portal/forms/field.html")
def field(bound: BoundField, **options: Any) -> dict[str, Any]:
    """One labelled field; help text and errors are tied to the input with aria-describedby."""
    widget = bound.field.widget
    described_by = []
    if bound.help_text:
        described_by.append(f"{bound.auto_id}_help")
    if bound.errors:
        described_by.append(f"{bound.auto_id}_error")
    # Designsystemet styles text inputs, selects, checkboxes and radios alike with ds-input.
    attrs: dict[str, Any] = {"class": "ds-input"}
    is_choice_list = isinstance(widget, CheckboxSelectMultiple | RadioSelect)
    if described_by and not is_choice_list:
        attrs["aria-describedby"] = " ".join(described_by)
    if bound.errors and not is_choice_list:
        attrs["aria-invalid"] = "true"
    if bound.field.required and not isinstance(widget, CheckboxInput) and not is_choice_list:
        attrs["aria-required"] = "true"
    return {
        "bound": bound,
        "widget_html": bound.as_widget(attrs=attrs),
        "is_checkbox": isinstance(widget, CheckboxInput),
        "is_choice_list": is_choice_list,
        "hide_label": options.get("hide_label", False),
        "optional": not bound.field.required and not isinstance(widget, CheckboxInput),
    }


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """``mapping[key]`` in a template (dicts, forms), or None."""
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return None


@register.filter
def email_breaks(address: str) -> SafeString:
    """An e-mail address that may wrap after the @ and before each dot (issue 13).

    A narrow card would otherwise break it anywhere ("lonn@kundesenter.examp-le");
    ``<wbr>`` offers the places a reader expects, and copying the text is unchanged.
    """
    local, at, domain = str(address).partition("@")
    if not at:
        return conditional_escape(address)
    labels = "<wbr>.".join(conditional_escape(label) for label in domain.split("."))
    return SafeString(f"{conditional_escape(local)}@<wbr>{labels}")
