"""Logging in and out, who I am, my language, my password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask_login import current_user, logout_user
from flask_wtf.csrf import generate_csrf

from server.accounts import service as accounts
from server.api.contract import declare
from server.api.schemas.session import (
    Credentials,
    LocaleChange,
    LocaleChanged,
    Me,
    PasswordChange,
    PasswordChanged,
    SessionCreated,
)
from server.auth import account_key, address_key, failed, log_in, relog_in
from server.extensions import limiter
from server.org.tree import positions_of, unit_dict
from server.requests import me, read, write

bp = Blueprint("session", __name__)
TAGS = ("session",)


def _account_limit() -> str:
    return str(current_app.config["VANGUARD"].login_limit_account)


def _address_limit() -> str:
    return str(current_app.config["VANGUARD"].login_limit_address)


@bp.post("/session")
@limiter.limit(_account_limit, key_func=account_key, deduct_when=failed)
@limiter.limit(_address_limit, key_func=address_key, deduct_when=failed)
@declare(body=Credentials, ok=SessionCreated, errors=(401, 403, 429), public=True, tags=TAGS)
def create_session(json: Credentials) -> Any:
    """Log in (failed attempts are throttled per account and per address: 429)"""
    user = log_in(json.username, json.password)
    return jsonify({"username": user.username, "display_name": user.display_name,
                    "must_change_password": user.must_change_password, "csrf_token": generate_csrf()})


@bp.delete("/session")
@declare(status=204, tags=TAGS)
def delete_session() -> Any:
    """Log out: every session of mine ends, on every device, remember-me included"""
    write(lambda s: accounts.log_out(s, me(s)))
    logout_user()
    return "", 204


def _me_dict(session: Any) -> dict[str, Any]:
    person = me(session)
    return {
        "username": person.username,
        "display_name": person.display_name,
        "locale": person.locale,
        "must_change_password": person.must_change_password,
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


@bp.post("/me/password")
@limiter.limit(_account_limit, key_func=lambda: f"password:{current_user.person_id}",
               deduct_when=lambda response: response.status_code == 422)
@declare(body=PasswordChange, ok=PasswordChanged, errors=(422, 429), write=True, tags=TAGS)
def change_my_password(json: PasswordChange) -> Any:
    """Change my password: every other session of mine ends; this one goes on"""
    person = write(lambda s: accounts.change_password(s, me(s), json.old, json.new))
    relog_in(person)
    return jsonify({"must_change_password": False, "csrf_token": generate_csrf()})

