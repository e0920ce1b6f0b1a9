"""What ``GET /healthz`` and ``GET /readyz`` report to a process supervisor or a load balancer.

* **live** (``/healthz``): the process answers; nothing else is looked at, so a database
  outage does not make the supervisor restart every web process.
* **ready** (``/readyz``): the database answers, its migrations are this release's heads
  (``server.ops.version``), and a scheduler (the embedded thread, ``python -m server scheduler``
  or a Celery dispatcher) wrote its heartbeat (``scheduler_heartbeat``, migration 0015) within
  ``HEARTBEAT_STALE``. Not ready answers 503 with the check that failed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text

from server import clock
from server.database import db
from server.ops.version import describe, release_heads, with_dependencies
from server.workflow.models import SchedulerHeartbeat
from server.workflow.scheduler import HEARTBEAT_EVERY

HEARTBEAT_STALE = timedelta(seconds=4 * HEARTBEAT_EVERY)
"""A heartbeat older than this (four missed beats) means no scheduler is running."""


def readiness() -> tuple[bool, dict[str, Any]]:
    """``(ready, checks)``: each check with ``ok`` and what was seen."""
    checks: dict[str, Any] = {}
    session = db.read_session()
    try:
        try:
            session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure to reach the database is "not ready"
            checks["database"] = {"ok": False, "error": type(exc).__name__}
            return False, checks
        checks["database"] = {"ok": True}
        try:
            stored = {str(r) for r in session.scalars(text("SELECT version_num FROM alembic_version"))}
        except Exception:  # noqa: BLE001 - no alembic_version: no schema yet
            session.rollback()
            stored = set()
        current, heads = with_dependencies(stored), set(release_heads())
        checks["migrations"] = {"ok": current == heads, "database": describe(current), "release": describe(heads)}
        try:
            last = session.scalar(select(func.max(SchedulerHeartbeat.beat_at)))
        except Exception:  # noqa: BLE001 - the table is missing until 0015 is applied
            session.rollback()
            last = None
        age = (clock.now() - last).total_seconds() if last is not None else None
        checks["scheduler"] = {"ok": age is not None and age <= HEARTBEAT_STALE.total_seconds(),
                               "last_beat_seconds_ago": None if age is None else round(age, 1)}
    finally:
        session.close()
    return all(check["ok"] for check in checks.values()), checks
