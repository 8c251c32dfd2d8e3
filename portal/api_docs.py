"""The API's documentation page (``/api/v1/docs``), made from the API's own schema.

django-ninja's page (Swagger UI) needs JavaScript, speaks English only and fails axe; this
one is the portal's own: rendered on the server from ``api.get_openapi_schema()``, so an
operation added to the API is on the page without anyone writing it down, in the base
layout, in the reader's language. What the schema says (summaries, descriptions, the
meaning of an answer that the code spells out) stays in the English the code gives it,
marked ``lang="en"``; everything the page says itself is translated.

The schema is read as OpenAPI 3.1 as ninja writes it: ``$ref`` into
``components/schemas``, ``anyOf`` with ``null`` for what may be missing, enums as their
own components. What this module does not know it shows plainly rather than hides.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from portal.api import ClientRateThrottle, api
from portal.models import ApiClient
from portal.organisations import public_view

Schema = dict[str, Any]

METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


@dataclass(frozen=True)
class Field:
    """A parameter, a field of a request body or of an answer's structure."""

    name: str
    type: SafeString
    required: bool
    limits: list[SafeString]
    description: SafeString
    where: str = ""  # for a parameter: in the path, the query, a header


@dataclass(frozen=True)
class Body:
    """A request body in one media type: its fields, or its type when it has none."""

    media_type: str
    fields: list[Field]
    type: SafeString
    anchor: str


@dataclass(frozen=True)
class Answer:
    status: str
    meaning: str
    meaning_in_english: bool  # the schema's own words, not the page's
    media_types: list[str]
    type: SafeString


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: list[SafeString]
    deprecated: bool
    parameters: list[Field]
    bodies: list[Body]
    answers: list[Answer]


@dataclass(frozen=True)
class Structure:
    """An object a request or an answer holds (a component of the schema), with its
    fields."""

    name: str
    anchor: str
    description: list[SafeString]
    fields: list[Field]
    type: SafeString  # what it is, when it has no fields


