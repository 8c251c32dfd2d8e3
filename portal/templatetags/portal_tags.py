"""Template helpers: accessible form fields in Designsystemet markup."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BaseFormSet, BoundField, CheckboxInput, CheckboxSelectMultiple, RadioSelect
from django.forms.boundfield import BoundWidget
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

register = template.Library()

# Designsystemet styles text inputs, selects, checkboxes and radios alike with ds-input.
INPUT_CLASS = "ds-input"


@register.inclusion_tag("portal/forms/field.html")
def field(bound: BoundField, **options: Any) -> dict[str, Any]:
    """One labelled field; help text and errors are tied to the input with aria-describedby.

    A list of radios or checkboxes is a fieldset whose every input gets
    Designsystemet's ds-input (Django renders each choice with the widget's own
    attributes only, so they would be the browser's 13 px controls). A field is
    marked "(optional)" only when leaving it empty is fine: not when it is one
    of the form's ``alternatives``, of which one way or another must be filled.
    """
    widget = bound.field.widget
    described_by = []
    if bound.help_text:
        described_by.append(f"{bound.auto_id}_help")
    if bound.errors:
        described_by.append(f"{bound.auto_id}_error")
    # No field takes the focus on load (Django's login form asks for it): the
    # skip link stays the first Tab stop, and the page is read from its top.
    attrs: dict[str, Any] = {"class": INPUT_CLASS, "autofocus": False}
    is_choice_list = isinstance(widget, CheckboxSelectMultiple | RadioSelect)
    if bound.errors:
        attrs["aria-invalid"] = "true"
    if described_by and not is_choice_list:
        attrs["aria-describedby"] = " ".join(described_by)
    if bound.field.required and not isinstance(widget, CheckboxInput) and not is_choice_list:
        attrs["aria-required"] = "true"
    is_checkbox = isinstance(widget, CheckboxInput)
    return {
        "bound": bound,
        "widget_html": "" if is_choice_list else bound.as_widget(attrs=attrs),
        "choices": choice_widgets(bound, attrs) if is_choice_list else [],
        "is_checkbox": is_checkbox,
        "is_choice_list": is_choice_list,
        "hide_label": options.get("hide_label", False),
        "optional": not bound.field.required
        and not is_checkbox
        and bound.name not in getattr(bound.form, "alternatives", ()),
    }


def choice_widgets(bound: BoundField, attrs: dict[str, Any]) -> list[BoundWidget]:
    """The radios or checkboxes of a choice list, each with ``attrs`` (as ``bound.subwidgets``)."""
    widget = bound.field.widget
    final = bound.build_widget_attrs({**attrs, "id": bound.auto_id} if bound.auto_id else attrs)
    return [
        BoundWidget(widget, sub, bound.form.renderer)
        for sub in widget.subwidgets(bound.html_name, bound.value(), attrs=final)
    ]


def input_id(bound: BoundField) -> str:
    """The id of the input an error summary links to: the first choice of a choice list."""
    if isinstance(bound.field.widget, CheckboxSelectMultiple | RadioSelect):
        return f"{bound.auto_id}_0"
    return bound.id_for_label or bound.auto_id


def form_errors(form: Any, prefix: str = "") -> list[dict[str, str]]:
    """A form's errors for the summary: each names its field and links to its input."""
    errors = [{"text": str(error), "href": ""} for error in form.non_field_errors()]
    for bound in form:
        label = f"{prefix}, {bound.label}" if prefix else str(bound.label)
        errors += [{"text": f"{label}: {error}", "href": input_id(bound)} for error in bound.errors]
    return errors


@register.inclusion_tag("portal/forms/error_summary.html")
def error_summary(*forms: Any, note: str = "") -> dict[str, Any]:
    """Designsystemet's error summary for forms and formsets: every error names its field.

    A formset's forms are its lines ("Line 2, From date: ..."); ``note`` is a
    sentence after the list.
    """
    errors: list[dict[str, str]] = []
    for form in forms:
        if isinstance(form, BaseFormSet):
            errors += [{"text": str(error), "href": ""} for error in form.non_form_errors()]
            for number, line in enumerate(form, start=1):
                errors += form_errors(line, gettext("Line %(number)s") % {"number": number})
        elif form:  # a form missing from the context is an empty string
            errors += form_errors(form)
    return {"errors": errors, "note": note}


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
