"""People's accounts (org_admin over the person): list, reset a password, lock, unlock, log out
everywhere. Changing my own password is ``POST /api/me/password`` (``server.api.session``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from server.accounts import people, service
from server.api.contract import declare
from server.api.schemas.accounts import Locked, PasswordReset, People, PeopleQuery, Reason, SessionsEnded
from server.requests import me, read, write

bp = Blueprint("accounts", __name__)
TAGS = ("accounts",)
ACTS = (403, 404, 422)


@bp.get("/people")
@declare(query=PeopleQuery, ok=People, errors=(403,), tags=TAGS)
def list_people(query: PeopleQuery) -> Any:
    """People in the units I administer, with their account's state (org_admin)"""
    return jsonify(read(lambda s: people.list_people(s, me(s), query.q, query.limit, query.offset)))


@bp.post("/people/<username>/password-reset")
@declare(body=Reason, ok=PasswordReset, errors=ACTS, write=True, tags=TAGS)
def reset_password(username: str, json: Reason) -> Any:
    """Reset a password: a temporary one, shown once; the person must choose a new one at next login"""
    return jsonify(write(lambda s: service.reset_password(s, me(s), username, json.reason)))


@bp.post("/people/<username>/lock")
@declare(body=Reason, ok=Locked, errors=ACTS, write=True, tags=TAGS)
def lock(username: str, json: Reason) -> Any:
    """Lock an account: no login, every session ends"""
    return jsonify(write(lambda s: service.lock(s, me(s), username, json.reason)))


@bp.post("/people/<username>/unlock")
@declare(body=Reason, ok=Locked, errors=ACTS, write=True, tags=TAGS)
def unlock(username: str, json: Reason) -> Any:
    """Unlock an account"""
    return jsonify(write(lambda s: service.unlock(s, me(s), username, json.reason)))


@bp.post("/people/<username>/logout-everywhere")
@declare(body=Reason, ok=SessionsEnded, errors=ACTS, write=True, tags=TAGS)
def logout_everywhere(username: str, json: Reason) -> Any:
    """End every session of a person, on every device"""
    return jsonify(write(lambda s: service.log_out_everywhere(s, me(s), username, json.reason)))