@dataclass
class Reader:
    """Reads one schema; notes the objects that bodies and answers refer to, in order of
    use."""

    schema: Schema
    referred: list[str] = field(default_factory=list)
    components: dict[str, Schema] = field(init=False)
    meanings: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.components = dict(self.schema.get("components", {}).get("schemas", {}))
        self.meanings = status_meanings()

    def resolve(self, node: Schema) -> tuple[str, Schema]:
        """The component a ``$ref`` names (its name and schema), or ("", node) itself."""
        ref = node.get("$ref", "")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            return name, self.components.get(name, {})
        return "", node

    # --- Types ---------------------------------------------------------------

    def describe(self, node: Schema, *, nullable: bool = True) -> SafeString:
        """What a value is, in words: a type, a list of, one of some values, or a link to
        the structure it is. ``nullable=False`` for a parameter, which is left out
        rather than sent as null (the table says whether it is required)."""
        name, target = self.resolve(node)
        if name:
            if _is_enum(target):
                return self._one_of(target["enum"])
            if name not in self.referred:
                self.referred.append(name)
            return format_html(
                '<a class="ds-link" href="#{}"><code>{}</code></a>', structure_anchor(name), name
            )
        variants = node.get("anyOf") or node.get("oneOf")
        if variants:
            # pydantic puts a format beside anyOf, for the variant it belongs to.
            shared = {k: node[k] for k in ("format",) if k in node}
            kept = [
                {**shared, **v} if v.get("type") == "string" else v
                for v in variants
                if nullable or v.get("type") != "null"
            ]
            return _join(_("%(one)s or %(other)s"), [self.describe(v) for v in kept])
        if "enum" in node:
            return self._one_of(node["enum"])
        if "const" in node:
            return _code(json.dumps(node["const"]))
        kind = node.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if nullable or k != "null"]
            return _join(
                _("%(one)s or %(other)s"), [self.describe({**node, "type": k}) for k in kinds]
            )
        if kind == "array":
            items = node.get("items", {})
            _name, item = self.resolve(items)
            if item.get("type") == "string" and item.get("format") == "binary":
                return format_html("{}", _("one or more files"))
            if _is_enum(item):
                return _html(_("list, each one of %(values)s"), values=self._values(item["enum"]))
            return _html(_("list of %(type)s"), type=self.describe(items))
        if kind == "object" and isinstance(node.get("additionalProperties"), dict):
            return _html(
                _("object; each value is %(type)s"),
                type=self.describe(node["additionalProperties"]),
            )
        if kind == "string" and node.get("format") == "binary":
            return format_html("{}", _("a file"))
        if isinstance(kind, str):
            if node.get("format"):
                return format_html("<code>{}</code> (<code>{}</code>)", kind, node["format"])
            return _code(kind)
        return format_html("{}", _("any value"))

    def _one_of(self, values: list[Any]) -> SafeString:
        return _html(_("one of %(values)s"), values=self._values(values))

    @staticmethod
    def _values(values: list[Any]) -> SafeString:
        return format_html_join(", ", "<code>{}</code>", ((_plain(v),) for v in values))

    def limits(self, node: Schema) -> list[SafeString]:
        """What a value must keep to: lengths, bounds, its default."""
        variants = [v for v in node.get("anyOf", []) if v.get("type") != "null"]
        merged = {**(variants[0] if len(variants) == 1 else {}), **node}
        found = [
            format_html("{}", text)
            for text in (
                *_lengths(merged.get("minLength"), merged.get("maxLength")),
                *_numbers(merged.get("minimum"), merged.get("maximum")),
                *_items(merged.get("minItems"), merged.get("maxItems")),
            )
        ]
        if merged.get("pattern"):
            found.append(_html(_("as the pattern %(pattern)s"), pattern=_code(merged["pattern"])))
        if "default" in merged and merged["default"] is not None:
            found.append(_html(_("default %(value)s"), value=_code(json.dumps(merged["default"]))))
        return found

    # --- Parts of an operation -------------------------------------------------

    def fields_of(self, node: Schema, where: str = "") -> list[Field]:
        _name, target = self.resolve(node)
        required = set(target.get("required", []))
        return [
            Field(
                name=name,
                type=self.describe(prop),
                required=name in required,
                limits=self.limits(prop),
                description=_inline(_description(prop)),
                where=where,
            )
            for name, prop in target.get("properties", {}).items()
        ]

    def parameter(self, parameter: Schema) -> Field:
        schema = parameter.get("schema", {})
        return Field(
            name=str(parameter.get("name", "")),
            type=self.describe(schema, nullable=False),
            required=bool(parameter.get("required")),
            limits=self.limits(schema),
            description=_inline(parameter.get("description") or _description(schema)),
            where=_where(str(parameter.get("in", ""))),
        )

    def bodies(self, operation: Schema, anchor: str) -> list[Body]:
        content = operation.get("requestBody", {}).get("content", {})
        found = []
        for number, (media_type, media) in enumerate(content.items(), start=1):
            node = media.get("schema", {})
            _name, target = self.resolve(node)
            fields = self.fields_of(node) if "properties" in target else []
            found.append(
                Body(
                    media_type=media_type,
                    fields=fields,
                    type=SafeString() if fields else self.describe(node),
                    anchor=f"{anchor}-body-{number}",
                )
            )
        return found

    def answers(self, operation: Schema) -> list[Answer]:
        found = []
        for status, answer in sorted(operation.get("responses", {}).items(), key=_status_order):
            content = answer.get("content", {})
            types = [self.describe(media.get("schema", {})) for media in content.values()]
            meaning, in_english = _meaning(
                str(status), str(answer.get("description", "")), self.meanings
            )
            found.append(
                Answer(
                    status=str(status),
                    meaning=meaning,
                    meaning_in_english=in_english,
                    media_types=list(content),
                    type=format_html_join(", ", "{}", ((t,) for t in types)),
                )
            )
        return found

    def operations(self) -> list[Operation]:
        found = []
        for path, item in self.schema.get("paths", {}).items():
            shared = item.get("parameters", [])
            for method in METHODS:
                if method not in item:
                    continue
                operation = item[method]
                parameters = [*shared, *operation.get("parameters", [])]
                anchor = operation_anchor(method, path)
                found.append(
                    Operation(
                        method=method.upper(),
                        path=path,
                        anchor=anchor,
                        summary=str(operation.get("summary", "")),
                        description=_paragraphs(str(operation.get("description", ""))),
                        deprecated=bool(operation.get("deprecated")),
                        parameters=[self.parameter(p) for p in parameters],
                        bodies=self.bodies(operation, anchor),
                        answers=self.answers(operation),
                    )
                )
        return found

    def structures(self) -> list[Structure]:
        """Every object the bodies and answers refer to, and the objects those refer to,
        in order."""
        found = []
        for name in self.referred:  # grows while it is read: a breadth-first walk
            target = self.components.get(name, {})
            fields = self.fields_of(target)
            found.append(
                Structure(
                    name=name,
                    anchor=structure_anchor(name),
                    description=_paragraphs(str(target.get("description", ""))),
                    fields=fields,
                    type=SafeString() if fields else self.describe(target),
                )
            )
        return found


