"""The API for the organisations' own systems (issue 17): ``/api/v1/``, on django-ninja.

This module holds what every endpoint shares; the endpoints live in the app that owns
their data (``cases.api``, ``access.api``) and are put together in ``portal.urls``.

Every request is admitted in the same order, before its body is read:

1. its size (``API_MAX_REQUEST_BYTES``: 413);
2. its token (``Authorization: Bearer``, a Maskinporten access token checked by
   ``portal.machine_tokens.read_token``: 401, 403 for a scope we do not serve, 503
   when the issuer's keys cannot be fetched);
3. its registration: the token's client id must be registered for the token's
   organisation and in force (``ApiClient.objects.in_force``: 403); the endpoint
   then asks the gate again for what it reads or writes (``client_in_force``,
   ``Case.objects.visible_to_client``, the ``do_*`` services);
4. the client's rate (``API_RATE_LIMIT``, per registration: 429 with Retry-After).

Every answer that is not a success is ``application/problem+json`` (RFC 9457), in the
language the request asks for (Accept-Language), with ``WWW-Authenticate`` on a 401
and a refused scope (RFC 6750). Every POST takes an ``Idempotency-Key``
(``idempotent``): the same key again gets the first answer and creates nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import redirect
from django.urls import re_path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import PathView
from ninja.params import functions as param_functions
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security.http import HttpBearer
from ninja.throttling import SimpleRateThrottle

from portal.machine_tokens import TokenRefused, read_token
from portal.models import ApiClient, IdempotentRequest
from portal.organisations import client_in_force, public_view
from portal.request_memo import remember
from portal.services import Refused

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
REALM = "kundesenter"
# The error answers every operation may give, with the schema of their body.
ERROR_STATUSES = (400, 401, 403, 404, 405, 422, 429, 503)
# What a write may answer besides: a body too large, or not of the type it takes.
WRITE_ERROR_STATUSES = (413, 415)


class Problem(Schema):
    """What went wrong (RFC 9457): ``title`` for the kind, ``detail`` for this time."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    # Per field (the input's name, or "__all__"), the reasons in the reader's language.
    errors: dict[str, list[str]] | None = None


