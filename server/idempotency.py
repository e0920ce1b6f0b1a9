"""``Idempotency-Key``: a POST sent twice (a double click, a retry after a timeout) does its work once.

A client may send ``Idempotency-Key: <up to 200 characters>`` with any ``POST`` under
``/api``. The key is the person's own (two people may use the same key):

* first time: the key is claimed **inside the use case's transaction**
  (``claim``, called by ``server.requests.write``), so the work and the claim commit or
  roll back together, and a second request running at the same moment fails on the
  unique (person, key) row and changes nothing; the answer is stored afterwards
  (``remember``);
* same key, same request (method, path and body): the stored answer again, with
  ``Idempotent-Replayed: true``; while the first is still running, 409 (try again);
* same key, another request: 422, field ``Idempotency-Key``; nothing is done.

Only successful answers (2xx) are kept: after an error the key is free again, as if
the request had never been sent. Keys are kept for ``KEEP`` and then forgotten.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from server import clock
from server.database import Base, UTCDateTime, utcnow
from server.errors import Conflict, Invalid

HEADER = "Idempotency-Key"
MAX_KEY = 200
KEEP = timedelta(hours=24)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("person_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    fingerprint: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class Request:
    """One request that carries a key: who, which key, and a fingerprint of what it asks."""

    person_id: int
    key: str
    method: str
    path: str
    fingerprint: str


@dataclass(frozen=True)
class Replay:
    status: int
    body: str
    location: str | None


def request_of(person_id: int, key: str, method: str, path: str, body: bytes) -> Request:
    if not key.strip() or len(key) > MAX_KEY:
        raise Invalid(f"{HEADER} must be 1 to {MAX_KEY} characters",
                      [{"field": HEADER, "message": "1 to 200 characters"}])
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, ensure_ascii=False).encode()
    except ValueError:
        canonical = body
    fingerprint = hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()
    return Request(person_id, key, method, path, fingerprint)


def earlier(session: Session, req: Request) -> Replay | None:
    """The stored answer to this request; raises if the key is busy or was used for another request."""
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.person_id == req.person_id,
                                                      IdempotencyKey.key == req.key))
    if row is None:
        return None
    if row.created_at < clock.now() - KEEP:
        return None
    if row.fingerprint != req.fingerprint:
        raise Invalid(f"this {HEADER} was used for another request ({row.method} {row.path}); use a new key",
                      [{"field": HEADER, "message": "reused for a different request"}])
    if row.status is None:
        raise Conflict("the first request with this Idempotency-Key is still being handled; try again shortly")
    return Replay(row.status, row.body or "", row.location)


def claim(session: Session, req: Request) -> None:
    """Inside the use case's transaction: the key is this request's (a concurrent twin fails here)."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.person_id == req.person_id,
                                                 IdempotencyKey.key == req.key,
                                                 IdempotencyKey.created_at < clock.now() - KEEP))
    session.add(IdempotencyKey(person_id=req.person_id, key=req.key, fingerprint=req.fingerprint, method=req.method,
                               path=req.path[:500], created_at=clock.now()))
    session.flush()


def remember(session: Session, req: Request, status: int, body: str, location: str | None) -> None:
    """After the use case committed: keep a successful answer, free the key after an error."""
    where = (IdempotencyKey.person_id == req.person_id, IdempotencyKey.key == req.key,
             IdempotencyKey.fingerprint == req.fingerprint, IdempotencyKey.status.is_(None))
    if 200 <= status < 300:
        session.execute(update(IdempotencyKey).where(*where).values(status=status, body=body, location=location))
    else:
        session.execute(delete(IdempotencyKey).where(*where))


def as_response(replay: Replay) -> tuple[Any, int, dict[str, str]]:
    headers = {"Idempotent-Replayed": "true", "Content-Type": "application/json"}
    if replay.location:
        headers["Location"] = replay.location
    return replay.body, replay.status, headers
