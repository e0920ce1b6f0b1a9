"""The ``/api`` blueprint: who may call it, and every error as ``{error, message, details}``.

Domain errors know nothing of HTTP: ``STATUS`` maps them to status codes here, at the edge.
The area blueprints (``server.api.tasks`` ...) are nested in ``api_bp`` by ``server.api.register``,
so the guard and the error handlers below apply to every one of them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import BadRequest as WerkzeugBadRequest
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from server import idempotency
from server.api.messages import localized, with_localized
from server.database import db
from server.errors import BadRequest, Conflict, DomainError, Forbidden, Invalid, NotFound, Unauthorized
from server.hardening import JSON_LIMIT, drain_refused_body
from server.requests import read

api_bp = Blueprint("api", __name__, url_prefix="/api")

STATUS = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
}
PUBLIC = {("POST", "api.session.create_session"), ("GET", "api.meta.openapi"), ("GET", "api.screens.wall_board")}


class IdConverter(IntegerConverter):
    """``<int:...>`` in this app: ids are 32-bit, so a larger number names no row (404, not a database error)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def error(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> Any:
    # Each detail too (a form's field, a BPMN element): its message in the user's language.
    body: dict[str, Any] = {"error": code, "message": message, "details": with_localized(details or [])}
    text = localized(message)  # the same in the user's language, for the pages (server/api/messages.py)
    if text is not None:
        body["localized"] = text
    return jsonify(body), status


def status_of(exc: DomainError) -> int:
    return next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)


#: what a person whose password was reset may still do before she chooses a new one
PASSWORD_CHANGE_ONLY = {("GET", "api.session.get_me"), ("POST", "api.session.change_my_password"),
                        ("DELETE", "api.session.delete_session")}


def _json_body() -> Any:
    """Parse a JSON body once, strictly (``server.hardening``), within ``JSON_LIMIT``; an error
    response if it is not acceptable. Later ``get_json`` calls get the parsed value."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
        return None
    request.max_content_length = min(JSON_LIMIT, current_app.config["MAX_CONTENT_LENGTH"] or JSON_LIMIT)
    if not request.get_data(cache=True):
        return None
    try:
        request.get_json()
    except WerkzeugBadRequest as exc:
        reason = (exc.description or "").removeprefix("Failed to decode JSON object: ")
        return error(400, "bad_json", f"the body is not acceptable JSON: {reason}",
                     [{"field": None, "message": reason}])
    return None


@api_bp.before_request
def _guard() -> Any:
    refused = _json_body()
    if refused is not None:
        return refused
    if (request.method, request.endpoint) in PUBLIC:
        return None
    if not current_user.is_authenticated:
        return error(401, "unauthorized", "log in first: POST /api/session")
    if current_user.must_change_password and (request.method, request.endpoint) not in PASSWORD_CHANGE_ONLY:
        return error(403, "password_change_required",
                     "your password was reset: choose a new one first (POST /api/me/password)",
                     [{"field": "new", "message": "required"}])
    if request.method == "POST" and not request.is_json:
        # A cross-site form can POST multipart or text, but not JSON, and cannot send
        # PUT/PATCH/DELETE at all: only non-JSON POSTs need the token.
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except CSRFError as exc:
            return error(400, "csrf", f"send the X-CSRFToken header from GET /api/me ({exc.description})")
        except Exception as exc:  # noqa: BLE001 - wtforms raises ValidationError subclasses
            return error(400, "csrf", f"send the X-CSRFToken header from GET /api/me ({exc})")
    if request.method == "POST" and request.headers.get(idempotency.HEADER) is not None:
        return _idempotent(request.headers[idempotency.HEADER])
    return None


def _idempotent(key: str) -> Any:
    """Answer a repeated request from the stored answer; else let the use case claim the key."""
    req = idempotency.request_of(current_user.person_id, key, request.method, request.path, request.get_data())
    replay = read(lambda s: idempotency.earlier(s, req))
    if replay is not None:
        return idempotency.as_response(replay)
    g.idempotency = req
    return None


@api_bp.after_request
def _remember(response: Response) -> Response:
    req = g.get("idempotency")
    if req is not None and g.get("idempotency_claimed"):
        with db.transaction() as session:
            idempotency.remember(session, req, response.status_code, response.get_data(as_text=True),
                                 response.headers.get("Location"))
    return response


@api_bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Any:
    return error(status_of(exc), exc.code, exc.message, exc.details)


@api_bp.errorhandler(IntegrityError)
def _integrity(exc: IntegrityError) -> Any:
    req = g.get("idempotency")
    if req is not None and not g.get("idempotency_claimed"):
        # A twin of this request with the same key committed first: answer as it did.
        try:
            replay = read(lambda s: idempotency.earlier(s, req))
        except DomainError as domain:
            return _domain_error(domain)
        if replay is not None:
            return idempotency.as_response(replay)
    return error(409, "conflict", "the change collides with another one made at the same time; try again")


@api_bp.errorhandler(OperationalError)
def _operational(exc: OperationalError) -> Any:
    text = str(exc.orig).lower()
    if "locked" in text or "deadlock" in text or "could not serialize" in text:
        return error(409, "conflict", "the record is busy with another change; try again")
    raise exc


def _http_error(exc: HTTPException) -> Any:
    if exc.response is not None:  # already answered (the login throttle's 429)
        return exc.response
    if isinstance(exc, RequestEntityTooLarge):
        drain_refused_body(request.environ)
        limit = request.max_content_length
        return error(413, "too_large", f"the request body is larger than the {limit} bytes accepted here",
                     [{"field": None, "message": f"at most {limit} bytes"}])
    body, status = error(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "")
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        body.headers["Allow"] = ", ".join(exc.valid_methods)
    return body, status


api_bp.register_error_handler(HTTPException, _http_error)
api_bp.register_error_handler(RequestEntityTooLarge, _http_error)  # before the pages' own 413


@api_bp.app_errorhandler(404)
@api_bp.app_errorhandler(405)
def _unrouted(exc: HTTPException) -> Any:
    """A path under /api that matches no route, or a wrong method: JSON too; elsewhere a page in
    the user's language (not werkzeug's English one)."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return _http_error(exc)
    if exc.code == 404:
        text = _("There is no page at this address. It may have moved, or the link is wrong.")
        return render_template("error.html", title=_("Page not found"), message=text), 404
    return exc