# --- Words -------------------------------------------------------------------


def _meaning(status: str, description: str, meanings: dict[str, str]) -> tuple[str, bool]:
    """What an answer means, and whether in the schema's English: the page's own words
    for a status the API gives everywhere, the schema's where it says more than the
    status's name."""
    try:
        phrase = HTTPStatus(int(status)).phrase
    except ValueError:
        phrase = ""
    if description and description != phrase:
        return description, True
    if status in meanings:
        return meanings[status], False
    return phrase or description, bool(phrase or description)


def status_meanings() -> dict[str, str]:
    """What each status means in this API, in the reader's language."""
    megabytes = settings.API_MAX_REQUEST_BYTES // (1024 * 1024)
    return {
        "200": _("Done: the answer holds what was asked for."),
        "201": _("Created: the answer holds what was made; the Location header gives its address."),
        "204": _("Done; the answer has no body."),
        "400": _(
            "The request cannot be read: a parameter that is not understood, a missing "
            "Idempotency-Key, too many fields."
        ),
        "401": _(
            "No token, or a token that is not accepted (expired, wrong issuer, bad "
            "signature): the WWW-Authenticate header says why."
        ),
        "403": _(
            "The token lacks the API's scope, the system is not registered for the "
            "organisation, or its registration does not allow this."
        ),
        "404": _("There is nothing here that this system may see."),
        "405": _("The address does not take this method: the Allow header says which it takes."),
        "415": _("The body is not of the type the address takes (JSON or multipart form)."),
        "413": _("The request is larger than %(megabytes)s MB.") % {"megabytes": megabytes},
        "422": _(
            "The input is not valid (errors gives the reasons per field), or the "
            "Idempotency-Key was used before for another request."
        ),
        "429": _("This system has sent too many requests: wait as Retry-After says, then retry."),
        "500": _("Something went wrong on our side; it is logged. Try again later."),
        "503": _(
            "The token cannot be checked just now (Maskinporten's keys cannot be fetched): "
            "try again after Retry-After."
        ),
    }


def _where(location: str) -> str:
    return {
        "path": _("path"),
        "query": _("query"),
        "header": _("header"),
        "cookie": _("cookie"),
    }.get(location, location)


def _lengths(low: Any, high: Any) -> list[str]:
    if low is not None and high is not None:
        return [
            ngettext("%(low)s to %(high)s character", "%(low)s to %(high)s characters", int(high))
            % {"low": _number(low), "high": _number(high)}
        ]
    if low is not None:
        return [
            ngettext("at least %(count)s character", "at least %(count)s characters", int(low))
            % {"count": _number(low)}
        ]
    if high is not None:
        return [
            ngettext("at most %(count)s character", "at most %(count)s characters", int(high))
            % {"count": _number(high)}
        ]
    return []


def _numbers(low: Any, high: Any) -> list[str]:
    if low is not None and high is not None:
        return [_("from %(low)s to %(high)s") % {"low": _number(low), "high": _number(high)}]
    if low is not None:
        return [_("at least %(low)s") % {"low": _number(low)}]
    if high is not None:
        return [_("at most %(high)s") % {"high": _number(high)}]
    return []


def _items(low: Any, high: Any) -> list[str]:
    if low is not None and high is not None:
        return [
            ngettext("%(low)s to %(high)s item", "%(low)s to %(high)s items", int(high))
            % {"low": _number(low), "high": _number(high)}
        ]
    if low is not None:
        return [
            ngettext("at least %(count)s item", "at least %(count)s items", int(low))
            % {"count": _number(low)}
        ]
    if high is not None:
        return [
            ngettext("at most %(count)s item", "at most %(count)s items", int(high))
            % {"count": _number(high)}
        ]
    return []


