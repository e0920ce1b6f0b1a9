"""Login sessions (flask-login) over ``server.accounts``, and the login throttle.

A session or remember-me cookie names the person and her current session key
(``server.accounts.sessions``); the loader below refuses it once the key has changed
(logout, a password change, an administrator's "log out everywhere"), once the account is
locked or deactivated. Logging in is throttled per account and per address
(``server.extensions.limiter``, Flask-Limiter): only failed attempts count, so an office
whose fifty members log in at nine behind one address is not stopped.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Response, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import LoginManager, UserMixin, login_user
from flask_login.config import COOKIE_NAME

from server.accounts import passwords, service, sessions
from server.errors import Unauthorized
from server.org.models import Person
from server.requests import db_session, read, write

__all__ = ["Unauthorized", "User", "hash_password", "init_login", "log_in"]

hash_password = passwords.hash_password


class User(UserMixin):
    """The logged-in person as flask-login sees it; a plain value, not an ORM row."""

    def __init__(self, person: Person):
        self.person_id = person.id
        self.username = person.username
        self.display_name = person.display_name
        self.locale = person.locale
        self.must_change_password = person.must_change_password
        self.session_key = person.session_key or ""

    def get_id(self) -> str:
        return sessions.cookie_id(self.person_id, self.session_key)


def log_in(username: str, password: str, *, remember: bool = False) -> User:
    """Check the credentials (no write lock held while hashing), then start the session."""
    checked = read(lambda s: service.check_credentials(s, username, password))
    person = write(lambda s: service.start_session(s, checked.id))
    user = User(person)
    login_user(user, remember=remember)
    return user


def relog_in(person: Person) -> None:
    """Keep the current browser logged in after its person drew a new session key."""
    name = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
    login_user(User(person), remember=bool(request.cookies.get(name)))


def init_login(manager: LoginManager) -> None:
    manager.login_view = "web.login"

    @manager.user_loader
    def _load(user_id: str) -> Any:
        person = service.load_for_cookie(db_session(), user_id)
        if person is None:
            return None
        g.login_person = person  # held for ``server.requests.me``: sessions keep rows only weakly
        return User(person)


# -- the login throttle ------------------------------------------------------------------------------


def _credentials_username() -> str:
    body = request.get_json(silent=True) if request.is_json else None
    name = body.get("username") if isinstance(body, dict) else request.form.get("username")
    return name.strip().lower()[:64] if isinstance(name, str) else ""


def account_key() -> str:
    """The account a login attempt names (attempts naming none are counted together)."""
    return f"account:{_credentials_username()}"


def address_key() -> str:
    return f"address:{request.remote_addr or 'unknown'}"


def failed(response: Response) -> bool:
    """Only failed attempts count against the limits."""
    return response.status_code in (401, 403)


def too_many(limit: RequestLimit) -> Response:
    """429 with a sentence a person can act on: JSON on the API, the login page otherwise."""
    wait = max(1, limit.reset_at - int(time.time()))
    which = "this account" if "account:" in limit.key else "this address"
    if request.path.startswith("/api/"):
        response = jsonify({"error": "too_many_requests",
                            "message": f"too many failed logins from {which}; try again in {wait} seconds",
                            "details": [{"field": "username" if "account" in which else None,
                                         "message": f"retry after {wait} seconds"}]})
    else:
        response = make_response(render_template(
            "login.html", error=_("Too many failed attempts. Please wait %(seconds)s seconds and try again.",
                                  seconds=wait)))
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response
