"""Account pages: "修改密码" for everyone (also the forced change after a reset), and the
people page where an ``org_admin`` resets, locks, unlocks and logs out accounts.

The password page is a plain form (it works before any script and is the one page a person
with a reset password may open); the people page is a shell for static/js/people.js over
``/api/people``.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from server.accounts import passwords, service
from server.auth import relog_in
from server.errors import Invalid
from server.requests import me, write
from server.web.designer import _denied, _my_roles
from server.web.shell import web_bp

ACCOUNTS_ROLE = "org_admin"


def _say(message: str) -> str:
    """The service's wording of a password problem, in the reader's language."""
    known = {
        "wrong password": _("The current password is wrong."),
        f"at least {passwords.MIN_LENGTH} characters": _("Use at least %(n)s characters.", n=passwords.MIN_LENGTH),
        f"at most {passwords.MAX_LENGTH} characters": _("Use at most %(n)s characters.", n=passwords.MAX_LENGTH),
        "must not contain the username": _("The password must not contain your username."),
        "is one of the most common passwords": _("This is one of the most common passwords; choose another."),
        "is too easy to guess (a sequence, a repetition, a date or a name)":
            _("This password is too easy to guess (a sequence, a repetition, a date or a name)."),
        "must differ from the current password": _("The new password must differ from the current one."),
        "required": _("Required."),
    }
    return known.get(message, message)


@web_bp.app_context_processor
def _accounts_nav() -> dict[str, Any]:
    """``may_people`` for the navigation of base.html."""
    if request.blueprint != "web" or not current_user.is_authenticated:
        return {}
    return {"may_people": ACCOUNTS_ROLE in _my_roles()}


@web_bp.route("/password", methods=["GET", "POST"])
@login_required
def password_page() -> Any:
    errors: dict[str, list[str]] = {}
    done = False
    status = 200
    if request.method == "POST":
        new = request.form.get("new", "")
        try:
            validate_csrf(request.form.get("csrf_token"))
            if new != request.form.get("confirm", ""):
                errors["confirm"] = [_("The two new passwords differ.")]
            else:
                person = write(lambda s: service.change_password(s, me(s), request.form.get("old", ""), new))
                relog_in(person)
                done = True
        except ValidationError:
            errors["form"] = [_("The form expired. Please try again.")]
        except Invalid as exc:
            for detail in exc.details:
                errors.setdefault(str(detail.get("field")), []).append(_say(str(detail.get("message"))))
        status = 422 if errors else 200
    return render_template("password.html", errors=errors, done=done, min_length=passwords.MIN_LENGTH,
                           forced=current_user.must_change_password and not done), status


@web_bp.get("/people")
@login_required
def people_page() -> Any:
    if ACCOUNTS_ROLE not in _my_roles():
        return _denied("people")
    return render_template("people.html", q=request.args.get("q", ""))
