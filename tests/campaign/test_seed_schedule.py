"""Issue 19 item 2: the quarterly selection ships as an enabled, editable schedule (seed 001 §6)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.campaign.test_campaign_api import ok


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "shipped_schedules": True}


def test_the_quarterly_selection_ships_enabled_for_every_branch(fake_clock, as_user):
    """Seed 001 §6: "党支部每个季度要组织评选1次优秀党员" — without anyone setting it up, every
    branch starts its round when the quarter begins; an org_admin may change or disable it, and
    a branch whose rule holds no round is passed by, not retried."""
    from server.campaign.models import SelectionRound
    from server.database import db
    from server.workflow.models import TimerJob
    from server.workflow.scheduler import run_pending

    admin = as_user("admin")
    shipped = [s for s in ok(admin.get("/api/schedules"))["items"] if s["process_key"] == "excellent_member_selection"]
    assert len(shipped) == 1
    schedule = shipped[0]
    assert (schedule["org_unit"]["code"], schedule["unit_type"], schedule["cadence"], schedule["enabled"]) == (
        "demo-district", "branch", "quarterly", True)
    assert schedule["next_run_at"].startswith("2026-09-30T16:00")  # 1 October, 00:00 in Beijing

    # The party committee above branch 3 holds no round for a branch whose quota is 0 (5% of 12).
    rule = {"percent": 5, "small_branch": "no_round"}
    ok(as_user("leader2").put("/api/org-units/demo-pc2/selection-rule", json=rule))
    fake_clock.now = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
    run_pending()
    with db.transaction() as s:
        rounds = s.execute(select(SelectionRound.quarter, SelectionRound.org_unit_id)).all()
        assert sorted(q for q, _ in rounds) == ["2026-Q4", "2026-Q4"]
        jobs = s.scalars(select(TimerJob).where(TimerJob.schedule_id == schedule["id"])).all()
        assert sorted(j.state for j in jobs) == ["cancelled", "fired", "fired"]
        assert "5%" in next(j.last_error for j in jobs if j.state == "cancelled")
    res = ok(as_user("sec1").post("/api/selections", json={"org_unit": "demo-branch1"}), 409)
    assert "2026-Q4" in res["message"]

    # Editable: the district's org_admin disables it; branches are not asked again.
    changed = ok(admin.patch(f"/api/schedules/{schedule['id']}", json={"enabled": False}))
    assert changed["enabled"] is False
    assert as_user("sec1").patch(f"/api/schedules/{schedule['id']}", json={"enabled": True}).status_code == 403