def _number(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _is_enum(node: Schema) -> bool:
    return "enum" in node and "properties" not in node


def _description(node: Schema) -> str:
    return str(node.get("description", ""))


def _status_order(item: tuple[str, Any]) -> tuple[int, str]:
    status = str(item[0])
    return (int(status), status) if status.isdigit() else (1000, status)


# --- HTML ----------------------------------------------------------------------


def _html(template: str, **parts: Any) -> SafeString:
    """``template``, translated text with ``%(name)s`` placeholders (escaped here, as
    any text), with ``parts`` put in: HTML made here as it is, the rest escaped."""
    braced = str(escape(template)).replace("{", "{{").replace("}", "}}")
    return format_html(_PLACEHOLDER.sub(r"{\1}", braced), **parts)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _join(template: str, parts: list[SafeString]) -> SafeString:
    """Parts as "a or b or c", with the translated connective."""
    result = parts[0] if parts else SafeString()
    for part in parts[1:]:
        result = _html(template, one=result, other=part)
    return result


def _code(text: str) -> SafeString:
    return format_html("<code>{}</code>", text)


_CODE = re.compile(r"``?([^`]+?)``?")
_STRONG = re.compile(r"\*\*(.+?)\*\*")


def _inline(text: str) -> SafeString:
    """A description's text, with the little Markdown descriptions use: `code` and
    **strong**. Everything else is escaped."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html("<code>{}</code>", chunk) if odd % 2 else _strong(chunk),)
            for odd, chunk in enumerate(_CODE.split(text.strip()))
        ),
    )


def _strong(text: str) -> SafeString:
    return format_html_join(
        "",
        "{}",
        (
            (format_html("<strong>{}</strong>", chunk) if odd % 2 else chunk,)
            for odd, chunk in enumerate(_STRONG.split(text))
        ),
    )


def _paragraphs(text: str) -> list[SafeString]:
    return [_inline(" ".join(p.split())) for p in re.split(r"\n\s*\n", text) if p.strip()]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def operation_anchor(method: str, path: str) -> str:
    return f"{method.lower()}-{_slug(path)}"


def structure_anchor(name: str) -> str:
    return f"structure-{_slug(name)}"


# --- The page --------------------------------------------------------------------


def rate_text(rate: str) -> str:
    """``API_RATE_LIMIT`` ("120/min") in words."""
    count, seconds = ClientRateThrottle().parse_rate(rate)
    if count is None or seconds is None:
        return rate
    shown = number_format(count, use_l10n=True, force_grouping=True)
    per = {
        1: ngettext("%(count)s request a second", "%(count)s requests a second", count),
        60: ngettext("%(count)s request a minute", "%(count)s requests a minute", count),
        3600: ngettext("%(count)s request an hour", "%(count)s requests an hour", count),
        86400: ngettext("%(count)s request a day", "%(count)s requests a day", count),
    }
    if seconds in per:
        return per[seconds] % {"count": shown}
    return ngettext(
        "%(count)s request every %(seconds)s seconds",
        "%(count)s requests every %(seconds)s seconds",
        count,
    ) % {"count": shown, "seconds": number_format(seconds, use_l10n=True, force_grouping=True)}


EXAMPLE_TITLE_LENGTH = 300  # a case's title at most (cases.forms.NewCaseForm)


def example_problem() -> str:
    """A problem+json answer as the API gives it, in the reader's language: a title one
    character too long (tests/test_api_docs.py sends it and compares)."""
    try:
        forms.CharField(max_length=EXAMPLE_TITLE_LENGTH).clean("x" * (EXAMPLE_TITLE_LENGTH + 1))
        reasons: list[str] = []
    except ValidationError as error:
        reasons = error.messages
    body = {
        "type": "about:blank",
        "title": _("Invalid input"),
        "status": 422,
        "detail": _("Some of the input is not valid; see each field."),
        "errors": {"title": reasons},
    }
    return json.dumps(body, indent=2, ensure_ascii=False)


@public_view
@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    """The API's documentation: what it is for, how to get access, and every operation
    of its schema, as anyone may read it (the schema itself is public too)."""
    schema = api.get_openapi_schema()
    reader = Reader(schema)
    operations = reader.operations()
    structures = reader.structures()  # after the operations, which name them
    root = request.build_absolute_uri(reverse("api:api-root"))
    return render(
        request,
        "portal/api_docs.html",
        {
            "info": schema.get("info", {}),
            "openapi_version": schema.get("openapi", ""),
            "operations": operations,
            "structures": structures,
            "scopes": settings.MASKINPORTEN_SCOPES,
            "rate": rate_text(settings.API_RATE_LIMIT),
            "megabytes": settings.API_MAX_REQUEST_BYTES // (1024 * 1024),
            "idempotency_hours": settings.API_IDEMPOTENCY_HOURS,
            "permissions": [label for _value, label in ApiClient.Permission.choices],
            "schema_url": reverse("api:openapi-json"),
            "api_root": root,
            "cases_url": request.build_absolute_uri(reverse("api:cases")),
            "subject_areas_url": request.build_absolute_uri(reverse("api:subject_areas")),
            "example_problem": example_problem(),
        },
    )
