"""The organisation page for an ``org_admin`` (issue 15.5): the tree (create, rename, move,
appoint), a person's positions (transfer, deactivate, each with a reason) and the roster import
with its dry-run report. A shell for static/js/org.js over the ``/api/org-units``, ``/api/people``
and ``/api/positions`` routes; phone-friendly (one column below 720 px)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import current_user, login_required

from server.web.designer import _denied, _my_roles
from server.web.shell import web_bp

ORG_ROLE = "org_admin"


@web_bp.app_context_processor
def _org_nav() -> dict[str, Any]:
    """``may_org`` for the navigation of base.html."""
    if request.blueprint != "web" or not current_user.is_authenticated:
        return {}
    return {"may_org": ORG_ROLE in _my_roles()}


@web_bp.get("/org")
@login_required
def org_page() -> Any:
    if ORG_ROLE not in _my_roles():
        return _denied("org")
    return render_template("org.html")