@dataclass
class ApiProblem(Exception):
    """An answer that is not a success; raised anywhere below an endpoint."""

    status: int
    title: str
    detail: str
    errors: dict[str, list[str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def problem_response(problem: ApiProblem) -> HttpResponse:
    body = Problem(
        title=problem.title, status=problem.status, detail=problem.detail, errors=problem.errors
    ).model_dump(exclude_none=True)
    response = JsonResponse(
        body, status=problem.status, content_type=PROBLEM_TYPE, json_dumps_params=JSON_DUMPS
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response


def _challenge(error: str = "", description: str = "") -> dict[str, str]:
    """The ``WWW-Authenticate`` header of RFC 6750 for a refused token."""
    parts = [f'Bearer realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{_header_text(description)}"')
    if error == "insufficient_scope":
        parts.append(f'scope="{" ".join(settings.MASKINPORTEN_SCOPES)}"')
    return {"WWW-Authenticate": ", ".join(parts)}


def _header_text(text: str) -> str:
    """``text`` as RFC 6750 allows in a quoted ``error_description``: printable ASCII
    without quote or backslash (Norwegian letters lose their marks, æ and ø their form)."""
    folded = unicodedata.normalize("NFKD", text.translate(_NORDIC))  # … becomes ...
    return "".join(c for c in folded if " " <= c <= "~" and c not in '"\\')


_NORDIC = str.maketrans({"æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O"})


# --- Admission: size, token, registration --------------------------------------


def _check_size(request: HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.API_MAX_REQUEST_BYTES:
        raise ApiProblem(
            413,
            _("Request too large"),
            _("A request may be at most %(megabytes)s MB.")
            % {"megabytes": settings.API_MAX_REQUEST_BYTES // (1024 * 1024)},
        )


def client_for_token(raw: str) -> ApiClient:
    """The registration a bearer token stands for, or ``ApiProblem`` saying why none."""
    try:
        caller = read_token(raw)
    except TokenRefused as refused:
        if refused.status == 503:
            raise ApiProblem(
                503,
                _("Try again later"),
                refused.detail,
                headers={"Retry-After": "30"},
            ) from None
        title = _("Token not accepted") if refused.status == 401 else _("Scope not granted")
        raise ApiProblem(
            refused.status,
            title,
            refused.detail,
            headers=_challenge(refused.error, refused.detail),
        ) from None
    client = (
        ApiClient.objects.in_force()
        .select_related("organisation")
        .filter(client_id=caller.client_id, organisation__org_number=caller.org_number)
        .first()
    )
    if client is None:
        raise ApiProblem(
            403,
            _("System not registered"),
            _(
                "The client %(client)s is not registered for organisation %(organisation)s "
                "in Kundesenter. An authorised orderer or a fullmakt holder in the organisation "
                "registers it on Min side, under Integrations."
            )
            % {"client": caller.client_id, "organisation": caller.org_number},
        )
    # The gate's question for this registration, answered by the query above in the same
    # terms (ApiClient.objects.in_force): the endpoint's rule need not ask it again.
    remember(client_in_force, (client, client.organisation), True)
    return client


class MachineAuth(HttpBearer):
    """A Maskinporten access token and the registration it stands for (``request.auth``)."""

    def __call__(self, request: HttpRequest) -> ApiClient:
        _check_size(request)
        header = request.headers.get("Authorization", "")
        if not header:
            raise ApiProblem(
                401,
                _("Token missing"),
                _("Send an access token from Maskinporten: Authorization: Bearer <token>."),
                headers=_challenge(),
            )
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            detail = _("The Authorization header must be: Bearer <token>.")
            raise ApiProblem(
                401, _("Token missing"), detail, headers=_challenge("invalid_request", detail)
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient:
        return client_for_token(token)


class ClientRateThrottle(SimpleRateThrottle):
    """``API_RATE_LIMIT`` requests per registration and window, counted in the shared
    cache (every process sees the same count). The library's throttle keeps its state
    on the instance between ``allow_request`` and ``wait``; here that state is per
    thread, so a threaded server's requests do not read each other's."""

    _state = threading.local()

    def __init__(self) -> None:
        super().__init__(rate=settings.API_RATE_LIMIT)

    def allow_request(self, request: HttpRequest) -> bool:
        # Read each time: the setting may differ per deployment and per test.
        self.num_requests, self.duration = self.parse_rate(settings.API_RATE_LIMIT)
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        client = getattr(request, "auth", None)
        return f"api-rate:{client.pk}" if isinstance(client, ApiClient) else None

    def _get(self, name: str) -> Any:
        return getattr(self._state, name, None)

    key = property(lambda self: self._get("key"), lambda self, v: setattr(self._state, "key", v))
    history = property(
        lambda self: self._get("history"), lambda self, v: setattr(self._state, "history", v)
    )
    now = property(lambda self: self._get("now"), lambda self, v: setattr(self._state, "now", v))


# --- The API and its answers ---------------------------------------------------


class ReadableJSON(JSONRenderer):
    """JSON in UTF-8 as written (lønn, not l\\u00f8nn): the same data, readable in a log."""

    media_type = "application/json"  # ninja adds the charset
    json_dumps_params = {"ensure_ascii": False}


JSON_DUMPS: dict[str, Any] = {"ensure_ascii": False}


class KundesenterAPI(NinjaAPI):
    """django-ninja's API, whose schema names problem+json as the error answers' type."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    json_type = next((t for t in content if t.startswith("application/json")), "")
                    if json_type:
                        kind = PROBLEM_TYPE if int(status) >= 400 else "application/json"
                        answer["content"] = {kind: content[json_type]}
                # Every POST needs its key (``idempotent`` says so with a 400, in the
                # reader's language, where a missing required header would be pydantic's).
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "header" and parameter["name"] == "Idempotency-Key":
                        parameter["required"] = True
                        parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 255}
        return schema


DESCRIPTION = """
Kundesenter's API for the organisations' own systems: file cases in payroll (lønn) and
accounting (regnskap), follow them and answer in them, and draft access orders that an
authorised orderer submits in the portal.

**Authentication**: an access token from Maskinporten with the scope
`dfo:kundesenter` (`Authorization: Bearer <token>`). The token's client must be
registered for the organisation in Kundesenter, on Min side, with what it may do.

**Every POST** takes an `Idempotency-Key` header (any unique text, e.g. a UUID): sending
the same request again with the same key creates nothing new and gets the first answer.

**Errors** are `application/problem+json` (RFC 9457) in the language asked for by
`Accept-Language` (Norwegian bokmål, nynorsk or English).
"""

api = KundesenterAPI(
    title="Kundesenter API",
    version="1",
    description=DESCRIPTION.strip(),
    urls_namespace="api",
    auth=MachineAuth(),
    throttle=[ClientRateThrottle()],
    renderer=ReadableJSON(),
    # The documentation page is the portal's own (portal.api_docs), at the same address:
    # Swagger UI needs JavaScript, is English only and fails axe.
    docs_url=None,
    openapi_url="/openapi.json",
)


# Every POST's header, for the schema; ``idempotent`` reads and checks it.
IDEMPOTENCY_KEY: Any = param_functions.Header(
    None,
    alias="Idempotency-Key",
    description="A unique text (e.g. a UUID), the same when the request is sent again.",
    max_length=255,
)


def error_responses(*, write: bool = False) -> dict[int, type[Problem]]:
    """The ``response`` entries of the error answers, for an operation's schema."""
    return dict.fromkeys((*ERROR_STATUSES, *(WRITE_ERROR_STATUSES if write else ())), Problem)


@api.exception_handler(ApiProblem)
def _problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    return problem_response(exc)


@api.exception_handler(Refused)
def _refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    return problem_response(ApiProblem(403, _("Not allowed"), exc.reason))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(
        ApiProblem(404, _("Not found"), _("There is nothing here that this system may see."))
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = _("Send an access token from Maskinporten: Authorization: Bearer <token>.")
    return problem_response(ApiProblem(401, _("Token missing"), detail, headers=_challenge()))


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    return problem_response(
        ApiProblem(
            429,
            _("Too many requests"),
            _("This system has sent too many requests; wait as Retry-After says."),
        )
    )


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(error.get("loc", ())), []).append(
            _reason(str(error.get("type", "")))
        )
    return problem_response(invalid_input(errors, _("Some of the input could not be read.")))


# Where ninja says a value came from, and the names of the operations' parameter groups
# (``data: Form[NewCase]``, ``query: Query[CaseListQuery]``): not the field's name.
_LOCATIONS = {"body", "form", "query", "path", "header", "file", "data"}


def _field_name(location: Any) -> str:
    """The field as the request named it: ``title``, ``lines[2].valid_from``."""
    name = ""
    for part in location:
        if isinstance(part, int):
            name += f"[{part + 1}]"
        elif part not in _LOCATIONS or name:
            name += f".{part}" if name else str(part)
    return name or "__all__"


def _reason(kind: str) -> str:
    """What pydantic found wrong (its error type), in the reader's language; pydantic's
    own words are English only. Most input is read by the portal's forms instead."""
    if kind == "missing":
        return str(forms.Field.default_error_messages["required"])
    if kind.startswith(("int_", "float_")):
        return str(forms.IntegerField.default_error_messages["invalid"])
    if kind.startswith(("date", "datetime")):
        return str(forms.DateField.default_error_messages["invalid"])
    if kind.startswith(("list_", "dict_", "model_")):
        return _("This field has the wrong shape; see the schema.")
    if kind == "extra_forbidden":
        return str(UNKNOWN_FIELD)
    if kind.startswith(("greater_than", "less_than")):
        return _("The value is outside what the field takes; see the schema for its range.")
    if kind.startswith("string_too_long"):
        return _("The text is too long; see the schema for its limit.")
    return _("This value cannot be read; see the schema.")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(
        ApiProblem(413, _("Request too large"), _("The request's body is too large."))
    )


@api.exception_handler(TooManyFieldsSent)
def _too_many_fields(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(
        ApiProblem(400, _("Invalid input"), _("The request has too many fields."))
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return _not_json(request, exc)
    return problem_response(ApiProblem(exc.status_code, _("Invalid request"), str(exc)))


@api.exception_handler(RawPostDataException)
def _not_json(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body that is not the JSON the operation takes (a form sent to a JSON address)."""
    return problem_response(
        ApiProblem(
            415 if request.content_type != "application/json" else 400,
            _("Invalid request"),
            _("Send the body as JSON, with Content-Type: application/json."),
        )
    )


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API request failed: %s %s", request.method, request.path)
    return problem_response(
        ApiProblem(500, _("Something went wrong"), _("The error is logged; try again later."))
    )


UNKNOWN_FIELD = gettext_lazy("Unknown field; see the schema for the fields this address takes.")


# --- Idempotency ---------------------------------------------------------------


def _fingerprint(request: HttpRequest) -> str:
    """What the request asks: the same key with another request is refused."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.content_type == "multipart/form-data":
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                digest.update(f"{name}={value}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(f"{name}:{upload.name}:{upload.size}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def as_json(answer: Schema) -> dict[str, Any]:
    """``answer`` as the API writes every answer (ninja's encoder: times to the
    millisecond), so that a 201 and a later GET say the same."""
    data: dict[str, Any] = json.loads(json.dumps(answer.model_dump(), cls=NinjaJSONEncoder))
    return data


@dataclass(frozen=True)
class Created:
    """A write's answer: its status, its body (JSON-ready) and where the new thing is."""

    status: int
    body: dict[str, Any]
    location: str = ""


def idempotent(request: HttpRequest, write: Callable[[], Created]) -> HttpResponse:
    """Run ``write`` once per ``Idempotency-Key`` of this client.

    The key's record is written in the write's transaction: a retry after a success
    gets the first answer again (``Idempotent-Replayed: true``); a retry while the
    first is still running waits for it on the unique key; a write that is refused
    leaves no record, so the mended request may use the key again.
    """
    client = client_of(request)
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 255 or not key.isprintable():
        raise ApiProblem(
            400,
            _("Idempotency-Key missing"),
            _(
                "Every POST needs an Idempotency-Key header: a unique text of at most 255 "
                "characters (e.g. a UUID), the same when the request is sent again."
            ),
        )
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    api_client=client, key=key, fingerprint=fingerprint, status=0, body=""
                )
        except IntegrityError:
            record = IdempotentRequest.objects.get(api_client=client, key=key)
            if record.fingerprint != fingerprint:
                raise ApiProblem(
                    422,
                    _("Idempotency-Key used before"),
                    _("This Idempotency-Key was used for another request; use a new key."),
                ) from None
            return _answer(record.status, record.body, record.location, replayed=True)
        created = write()
        record.status = created.status
        record.body = json.dumps(created.body, cls=DjangoJSONEncoder, **JSON_DUMPS)
        record.location = created.location
        record.save(update_fields=["status", "body", "location"])
    return _answer(record.status, record.body, record.location, replayed=False)


def _answer(status: int, body: str, location: str, *, replayed: bool) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="application/json")
    if location:
        response["Location"] = location
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def only_parameters(request: HttpRequest, known: Iterable[str] = ()) -> None:
    """A query parameter the address does not take is told, never passed over: the
    answer would look as if it had been applied."""
    unknown = sorted(set(request.GET) - set(known))
    if unknown:
        raise ApiProblem(
            400,
            _("Unknown parameters"),
            _("These parameters are not understood: %(names)s.") % {"names": ", ".join(unknown)},
        )


def keyset_page(
    request: HttpRequest, rows: list[Any], limit: int, position: Callable[[Any], str]
) -> tuple[list[Any], str | None]:
    """A page of a list in keyset order: the first ``limit`` of ``rows`` (asked for with
    one more, to know whether there is a next page) and the next page's address, this
    request's with ``cursor`` set to ``position`` of the page's last row; None on the last."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    params = request.GET.copy()
    params["cursor"] = position(rows[-1])
    return rows, request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def invalid_input(errors: Mapping[str, Iterable[Any]], detail: str | None = None) -> ApiProblem:
    """A 422 with the reasons per field (a form's errors, a draft's lines, pydantic's)."""
    return ApiProblem(
        422,
        _("Invalid input"),
        detail or _("Some of the input is not valid; see each field."),
        errors={name: [str(reason) for reason in reasons] for name, reasons in errors.items()},
    )


def documented(description: str = "", default: Any = ..., **schema: Any) -> Any:
    """An input field read as text (the portal's forms and services check it, in the
    reader's language), whose type and limits the schema still states."""
    return Field(default, description=description, json_schema_extra=schema)


def client_of(request: HttpRequest) -> ApiClient:
    """The registration the request's token stands for (admitted by ``MachineAuth``)."""
    client = getattr(request, "auth", None)
    assert isinstance(client, ApiClient)
    return client


def gated_urls() -> tuple[list[Any], str, str]:
    """The API's URL patterns, each view marked with the gate it stands behind, as every
    view of the portal is (tests/test_url_gates.py): "machine" where every operation of
    the address asks for a token and its registration, "public" for the schema. An
    operation without the token leaves its view unmarked, and the test fails. Every
    answer is problem+json, also a method the address does not take and an address
    that is none (the last pattern), where Django would answer in HTML or, for a POST
    without its last slash, fail."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        view: Any = pattern.callback
        path_views = [
            cell.cell_contents
            for cell in getattr(view, "__closure__", None) or ()
            if isinstance(cell.cell_contents, PathView)
        ]
        if not path_views:
            view.gate = "public"  # ninja's schema and its root
            continue
        answered: Any = _methods_as_problems(view)
        if all(
            any(isinstance(auth, MachineAuth) for auth in operation.auth_callbacks)
            for operation in path_views[0].operations
        ):
            answered.gate = "machine"
        pattern.callback = answered
    return (
        [*patterns, re_path(r"^.*$", no_such_address, name="no_such_address")],
        app_name,
        namespace,
    )


def _methods_as_problems(view: Any) -> Any:
    @wraps(view)
    def answered(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            PROBLEM_TYPE
        ):
            allowed = response.get("Allow", "")
            problem = problem_response(
                ApiProblem(
                    405,
                    _("Method not allowed"),
                    _("This address takes: %(methods)s.") % {"methods": allowed},
                )
            )
            problem["Allow"] = allowed
            return problem
        return response

    return answered


@public_view
def no_such_address(request: HttpRequest) -> HttpResponse:
    """Under /api/v1/, an address that is none: a problem, with the likely mistake."""
    if request.path.rstrip("/") == reverse("portal:api_docs"):
        return redirect("portal:api_docs")
    return problem_response(
        ApiProblem(
            404,
            _("Not found"),
            _(
                "There is no such address in the API. Every address ends with a slash; "
                "the addresses are listed at %(docs)s."
            )
            % {"docs": request.build_absolute_uri(reverse("portal:api_docs"))},
        )
    )
