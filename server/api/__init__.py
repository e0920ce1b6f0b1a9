"""The JSON API: one blueprint, routes per area, domain errors mapped to HTTP here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from server.auth import Unauthorized
from server.errors import BadRequest, Conflict, DomainError, Forbidden, Invalid, NotFound

api_bp = Blueprint("api", __name__, url_prefix="/api")

STATUS = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
}
PUBLIC = {("POST", "api.create_session"), ("GET", "api.openapi")}


def error(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> Any:
    return jsonify({"error": code, "message": message, "details": details or []}), status


@api_bp.before_request
def _guard() -> Any:
    if (request.method, request.endpoint) in PUBLIC:
        return None
    if not current_user.is_authenticated:
        return error(401, "unauthorized", "log in first: POST /api/session")
    if request.method == "POST" and not request.is_json:
        # A cross-site form can POST multipart or text, but not JSON, and cannot send
        # PUT/PATCH/DELETE at all: only non-JSON POSTs need the token.
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except CSRFError as exc:
            return error(400, "csrf", f"send the X-CSRFToken header from GET /api/me ({exc.description})")
        except Exception as exc:  # noqa: BLE001 - wtforms raises ValidationError subclasses
            return error(400, "csrf", f"send the X-CSRFToken header from GET /api/me ({exc})")
    return None


@api_bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Any:
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
    return error(status, exc.code, exc.message, exc.details)


@api_bp.errorhandler(IntegrityError)
def _integrity(exc: IntegrityError) -> Any:
    return error(409, "conflict", "the change collides with another one made at the same time; try again")


@api_bp.errorhandler(OperationalError)
def _operational(exc: OperationalError) -> Any:
    text = str(exc.orig).lower()
    if "locked" in text or "deadlock" in text or "could not serialize" in text:
        return error(409, "conflict", "the record is busy with another change; try again")
    raise exc


@api_bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Any:
    return error(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "")


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object",
                         [{"field": None, "message": "expected a JSON object"}])
    return body


def bool_arg(name: str) -> bool | None:
    """A query flag: true/1/yes or false/0/no; absent or empty is None."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise BadRequest(f"'{name}' must be true or false", [{"field": name, "message": "not a boolean"}])


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest(f"'{name}' must be an integer", [{"field": name, "message": "not an integer"}]) from exc
    if not lo <= value <= hi:
        raise BadRequest(f"'{name}' must be between {lo} and {hi}", [{"field": name, "message": "out of range"}])
    return value


from server.api import calendar as _calendar  # noqa: E402,F401
from server.api import campaign as _campaign  # noqa: E402,F401
from server.api import definitions, instances, monitoring, openapi, session, tasks  # noqa: E402,F401
from server.api import notifications as _notifications  # noqa: E402,F401
from server.api import schedules as _schedules  # noqa: E402,F401
from server.api import talks as _talks  # noqa: E402,F401
