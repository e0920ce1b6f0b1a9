"""The browser shell: the ``web`` blueprint, login and logout, the language switch."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from server.auth import Unauthorized, User, authenticate
from server.org.models import Person
from server.requests import read, write

web_bp = Blueprint("web", __name__, template_folder="templates")


@web_bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
            person = read(lambda s: authenticate(s, request.form.get("username", ""),
                                                 request.form.get("password", "")))
        except ValidationError:
            error = _("The form expired. Please try again.")
        except Unauthorized:
            error = _("Wrong username or password.")
        else:
            login_user(User(person), remember=bool(request.form.get("remember")))
            target = request.args.get("next") or ""
            return redirect(target if target.startswith("/") and not target.startswith("//")
                            else url_for("web.inbox"))
    return render_template("login.html", error=error), 401 if error else 200


@web_bp.post("/logout")
@login_required
def logout() -> Any:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return redirect(url_for("web.inbox"))
    logout_user()
    return redirect(url_for("web.login"))


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
    response.set_cookie("vanguard_locale", locale, max_age=3600 * 24 * 365, samesite="Lax")
    if current_user.is_authenticated:
        def save(session: Any) -> None:
            person = session.get(Person, current_user.person_id)
            if person is not None:
                person.locale = locale

        write(save)
    return response

