"""Pages of the process designer (designers) and of monitoring on the diagram (org_admin).

The pages are shells: the modeler, the panels and the monitoring views are
plain JavaScript (static/js/designer*.js, monitor*.js) talking to the JSON
API. Here: who may open which page, and the vocabulary the side panel offers
(role codes, scopes) rendered into the page in the reader's language.
"""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import select

from server.org.models import ROLES, UNIT_TYPES, Position
from server.org.tree import active_position_filter
from server.requests import read
from server.web.shell import web_bp

DESIGNER_ROLE = "designer"
MONITOR_ROLE = "org_admin"

ROLE_LABELS: dict[str, tuple[str, str]] = {
    "member": ("党员", "Member"),
    "activist": ("入党积极分子", "Activist"),
    "development_candidate": ("发展对象", "Development candidate"),
    "secretary": ("书记", "Secretary"),
    "deputy_secretary": ("副书记", "Deputy secretary"),
    "committee_member": ("委员", "Committee member"),
    "group_leader": ("党小组长", "Group leader"),
    "contact": ("联络员", "Contact"),
    "org_admin": ("组织管理员", "Organisation admin"),
    "masses_rep": ("群众代表", "Masses representative"),
    "designer": ("流程设计员", "Process designer"),
    "development_target": ("发展对象", "Development target"),
}
SCOPE_LABELS: dict[str, tuple[str, str]] = {
    "unit": ("本组织", "the instance's own unit"),
    "parent": ("上级组织", "the unit above"),
    "parent.parent": ("上两级组织", "two levels up"),
    "district": ("所属区委", "its district"),
    "party_committee": ("所属党委", "its party committee"),
    "general_branch": ("所属党总支", "its general branch"),
    "branch": ("所属党支部", "its branch"),
    "party_group": ("所属党小组", "its party group"),
    "root": ("最高层级", "the top of the tree"),
}


def _my_roles() -> set[str]:
    if "vg_roles" not in g:
        if not current_user.is_authenticated:
            g.vg_roles = set()
        else:
            person_id = current_user.person_id
            g.vg_roles = set(read(lambda s: s.scalars(
                select(Position.role).where(Position.person_id == person_id, active_position_filter())
            ).all()))
    roles: set[str] = g.vg_roles
    return roles


@web_bp.app_context_processor
def _nav_roles() -> dict[str, Any]:
    """``may_design`` / ``may_monitor`` for the navigation links of base.html."""
    if request.blueprint != "web":
        return {}
    roles = _my_roles()
    return {"may_design": DESIGNER_ROLE in roles, "may_monitor": MONITOR_ROLE in roles}


def _denied(role: str) -> Any:
    return render_template("designer_denied.html", role=role), 403


def _vocabulary() -> dict[str, Any]:
    english = str(get_locale()) == "en"
    pick = 1 if english else 0
    assert set(ROLE_LABELS) == set(ROLES), "every role needs a label in the designer"
    return {
        "roles": [{"code": r, "label": ROLE_LABELS[r][pick]} for r in ROLES],
        "scopes": [{"code": s, "label": SCOPE_LABELS[s][pick]} for s in SCOPE_LABELS
                   if s in ("unit", "root") or s in UNIT_TYPES or s.startswith("parent")],
        "locale": "en" if english else "zh",
    }


@web_bp.get("/designer")
@login_required
def designer_list() -> Any:
    if DESIGNER_ROLE not in _my_roles():
        return _denied(DESIGNER_ROLE)
    return render_template("designer_list.html")


@web_bp.get("/designer/new")
@login_required
def designer_new() -> Any:
    if DESIGNER_ROLE not in _my_roles():
        return _denied(DESIGNER_ROLE)
    return render_template("designer.html", key=None, version=None, vocabulary=_vocabulary())


@web_bp.get("/designer/<key>")
@login_required
def designer_edit(key: str) -> Any:
    if DESIGNER_ROLE not in _my_roles():
        return _denied(DESIGNER_ROLE)
    version = request.args.get("version", type=int)
    return render_template("designer.html", key=key, version=version, vocabulary=_vocabulary())


@web_bp.get("/designer/<key>/versions")
@login_required
def designer_versions(key: str) -> Any:
    if DESIGNER_ROLE not in _my_roles():
        return _denied(DESIGNER_ROLE)
    return render_template("designer_versions.html", key=key)


@web_bp.get("/monitor")
@login_required
def monitor_page() -> Any:
    if MONITOR_ROLE not in _my_roles():
        return _denied(MONITOR_ROLE)
    return render_template("monitor.html")


@web_bp.get("/monitor/instances/<int:instance_id>")
@login_required
def monitor_instance_page(instance_id: int) -> Any:
    if MONITOR_ROLE not in _my_roles():
        return _denied(MONITOR_ROLE)
    return render_template("monitor_instance.html", instance_id=instance_id)
