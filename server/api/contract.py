"""Requests and responses declared once (docs/api.md).

``declare`` puts an operation's pydantic models on its route: spectree validates the query and
the JSON body with them before the view runs, and generates the OpenAPI document from the same
declarations. A rejected request becomes the usual ``{error, message, details}`` through
``server.errors``: each model says its status (400 or 422, as the route always answered), its
message and the detail per field; rules with their own wording raise ``problem`` in a validator.

Responses are declared for the document only: the views' JSON is not validated again at run time
(the completion hot path), ``tests/test_openapi_fuzz.py`` checks that it matches.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Annotated, Any, ClassVar

from flask import request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError
from spectree import Response, SpecTree

from server.calendar.workdays import FIRST_YEAR, LAST_YEAR, supported
from server.errors import BadRequest, DomainError, Invalid

# -- the error envelope ----------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    field: str | None = None
    element_id: str | None = None
    message: str
    error_class: str | None = None  # a step that failed: what failed it (docs/security.md, incidents)
    incident_id: int | None = None  # ... and the incident it left
    localized: str | None = None  # the message in the user's language (server/api/messages.py)


class Error(BaseModel):
    """Every error: a code, a sentence, and what is wrong where (a field or a BPMN element)."""

    error: str
    message: str
    localized: str | None = None  # the message in the user's language, when not English
    details: list[ErrorDetail]


# -- request models --------------------------------------------------------------------------------


def problem(message: str, detail: str, details: list[dict[str, Any]] | None = None) -> PydanticCustomError:
    """A rule's own wording: ``message`` for the response, ``detail`` for its field (or ready ``details``)."""
    return PydanticCustomError("vanguard", "{message}", {"message": message, "detail": detail, "details": details})


def invalid() -> PydanticCustomError:
    """A field in error, worded by its model (``invalid_message``, ``field_messages``)."""
    return PydanticCustomError("vanguard", "invalid", {"message": None, "detail": None, "details": None})


class Body(BaseModel):
    """A JSON request body: strict JSON types, unknown keys kept (services read some of them)."""

    model_config = ConfigDict(strict=True, extra="allow")
    invalid_status: ClassVar[int] = 400
    #: the response's message; ``{fields}`` is the list of the fields in error
    invalid_message: ClassVar[str] = "invalid request body: {fields}"
    #: the detail's message per field (else pydantic's own)
    field_messages: ClassVar[Mapping[str, str]] = {}


class Query(BaseModel):
    """Query parameters: strings, converted by the field types below."""

    model_config = ConfigDict(extra="ignore")
    invalid_status: ClassVar[int] = 400
    invalid_message: ClassVar[str] = "invalid query: {fields}"
    field_messages: ClassVar[Mapping[str, str]] = {}


def _name(info: ValidationInfo) -> str:
    return (info.field_name or "").rstrip("_")


def int_range(lo: int, hi: int) -> BeforeValidator:
    """An integer query parameter within ``lo..hi``, with today's wording."""

    def check(raw: Any, info: ValidationInfo) -> Any:
        if raw is None or isinstance(raw, int):
            return raw
        name = _name(info)
        digits = raw[1:] if raw[:1] == "-" else raw
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 12:  # not Unicode digits, not 10**4000
            raise problem(f"'{name}' must be an integer", "not an integer")
        value = int(raw)
        if not lo <= value <= hi:
            raise problem(f"'{name}' must be between {lo} and {hi}", "out of range")
        return value

    return BeforeValidator(check)


Limit = Annotated[int, int_range(1, 500), Field(ge=1, le=500)]
Offset = Annotated[int, int_range(0, 10**9), Field(ge=0, le=10**9)]


def _query_bool(raw: Any, info: ValidationInfo) -> bool | None:
    """true/1/yes or false/0/no; absent or empty is None."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise problem(f"'{_name(info)}' must be true or false", "not a boolean")


QueryBool = Annotated[bool | None, BeforeValidator(_query_bool)]


def _query_date(raw: Any, info: ValidationInfo) -> date:
    name = _name(info)
    if not raw:
        raise problem(f"'{name}' is required (YYYY-MM-DD)", "required")
    if isinstance(raw, date):
        return raw
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise problem(f"'{name}' must be a date YYYY-MM-DD", "not a date") from None
    if not supported(day):
        raise problem(f"'{name}' must be a date between {FIRST_YEAR} and {LAST_YEAR}", "out of range")
    return day


QueryDate = Annotated[date, BeforeValidator(_query_date)]


def _query_id(raw: Any, info: ValidationInfo) -> int | None:
    """A row id in a query parameter: digits (at most 32-bit), worded by its model."""
    if raw is None or isinstance(raw, int):
        return raw
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) < 2**31:
        return int(raw)
    raise invalid()


QueryId = Annotated[int | None, BeforeValidator(_query_id), WithJsonSchema({"type": "integer", "minimum": 0})]


def one_of(values: Iterable[str], message: str, detail: str) -> BeforeValidator:
    allowed = tuple(values)

    def check(raw: Any) -> Any:
        if raw not in allowed:
            raise problem(message, detail)
        return raw

    return BeforeValidator(check)


def service_checked(schema: dict[str, Any]) -> WithJsonSchema:
    """A field documented here but checked by the service, with the service's status and wording."""
    return WithJsonSchema(schema)


