"""Everyday pages beyond the inbox: start a process, an instance, public boards, the stage
dashboard and the working-day calendar.

Like the inbox these are shells; the work is done by static/js/<page>.js against the JSON API,
which also enforces who may see what. Here only the navigation and the page-level role checks.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required

from server.org.tree import positions_of
from server.requests import read
from server.web.designer import ROLE_LABELS, _denied, _my_roles
from server.web.shell import web_bp

MANAGER_ROLES = {"secretary", "deputy_secretary", "org_admin"}
CALENDAR_ROLE = "org_admin"


@web_bp.app_context_processor
def _page_nav() -> dict[str, Any]:
    """``may_manage`` / ``may_calendar`` for the navigation links of base.html."""
    if request.blueprint != "web":
        return {}
    roles = _my_roles()
    return {"may_manage": bool(roles & MANAGER_ROLES), "may_calendar": CALENDAR_ROLE in roles}


@web_bp.get("/start")
@login_required
def start_page() -> Any:
    return render_template("start.html", process=request.args.get("process", ""))


@web_bp.get("/instances/<int:instance_id>")
@login_required
def instance_page(instance_id: int) -> Any:
    return render_template("instance.html", instance_id=instance_id)


@web_bp.get("/board")
@web_bp.get("/board/<unit_ref>")
@login_required
def board_page(unit_ref: str | None = None) -> Any:
    return render_template("board.html", unit_ref=unit_ref or "", wall=request.args.get("wall") == "1")


@web_bp.get("/wall/<token>")
def wall_page(token: str) -> Any:
    """A wall screen without an account: the board behind a revocable link (server/campaign/screens.py)."""
    return render_template("board.html", unit_ref="", wall=True, token=token)


@web_bp.get("/dashboard")
@login_required
def dashboard_page() -> Any:
    if not _my_roles() & MANAGER_ROLES:
        return _denied("manager")
    return render_template("dashboard.html", unit_ref=request.args.get("unit", ""),
                           campaign=request.args.get("campaign", ""),
                           may_launch="org_admin" in _my_roles())


@web_bp.get("/calendar")
@login_required
def calendar_page() -> Any:
    if CALENDAR_ROLE not in _my_roles():
        return _denied("calendar")
    return render_template("calendar.html", year=request.args.get("year", ""))


@web_bp.get("/me")
@login_required
def me_page() -> Any:
    """我的: who I am, my positions, every page I may open, the language, logging out (phones reach
    everything beyond the four tabs from here)."""
    pick = 1 if str(get_locale()) == "en" else 0
    person_id = current_user.person_id
    positions = read(lambda s: [(p.org_unit.name, ROLE_LABELS.get(p.role, (p.role, p.role))[pick])
                                for p in positions_of(s, person_id)])
    return render_template("me.html", positions=positions)
