"""Creating, renaming and moving org units (``POST /api/org-units``, ``PATCH /api/org-units/{id}``).

Which type may sit under which (``PARENT_TYPES``) follows the seeds: a district committee at
the top, party (working) committees under it, general branches (总支) under a committee,
branches (支部) under any of those, and party groups (党小组) only under a branch.

Moving a unit rewrites the materialised path of its whole subtree in one UPDATE, in the
caller's transaction, and gives the open tasks of the subtree the candidates their role
expressions now name (``secretary@parent`` names the new parent).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from inbox.rows import recompute_candidates
from server import audit
from server.errors import Invalid
from server.org.models import UNIT_TYPES, OrgUnit, Person, Position
from server.org.tree import active_position_filter, add_unit, unit_by_ref
from server.orgadmin.authority import check_admin_over, check_any_admin, live_unit, reason_text

PARENT_TYPES: dict[str, tuple[str, ...]] = {
    "district": (),
    "party_committee": ("district", "party_committee"),
    "general_branch": ("district", "party_committee"),
    "branch": ("district", "party_committee", "general_branch"),
    "party_group": ("branch",),
}
TYPE_LABELS = {"district": "区委", "party_committee": "党委/党工委", "general_branch": "党总支",
               "branch": "党支部", "party_group": "党小组"}
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def unit_view(unit: OrgUnit, members: int = 0) -> dict[str, Any]:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "type": unit.type, "parent_id": unit.parent_id,
            "path": unit.path, "depth": unit.path.count("/") - 2, "people": members,
            "dissolved": unit.dissolved_at is not None,
            "dissolved_at": unit.dissolved_at.isoformat() if unit.dissolved_at else None,
            "merged_into_id": unit.merged_into_id}


def list_units(session: Session, actor: Person, include_dissolved: bool = False) -> list[dict[str, Any]]:
    """The subtrees the actor administers, in tree order, with how many people hold a position in each."""
    paths = check_any_admin(session, actor)
    roots = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    condition = OrgUnit.path.startswith(roots[0])
    for prefix in roots[1:]:
        condition = condition | OrgUnit.path.startswith(prefix)
    stmt = select(OrgUnit).where(condition)
    if not include_dissolved:
        stmt = stmt.where(OrgUnit.dissolved_at.is_(None))
    units = list(session.scalars(stmt.order_by(OrgUnit.path)))
    counts = dict(session.execute(
        select(Position.org_unit_id, func.count(func.distinct(Position.person_id)))
        .where(Position.org_unit_id.in_([u.id for u in units]), active_position_filter())
        .group_by(Position.org_unit_id)).all()) if units else {}
    return [unit_view(u, counts.get(u.id, 0)) for u in _tree_order(units)]


def _tree_order(units: list[OrgUnit]) -> list[OrgUnit]:
    """Parents before children, siblings by code (paths are ids, which sort as text)."""
    children: dict[int | None, list[OrgUnit]] = {}
    ids = {u.id for u in units}
    for unit in units:
        children.setdefault(unit.parent_id if unit.parent_id in ids else None, []).append(unit)
    ordered: list[OrgUnit] = []
    stack = sorted(children.get(None, []), key=lambda u: u.code, reverse=True)
    while stack:
        unit = stack.pop()
        ordered.append(unit)
        stack += sorted(children.get(unit.id, []), key=lambda u: u.code, reverse=True)
    return ordered


def _check_code(session: Session, code: str, unit_id: int | None = None) -> str:
    text = code.strip()
    if not CODE.match(text):
        raise Invalid("a unit code is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
                      [{"field": "code", "message": "not a code"}])
    taken = session.scalar(select(OrgUnit.id).where(OrgUnit.code == text))
    if taken is not None and taken != unit_id:
        raise Invalid(f"the code '{text}' is already used by another unit", [{"field": "code", "message": "taken"}])
    return text


def _check_name(name: str) -> str:
    text = name.strip()
    if not text or len(text) > 200:
        raise Invalid("a unit needs a name of at most 200 characters", [{"field": "name", "message": "required"}])
    return text


def check_parent_type(type_: str, parent: OrgUnit) -> None:
    allowed = PARENT_TYPES[type_]
    if parent.type not in allowed:
        where = "、".join(TYPE_LABELS[t] for t in allowed) or "nothing (it is the top of the tree)"
        raise Invalid(f"a {type_} ({TYPE_LABELS[type_]}) cannot sit under a {parent.type} "
                      f"({TYPE_LABELS[parent.type]}); it goes under {where}",
                      [{"field": "parent", "message": f"not allowed under a {parent.type}"}])


def create_unit(session: Session, actor: Person, code: str, name: str, type_: str,
                parent_ref: int | str | None) -> dict[str, Any]:
    if parent_ref is None or parent_ref == "":
        raise Invalid("a new unit needs a parent (the district committee is created with the installation)",
                      [{"field": "parent", "message": "required"}])
    parent = _unit(session, parent_ref, "parent")
    check_admin_over(session, actor, parent, "parent")
    if type_ not in UNIT_TYPES:
        raise Invalid(f"unknown unit type '{type_}' (known: {', '.join(UNIT_TYPES)})",
                      [{"field": "type", "message": "unknown type"}])
    live_unit(parent, "parent")
    check_parent_type(type_, parent)
    unit = add_unit(session, _check_code(session, code), _check_name(name), type_, parent)
    audit.record(session, "org.unit_created", actor=actor, unit=unit.code, name=unit.name, type=type_,
                 parent=parent.code)
    return unit_view(unit)


def _unit(session: Session, ref: int | str, field: str) -> OrgUnit:
    try:
        return unit_by_ref(session, ref)
    except Exception as exc:  # NotFound: the field names which reference is wrong
        raise Invalid(f"org unit '{ref}' does not exist", [{"field": field, "message": "unknown unit"}]) from exc


def update_unit(session: Session, actor: Person, unit_ref: int | str, *, name: str | None = None,
                code: str | None = None, parent_ref: int | str | None = None,
                reason: str | None = None) -> dict[str, Any]:
    """Rename (name, code) and/or move (parent) a unit; a move carries its whole subtree."""
    unit = unit_by_ref(session, unit_ref)
    check_admin_over(session, actor, unit)
    live_unit(unit, "id")
    why = reason_text(reason, required=False)
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != unit.name:
        changes["name"] = [unit.name, _check_name(name)]
        unit.name = changes["name"][1]
    if code is not None and code.strip() != unit.code:
        changes["code"] = [unit.code, _check_code(session, code, unit.id)]
        unit.code = changes["code"][1]
    if parent_ref is not None and parent_ref != "":
        parent = _unit(session, parent_ref, "parent")
        if parent.id != unit.parent_id:
            changes["parent"] = [unit.parent.code if unit.parent else None, parent.code]
            changes["moved"] = move(session, actor, unit, parent)
    if changes:
        audit.record(session, "org.unit_changed", actor=actor, unit=unit.code, changes=changes, reason=why or None)
    return unit_view(unit)


def move(session: Session, actor: Person, unit: OrgUnit, parent: OrgUnit) -> int:
    """Re-parent ``unit``: every path of its subtree rewritten in one statement; the number of units moved."""
    if unit.parent_id is None:
        raise Invalid("the top of the tree cannot be moved", [{"field": "parent", "message": "root"}])
    check_admin_over(session, actor, parent, "parent")
    live_unit(parent, "parent")
    if parent.path.startswith(unit.path):
        raise Invalid(f"{parent.name} is {unit.name} itself or below it: a unit cannot move under its own subtree",
                      [{"field": "parent", "message": "inside the unit's own subtree"}])
    check_parent_type(unit.type, parent)
    old, new = unit.path, f"{parent.path}{unit.id}/"
    ids = list(session.scalars(select(OrgUnit.id).where(OrgUnit.path.startswith(old))))
    session.flush()
    session.execute(
        update(OrgUnit).where(OrgUnit.path.startswith(old))
        .values(path=literal(new) + func.substr(OrgUnit.path, len(old) + 1))
        .execution_options(synchronize_session=False))
    session.execute(update(OrgUnit).where(OrgUnit.id == unit.id).values(parent_id=parent.id)
                    .execution_options(synchronize_session=False))
    session.expire_all()
    recompute_candidates(session, ids, actor)
    return len(ids)
