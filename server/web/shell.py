"""The browser shell: the ``web`` blueprint, login and logout, the language switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.validators import ValidationError

from server.accounts import service as accounts
from server.auth import account_key, address_key, failed, log_in
from server.errors import Forbidden, Unauthorized
from server.extensions import limiter
from server.hardening import drain_refused_body
from server.org.models import Person
from server.requests import me, write

web_bp = Blueprint("web", __name__, template_folder="templates")
PASSWORD_CHANGE_ONLY = {"web.password_page", "web.logout", "web.login", "web.switch_language"}


def local_target(value: str | None) -> str | None:
    """``value`` if it is a path on this site, else None.

    Browsers drop tabs and newlines inside a URL and read a backslash as ``/``, so ``/<tab>/evil``
    (``/%09/evil`` in a query), ``/<backslash>evil`` and two backslashes lead off the site just as
    ``//evil`` and ``https:evil`` do: any control character, space or backslash disqualifies it.
    """
    if not value or len(value) > 2000:
        return None
    for form in (value, unquote(value)):  # percent-encoded tricks too, whatever a browser decodes
        if any(ch <= " " or ch in "\\\x7f" for ch in form):
            return None
        parts = urlsplit(form)
        if parts.scheme or parts.netloc or not form.startswith("/") or form.startswith("//"):
            return None
    return value


def _account_limit() -> str:
    return str(current_app.config["VANGUARD"].login_limit_account)


def _address_limit() -> str:
    return str(current_app.config["VANGUARD"].login_limit_address)


@web_bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_account_limit, key_func=account_key, deduct_when=failed, methods=["POST"])
@limiter.limit(_address_limit, key_func=address_key, deduct_when=failed, methods=["POST"])
def login() -> Any:
    error, status = None, 200
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
            log_in(request.form.get("username", ""), request.form.get("password", ""),
                   remember=bool(request.form.get("remember")))
        except ValidationError:
            error, status = _("The form expired. Please try again."), 401
        except Unauthorized:
            error, status = _("Wrong username or password."), 401
        except Forbidden:
            error, status = _("This account is locked. Please ask your organisation department."), 403
        else:
            return redirect(local_target(request.args.get("next")) or url_for("web.inbox"))
    return render_template("login.html", error=error), status


@web_bp.post("/logout")
@login_required
def logout() -> Any:
    """Ends every session of the person, on every device (server.accounts.service.log_out)."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return redirect(url_for("web.inbox"))
    write(lambda s: accounts.log_out(s, me(s)))
    logout_user()
    return redirect(url_for("web.login"))


@web_bp.before_request
def _password_first() -> Any:
    """After an administrator's reset, nothing but choosing a new password (and leaving)."""
    if current_user.is_authenticated and current_user.must_change_password \
            and request.endpoint not in PASSWORD_CHANGE_ONLY:
        return redirect(url_for("web.password_page"))
    return None


@web_bp.app_errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Any:
    """A page, not werkzeug's English text (the API answers JSON: ``server.api.blueprint``)."""
    drain_refused_body(request.environ)
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    return render_template("error.html", title=_("Too large"),
                           message=_("What you sent is larger than the %(mb)s MB this server accepts.", mb=limit)), 413


@web_bp.get("/")
@login_required
def inbox() -> Any:
    return render_template("inbox.html")


@web_bp.get("/tasks/<int:task_id>")
@login_required
def task_page(task_id: int) -> Any:
    return render_template("task.html", task_id=task_id)


@web_bp.get("/lang/<code>")
def switch_language(code: str) -> Any:
    locale = "en" if code == "en" else "zh_Hans_CN"
    response = make_response(redirect(request.referrer or url_for("web.inbox")))
    response.set_cookie("vanguard_locale", locale, max_age=3600 * 24 * 365, samesite="Lax",
                        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))
    if current_user.is_authenticated:
        def save(session: Any) -> None:
            person = session.get(Person, current_user.person_id)
            if person is not None:
                person.locale = locale

        write(save)
    return response

