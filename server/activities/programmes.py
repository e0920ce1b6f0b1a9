"""Programme definitions: data of the organisation that owns them, applying to its subtree.

The owning unit's secretary or deputy secretary (or an org_admin above it) creates and edits
them; a programme applies to every member in the owner's subtree. The quota a member owes per
period is ``head_quota`` for the head (secretary) of his unit when set, else the number of the
nearest unit on his path listed in ``unit_quotas`` (annex 6: 2, 3 or 4 visits a year by the
level of the unit), else ``quota``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import clock
from server.access import check_oversees
from server.activities import tally
from server.activities.catalogue import CATALOGUES
from server.activities.models import CADENCES, ActivityProgramme
from server.errors import Invalid, NotFound
from server.org.models import OrgUnit, Person
from server.org.tree import unit_by_ref

KINDS = ("good_deed", "community_service", "seasonal_duty", "pairing_visit", "call", "volunteer_service",
         "micro_wish", "other")
MAX_QUOTA = 100
FIELDS = ("name", "kind", "cadence", "quota", "season_months", "unit_quotas", "head_quota", "description",
          "source", "active")


def _bad(field: str, message: str) -> Invalid:
    return Invalid(f"{field}: {message}", [{"field": field, "message": message}])


def _count(value: Any, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_QUOTA:
        raise _bad(field, f"a whole number from 0 to {MAX_QUOTA}")
    return value


def _checked(body: dict[str, Any], current: ActivityProgramme | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in FIELDS:
        if key not in body:
            continue
        value = body[key]
        if key in ("name", "description", "source"):
            if value is None and key != "name":
                out[key] = "" if key == "description" else None
                continue
            if not isinstance(value, str) or (key == "name" and not value.strip()) or len(value) > 2000:
                raise _bad(key, "text (a name of 1–200 characters)")
            out[key] = value.strip()[:200] if key == "name" else value
        elif key == "kind":
            if value not in KINDS:
                raise _bad(key, f"one of {', '.join(KINDS)}")
            out[key] = value
        elif key == "cadence":
            if value not in CADENCES:
                raise _bad(key, "month, quarter or year")
            out[key] = value
        elif key == "quota":
            out[key] = _count(value, key)
        elif key == "head_quota":
            out[key] = None if value is None else _count(value, key)
        elif key == "season_months":
            if value is not None and (not isinstance(value, list) or not value or any(
                    not isinstance(m, int) or isinstance(m, bool) or not 1 <= m <= 12 for m in value)):
                raise _bad(key, "null (all year) or a list of months 1–12")
            out[key] = sorted(set(value)) if value is not None else None
        elif key == "unit_quotas":
            if value is not None and (not isinstance(value, dict) or any(
                    not isinstance(code, str) for code in value)):
                raise _bad(key, "an object of unit code → quota")
            out[key] = {code: _count(n, f"unit_quotas.{code}") for code, n in (value or {}).items()}
        elif key == "active":
            if not isinstance(value, bool):
                raise _bad(key, "true or false")
            out[key] = value
    if current is None:
        for required in ("name", "kind", "cadence", "quota"):
            if required not in out:
                raise _bad(required, "required")
    return out


def create(session: Session, actor: Person, body: dict[str, Any]) -> ActivityProgramme:
    unit = unit_by_ref(session, body.get("org_unit") or "")
    check_oversees(session, actor, unit)
    code = body.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        raise _bad("code", "a short code, unique in the unit (1–64 characters)")
    if session.scalar(select(ActivityProgramme.id).where(ActivityProgramme.org_unit_id == unit.id,
                                                         ActivityProgramme.code == code)) is not None:
        raise _bad("code", f"{unit.name} already has a programme {code}")
    now = clock.now()
    fields = {"description": "", "active": True, **_checked(body, None)}
    programme = ActivityProgramme(org_unit_id=unit.id, code=code.strip(), created_at=now, updated_at=now, **fields)
    session.add(programme)
    session.flush()
    return programme


def update(session: Session, actor: Person, programme_id: int, body: dict[str, Any]) -> ActivityProgramme:
    programme = get(session, programme_id)
    check_oversees(session, actor, programme.org_unit)
    cadence = programme.cadence
    for key, value in _checked(body, programme).items():
        setattr(programme, key, value)
    programme.updated_at = clock.now()
    if programme.cadence != cadence:
        session.flush()
        tally.rebuild(session, [programme.id])  # the counters are per cadence period
    return programme


def get(session: Session, programme_id: int) -> ActivityProgramme:
    programme = session.get(ActivityProgramme, programme_id)
    if programme is None:
        raise NotFound(f"activity programme {programme_id} does not exist")
    return programme


def applying(session: Session, unit: OrgUnit, *, include_inactive: bool = False) -> list[ActivityProgramme]:
    """The programmes of the unit and of every unit above it."""
    stmt = select(ActivityProgramme).where(ActivityProgramme.org_unit_id.in_(unit.ancestor_ids()))
    if not include_inactive:
        stmt = stmt.where(ActivityProgramme.active.is_(True))
    return list(session.scalars(stmt.order_by(ActivityProgramme.org_unit_id, ActivityProgramme.id)))


def applies_to(programme: ActivityProgramme, unit: OrgUnit) -> bool:
    return programme.org_unit_id in unit.ancestor_ids()


def quota_for(programme: ActivityProgramme, path_codes: Sequence[str], is_head: bool) -> int:
    """The member's quota per period; ``path_codes``: his unit's codes from the root down."""
    if is_head and programme.head_quota is not None:
        return programme.head_quota
    levels = programme.unit_quotas or {}
    for code in reversed(path_codes):
        if code in levels:
            return levels[code]
    return programme.quota


def in_season(programme: ActivityProgramme, month: int) -> bool:
    return not programme.season_months or month in programme.season_months


def adopt(session: Session, unit: OrgUnit, catalogue: str) -> list[ActivityProgramme]:
    """Give ``unit`` the programmes of a seed catalogue it does not have yet (demo, set-up)."""
    have = set(session.scalars(select(ActivityProgramme.code).where(ActivityProgramme.org_unit_id == unit.id)))
    now = clock.now()
    added = []
    for entry in CATALOGUES[catalogue]:
        if entry["code"] in have:
            continue
        body = dict(entry)
        code = body.pop("code")
        fields = {"description": "", "active": True, **_checked(body, None)}
        programme = ActivityProgramme(org_unit_id=unit.id, code=code, created_at=now, updated_at=now, **fields)
        session.add(programme)
        added.append(programme)
    session.flush()
    return added


def programme_dict(programme: ActivityProgramme) -> dict[str, Any]:
    unit = programme.org_unit
    return {"id": programme.id, "code": programme.code, "name": programme.name, "kind": programme.kind,
            "cadence": programme.cadence, "quota": programme.quota, "season_months": programme.season_months,
            "unit_quotas": programme.unit_quotas or {}, "head_quota": programme.head_quota,
            "description": programme.description, "source": programme.source, "active": programme.active,
            "org_unit": {"id": unit.id, "code": unit.code, "name": unit.name}}
