"""Logging in and out, who I am, my language."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask_login import login_user, logout_user
from flask_wtf.csrf import generate_csrf

from server.api.contract import declare
from server.api.schemas.session import Credentials, LocaleChange, LocaleChanged, Me, SessionCreated
from server.auth import User, authenticate
from server.org.tree import positions_of, unit_dict
from server.requests import me, read, write

bp = Blueprint("session", __name__)
TAGS = ("session",)


@bp.post("/session")
@declare(body=Credentials, ok=SessionCreated, errors=(401,), public=True, tags=TAGS)
def create_session(json: Credentials) -> Any:
    """Log in"""
    person = read(lambda s: authenticate(s, json.username, json.password))
    login_user(User(person))
    return jsonify({"username": person.username, "display_name": person.display_name,
                    "csrf_token": generate_csrf()})


@bp.delete("/session")
@declare(status=204, tags=TAGS)
def delete_session() -> Any:
    """Log out"""
    logout_user()
    return "", 204


def _me_dict(session: Any) -> dict[str, Any]:
    person = me(session)
    return {
        "username": person.username,
        "display_name": person.display_name,
        "locale": person.locale,
        "positions": [
            {"org_unit": unit_dict(p.org_unit), "role": p.role,
             "start": p.start.isoformat() if p.start else None, "end": p.end.isoformat() if p.end else None}
            for p in positions_of(session, person.id)
        ],
        "csrf_token": generate_csrf(),
    }


@bp.get("/me")
@declare(ok=Me, tags=TAGS)
def get_me() -> Any:
    """Who am I, with my positions"""
    return jsonify(read(_me_dict))


@bp.patch("/me")
@declare(body=LocaleChange, ok=LocaleChanged, write=True, tags=TAGS)
def patch_me(json: LocaleChange) -> Any:
    """Change my language"""
    locale = json.locale

    def change(session: Any) -> dict[str, Any]:
        me(session).locale = locale
        return {"locale": locale}

    return jsonify(write(change))
