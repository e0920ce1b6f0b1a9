"""Helpers shared by the timer tests (deploying the test BPMN, moving the clock, counting)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from server.audit import AuditEvent
from server.database import db
from server.workflow.definitions import deploy
from server.workflow.models import TimerJob

BPMN = Path(__file__).resolve().parent / "bpmn"
SH = ZoneInfo("Asia/Shanghai")


def deploy_test_bpmn(*names: str) -> None:
    with db.transaction() as session:
        for name in names:
            deploy(session, (BPMN / name).read_bytes(), name, {}, None)


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SH)


def start(client: Any, key: str, unit: str = "demo-branch1", data: dict[str, Any] | None = None) -> dict[str, Any]:
    res = client.post("/api/process-instances", json={"process_key": key, "org_unit": unit, "data": data or {}})
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def run_due() -> Any:
    from server.workflow.scheduler import run_pending

    return run_pending()


def audit_count(action: str, instance_id: int | None = None) -> int:
    with db.transaction() as session:
        stmt = select(func.count(AuditEvent.id)).where(AuditEvent.action == action)
        if instance_id is not None:
            stmt = stmt.where(AuditEvent.instance_id == instance_id)
        return session.scalar(stmt) or 0


def jobs(instance_id: int | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    with db.transaction() as session:
        stmt = select(TimerJob).order_by(TimerJob.id)
        if instance_id is not None:
            stmt = stmt.where(TimerJob.instance_id == instance_id)
        if kind is not None:
            stmt = stmt.where(TimerJob.kind == kind)
        return [
            {"id": j.id, "key": j.key, "kind": j.kind, "state": j.state, "due_at": j.due_at,
             "element_id": j.element_id, "task_id": j.task_id, "attempts": j.attempts, "fired_by": j.fired_by,
             "instance_id": j.instance_id, "last_error": j.last_error}
            for j in session.scalars(stmt)
        ]


def open_tasks(client: Any, instance_id: int) -> list[dict[str, Any]]:
    return client.get(f"/api/process-instances/{instance_id}").get_json()["open_tasks"]
