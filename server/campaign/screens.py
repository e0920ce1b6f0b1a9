"""Wall screens (大屏): a revocable secret link that shows one unit's public board on a screen in
the party activity room without anyone logged in (issue 17.10).

* Created and revoked by the unit's secretary or an org_admin of the unit or a unit above; every
  creation and revocation is audited, and so is a screen's first sight of the board and, after
  that, one sighting an hour (with its address), so the trail shows where a link is in use.
* The link carries 32 random bytes; only their SHA-256 is stored, so the table alone cannot
  open a board. An unknown and a revoked link get the same answer (404).
* Read-only: the screen sees exactly the public board (``board.public_board``): approved
  pledges, leader review, published appraisal results, commendations, candidates under notice.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit, clock
from server.campaign.board import public_board
from server.campaign.models import BoardScreen
from server.errors import Forbidden, Invalid, NotFound
from server.org.models import OrgUnit, Person
from server.org.tree import holds_any, unit_dict

SEEN_AUDIT_EVERY = timedelta(hours=1)
LABEL_MAX = 100


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_manage_screens(session: Session, person: Person, unit: OrgUnit) -> bool:
    pairs = [(unit.id, "secretary")] + [(uid, "org_admin") for uid in unit.ancestor_ids()]
    return holds_any(session, person.id, pairs)


def _require(session: Session, person: Person, unit: OrgUnit) -> None:
    if not may_manage_screens(session, person, unit):
        raise Forbidden(f"only the secretary of {unit.name} or the organisation department above it "
                        "manages its wall screens")


def screen_dict(screen: BoardScreen) -> dict[str, Any]:
    return {"id": screen.id, "org_unit": unit_dict(screen.org_unit), "label": screen.label,
            "created_by": screen.created_by.display_name, "created_at": screen.created_at.isoformat(),
            "last_seen_at": screen.last_seen_at.isoformat() if screen.last_seen_at else None}


def list_screens(session: Session, person: Person, unit: OrgUnit) -> dict[str, Any]:
    _require(session, person, unit)
    rows = session.scalars(select(BoardScreen).where(BoardScreen.org_unit_id == unit.id,
                                                     BoardScreen.revoked_at.is_(None)).order_by(BoardScreen.id))
    return {"items": [screen_dict(s) for s in rows]}


def create_screen(session: Session, person: Person, unit: OrgUnit, label: Any) -> dict[str, Any]:
    """A new link; the token is in this answer only (``path``), never again."""
    _require(session, person, unit)
    text = label.strip() if isinstance(label, str) else ""
    if not text or len(text) > LABEL_MAX:
        raise Invalid(f"name the screen (1 to {LABEL_MAX} characters), e.g. 党员活动室",
                      [{"field": "label", "message": "required" if not text else "too long"}])
    token = secrets.token_urlsafe(32)
    screen = BoardScreen(org_unit_id=unit.id, label=text, token_hash=_hash(token), created_by_id=person.id,
                         created_at=clock.now())
    session.add(screen)
    session.flush()
    audit.record(session, "board_screen.created", actor=person, screen_id=screen.id, org_unit=unit.code, label=text)
    return {**screen_dict(screen), "path": f"/wall/{token}"}


def revoke_screen(session: Session, person: Person, screen_id: int) -> None:
    screen = session.get(BoardScreen, screen_id)
    if screen is None or screen.revoked_at is not None:
        raise NotFound(f"wall screen {screen_id} does not exist or is revoked already")
    _require(session, person, screen.org_unit)
    screen.revoked_at = clock.now()
    screen.revoked_by_id = person.id
    audit.record(session, "board_screen.revoked", actor=person, screen_id=screen.id,
                 org_unit=screen.org_unit.code, label=screen.label)


def wall_board(session: Session, token: str, address: str | None) -> dict[str, Any]:
    """The public board behind a link, for a screen without an account."""
    screen = session.scalar(select(BoardScreen).where(BoardScreen.token_hash == _hash(token),
                                                      BoardScreen.revoked_at.is_(None)))
    if screen is None:
        raise NotFound("this wall screen link is unknown or was revoked")
    now = clock.now()
    if screen.last_seen_at is None or now - screen.last_seen_at >= SEEN_AUDIT_EVERY:
        audit.record(session, "board_screen.seen", actor=None, screen_id=screen.id, org_unit=screen.org_unit.code,
                     address=address)
    screen.last_seen_at = now
    return {**public_board(session, screen.org_unit, None), "screen": {"label": screen.label}}
