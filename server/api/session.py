from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import login_user, logout_user
from flask_wtf.csrf import generate_csrf

from server.api import api_bp, json_body
from server.auth import User, authenticate
from server.errors import BadRequest, Invalid
from server.org.tree import positions_of, unit_dict
from server.requests import me, read, write

LOCALES = ("zh_Hans_CN", "en")


@api_bp.post("/session")
def create_session() -> Any:
    body = json_body()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise BadRequest("username and password are required",
                         [{"field": f, "message": "required"} for f in ("username", "password")
                          if not isinstance(body.get(f), str)])
    person = read(lambda s: authenticate(s, username, password))
    login_user(User(person))
    return jsonify({"username": person.username, "display_name": person.display_name,
                    "csrf_token": generate_csrf()})


@api_bp.delete("/session")
def delete_session() -> Any:
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


@api_bp.get("/me")
def get_me() -> Any:
    return jsonify(read(_me_dict))


@api_bp.patch("/me")
def patch_me() -> Any:
    body = json_body()
    locale = body.get("locale")
    if locale not in LOCALES:
        raise Invalid("locale must be zh_Hans_CN or en", [{"field": "locale", "message": "unsupported"}])

    def change(session: Any) -> dict[str, Any]:
        me(session).locale = locale
        return {"locale": locale}

    return jsonify(write(change))