ID_OR_CODE: dict[str, Any] = {"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 1}],
                              "description": "org unit id or code"}


def _unit_ref(raw: Any) -> int | str:
    if isinstance(raw, bool) or not isinstance(raw, int | str) or raw == "":
        raise invalid()
    return raw


#: an org unit named by id or code (required; its wording is the model's)
UnitRef = Annotated[int | str, BeforeValidator(_unit_ref), WithJsonSchema(ID_OR_CODE)]


def _rejection(model: type[Body] | type[Query], exc: ValidationError) -> DomainError:
    details: list[dict[str, Any]] = []
    messages: list[str] = []
    for item in exc.errors(include_url=False):
        loc = item["loc"]
        field = ".".join(str(part) for part in loc) or None
        ctx = item.get("ctx") or {}
        if item["type"] == "vanguard" and ctx["message"] is not None:
            messages.append(ctx["message"])
            details.extend(ctx["details"] or [{"field": field, "message": ctx["detail"]}])
        else:
            default = model.field_messages.get(str(loc[0]) if loc else "", item["msg"])
            details.append({"field": field, "message": default})
    fields = ", ".join(dict.fromkeys(str(d["field"]).split(".")[0] for d in details if d["field"]))
    message = messages[0] if messages else model.invalid_message.replace("{fields}", fields)
    return (Invalid if model.invalid_status == 422 else BadRequest)(message, details)


def _before(query: type[Query] | None, body: type[Body] | None) -> Callable[..., None]:
    def check(req: Any, resp: Any, exc: ValidationError | None, instance: Any, adapter: Any) -> None:
        if body is not None and not isinstance(request.get_json(silent=True), dict):
            raise BadRequest("the request body must be a JSON object",
                             [{"field": None, "message": "expected a JSON object"}])
        if exc is not None:
            model = query if query is not None and exc.title == query.__name__ else body
            assert model is not None
            raise _rejection(model, exc)

    return check


# -- operations ------------------------------------------------------------------------------------


class Documented(Response):
    """Response models for the document: a view's JSON is not validated again at run time."""

    def find_model(self, code: int) -> Any:
        return None


spec = SpecTree(
    "flask",
    mode="strict",
    title="Vanguard API",
    version="1.0",
    description=(
        "JSON API of the Vanguard workflow server. Log in with POST /api/session; the session "
        "cookie authenticates later calls. Unsafe requests must send a JSON body "
        "(Content-Type: application/json) or the X-CSRFToken header (token from GET /api/me). "
        "Every error is {error, message, details: [{field|element_id, message}]}."
    ),
    path="apidoc",
    page_templates={},
    annotations=True,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda parent, child: child,
    validation_error_model=Error,
)

#: what every logged-in call can answer: 401 without a session, 404 when the account is gone
LOGGED_IN = (401, 404)


def declare(
    *,
    ok: Any = None,
    status: int = 200,
    errors: Iterable[int] = (),
    query: type[Query] | None = None,
    body: type[Body] | None = None,
    tags: Iterable[str] = (),
    public: bool = False,
    write: bool = False,
    ok_media: str | None = None,
    request_media: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an operation: its models, its success and the error statuses it really returns.

    ``ok`` is the success body's model (``None``: no JSON body); a logged-in call adds 401/404,
    a body or a non-JSON POST adds 400 (bad body, CSRF), a write adds 409 (a concurrent change).
    ``ok_media`` names a file answer's media type, ``request_media`` a body that is not JSON.
    """
    codes = set(errors)
    if not public:
        codes.update(LOGGED_IN)
    if body is not None or query is not None:
        codes.add(body.invalid_status if body is not None else 400)
        codes.add(400)
    if write:
        codes.update((400, 409))
    responses: dict[str, Any] = {f"HTTP_{code}": Error for code in sorted(codes)}
    if ok is not None:
        responses[f"HTTP_{status}"] = ok
    plain = () if ok is not None else (f"HTTP_{status}",)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        operation = f"{view.__module__.rsplit('.', 1)[-1]}.{view.__name__}"
        if ok_media or request_media:
            _MEDIA[operation] = (str(status), ok_media, request_media)
        return spec.validate(
            query=query,
            json=body,
            resp=Documented(*plain, **responses),
            tags=list(tags),
            before=_before(query, body),
            # spectree documents this status with the Error model unless the operation already has it
            validation_error_status=body.invalid_status if body is not None else min(codes, default=status),
            operation_id=operation,
        )(view)

    return decorate


#: operation id -> (success status, file media type, request bodies that are not JSON)
_MEDIA: dict[str, tuple[str, str | None, Mapping[str, Any] | None]] = {}


def document() -> dict[str, Any]:
    """The OpenAPI document of the current app's declared routes."""
    generated = copy.deepcopy(spec.spec)
    for operations in generated["paths"].values():
        for operation in operations.values():
            status, ok_media, request_media = _MEDIA.get(operation["operationId"], ("", None, None))
            if ok_media:
                operation["responses"][status]["content"] = {
                    ok_media: {"schema": {"type": "string", "format": "binary"}}}
            if request_media:
                operation["requestBody"] = {"required": True, "content": dict(request_media)}
    return generated
