"""Recurring starts: cadences, one instance per unit, missed periods run once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.database import db
from server.workflow.cadence import Cron, Repeat, parse_cadence
from server.workflow.models import ProcessInstance, Schedule
from tests.timers_support import SH, audit_count, beijing, deploy_test_bpmn, jobs, run_due

# -- cadences (pure) ------------------------------------------------------------------------


def nxt(cadence: str, after: datetime, anchor: datetime | None = None) -> datetime | None:
    result = parse_cadence(cadence, "R/2026-01-01T00:00:00+08:00/P3M").next_after(after, anchor or after)
    return result.astimezone(SH) if result else None


def test_quarterly_and_half_yearly():
    assert nxt("quarterly", beijing(2026, 9, 28, 10)) == beijing(2026, 10, 1)
    assert nxt("quarterly", beijing(2026, 10, 1)) == beijing(2027, 1, 1)
    assert nxt("quarterly", beijing(2026, 12, 31, 23, 59)) == beijing(2027, 1, 1)
    assert nxt("half_yearly", beijing(2026, 9, 28)) == beijing(2027, 1, 1)
    assert nxt("half_yearly", beijing(2027, 1, 1, 0, 0, 1)) == beijing(2027, 7, 1)


@pytest.mark.parametrize("expr,after,expected", [
    ("0 9 * * 1", beijing(2026, 9, 28, 10), beijing(2026, 10, 5, 9)),          # Mondays 09:00
    ("0 9 1 */3 *", beijing(2026, 9, 28), beijing(2026, 10, 1, 9)),            # quarter months
    ("30 8 15 * *", beijing(2026, 9, 28), beijing(2026, 10, 15, 8, 30)),
    ("0 0 1 jan,jul *", beijing(2026, 9, 28), beijing(2027, 1, 1)),
    ("0 12 * * mon-fri", beijing(2026, 10, 2, 13), beijing(2026, 10, 5, 12)),  # plain weekdays
    ("0 0 13 * 5", beijing(2026, 9, 28), beijing(2026, 10, 2)),                # the 13th OR a Friday
    ("@monthly", beijing(2026, 9, 28), beijing(2026, 10, 1)),
    ("*/15 * * * *", beijing(2026, 9, 28, 10, 7), beijing(2026, 9, 28, 10, 15)),
    ("0 0 29 2 *", beijing(2026, 3, 1), beijing(2028, 2, 29)),
])
def test_cron(expr, after, expected):
    assert nxt(expr, after) == expected


@pytest.mark.parametrize("bad", ["", "every day", "0 9 * *", "61 * * * *", "0 25 * * *", "0 0 0 * *",
                                 "0 0 * 13 *", "0 0 * * 8", "*/0 * * * *", "a b c d e"])
def test_bad_cadences_are_refused(bad):
    with pytest.raises(ValueError):
        parse_cadence(bad)


def test_bpmn_cycle():
    cycle = Repeat.parse('"R/2026-01-01T00:00:00+08:00/P3M"')
    assert cycle.next_after(beijing(2026, 9, 28), beijing(2026, 1, 1), SH).astimezone(SH) == beijing(2026, 10, 1)
    assert nxt("bpmn", beijing(2026, 10, 1)) == beijing(2027, 1, 1)
    limited = Repeat.parse("R2/2026-01-01T00:00:00+08:00/P6M")
    assert limited.next_after(beijing(2026, 3, 1), beijing(2026, 1, 1), SH).astimezone(SH) == beijing(2026, 7, 1)
    assert limited.next_after(beijing(2026, 7, 1), beijing(2026, 1, 1), SH) is None
    hourly = Repeat.parse("R/PT1H")
    anchor = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)
    assert hourly.next_after(anchor, anchor, SH) == datetime(2026, 9, 28, 3, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_cadence("bpmn", None)
    with pytest.raises(ValueError):
        Repeat.parse("R/2026-01-01/P3M/P1M")


def test_cron_parse_names_the_problem():
    with pytest.raises(ValueError, match="outside 0-59"):
        Cron.parse("60 * * * *")


# -- through the API --------------------------------------------------------------------------


@pytest.fixture
def quarterly(app, fake_clock):
    deploy_test_bpmn("quarterly_review.bpmn")
    return fake_clock


def create(client, **body):
    payload = {"process_key": "quarterly_review_test", "org_unit": "demo-district", "unit_type": "branch",
               "cadence": "quarterly", "title": "季度组织生活检查"}
    payload.update(body)
    return client.post("/api/schedules", json=payload)


def instances_by_unit():
    with db.transaction() as session:
        rows = session.scalars(select(ProcessInstance).order_by(ProcessInstance.id)).all()
        return [(r.org_unit.code, r.title, r.started_by_id) for r in rows]


def test_quarterly_schedule_starts_every_branch_once_after_downtime(as_user, quarterly):
    fake = quarterly
    admin = as_user("admin")
    res = create(admin)
    assert res.status_code == 201, res.get_json()
    schedule = res.get_json()
    assert datetime.fromisoformat(schedule["next_run_at"]) == beijing(2026, 10, 1)
    assert run_due().schedules == 0

    # Down from September 2026 to mid-April 2027: October, January and April were missed.
    fake.now = beijing(2027, 4, 15, 9, 0)
    result = run_due()
    assert result.schedules == 1 and result.fired == 3
    started = instances_by_unit()
    assert sorted(code for code, _, _ in started) == ["demo-branch1", "demo-branch2", "demo-branch3"]
    assert {title for _, title, _ in started} == {"季度组织生活检查"}
    assert {by for _, _, by in started} == {None}  # started by the schedule, not a person
    after = admin.get("/api/schedules").get_json()["items"][0]
    assert datetime.fromisoformat(after["next_run_at"]) == beijing(2027, 7, 1)
    assert after["runs"] == 1 and after["last_run_at"] is not None
    [run] = [h for h in _audit("schedule.run")]
    assert run["missed_periods"] == 2 and run["units"] == 3
    # Each branch secretary has the review; the start timer of the process did not run its cycle.
    for sec in ("sec1", "sec2", "sec3"):
        items = as_user(sec).get("/api/tasks?scope=claimable").get_json()["items"]
        assert [t["element_id"] for t in items] == ["Review"], sec
    assert [j for j in jobs(kind="bpmn_timer") if j["state"] == "waiting"] == []

    # No new starts until July (only the reviews' due dates fall due meanwhile).
    fake.now = beijing(2027, 6, 30, 23, 59)
    result = run_due()
    assert result.schedules == 0 and result.fired == 3 and len(instances_by_unit()) == 3
    assert audit_count("task.overdue") == 3
    fake.now = beijing(2027, 7, 1, 0, 0, 5)
    assert run_due().schedules == 1
    assert len(instances_by_unit()) == 6
    assert audit_count("schedule.started") == 6


def test_bpmn_cadence_uses_the_start_cycle(as_user, quarterly):
    fake = quarterly
    res = create(as_user("admin"), cadence="bpmn", org_unit="demo-pc1")
    assert res.status_code == 201, res.get_json()
    assert datetime.fromisoformat(res.get_json()["next_run_at"]) == beijing(2026, 10, 1)
    fake.now = beijing(2026, 10, 1, 0, 1)
    assert run_due().fired == 2  # the two branches under the first party committee
    assert sorted(code for code, _, _ in instances_by_unit()) == ["demo-branch1", "demo-branch2"]
    for sec in ("sec1", "sec2"):
        assert len(as_user(sec).get("/api/tasks?scope=claimable").get_json()["items"]) == 1


def test_cron_schedule_and_disable(as_user, quarterly):
    fake = quarterly
    admin = as_user("admin")
    schedule = create(admin, cadence="0 9 * * 1", org_unit="demo-branch3").get_json()
    assert datetime.fromisoformat(schedule["next_run_at"]) == beijing(2026, 10, 5, 9)
    res = admin.patch(f"/api/schedules/{schedule['id']}", json={"enabled": False})
    assert res.status_code == 200 and res.get_json()["enabled"] is False
    fake.now = beijing(2026, 10, 20)
    assert run_due().schedules == 0
    res = admin.patch(f"/api/schedules/{schedule['id']}", json={"enabled": True})
    assert datetime.fromisoformat(res.get_json()["next_run_at"]) == beijing(2026, 10, 26, 9)
    res = admin.patch(f"/api/schedules/{schedule['id']}", json={"cadence": "half_yearly"})
    assert datetime.fromisoformat(res.get_json()["next_run_at"]) == beijing(2027, 1, 1)
    assert audit_count("schedule.updated") == 3


def test_schedule_api_rules(as_user, quarterly):
    assert create(as_user("sec1")).status_code == 403
    assert create(as_user("leader1"), org_unit="demo-pc1").status_code == 403
    res = create(as_user("admin"), cadence="sometimes")
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "cadence"
    res = create(as_user("admin"), process_key="nope", unit_type="club")
    assert {d["field"] for d in res.get_json()["details"]} == {"unit_type"}
    res = create(as_user("admin"), process_key="nope")
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "process_key"
    res = create(as_user("admin"), process_key="activity_report", cadence="bpmn")
    assert res.status_code == 422  # no timer start cycle in that process
    create(as_user("admin"))
    assert as_user("admin").get("/api/schedules").get_json()["total"] == 1
    assert as_user("sec1").get("/api/schedules").get_json()["total"] == 0
    assert as_user("sec1").patch("/api/schedules/1", json={"enabled": False}).status_code == 403
    assert as_user("admin").patch("/api/schedules/999", json={"enabled": False}).status_code == 404


def test_a_unit_that_cannot_start_does_not_hold_up_the_others(as_user, quarterly):
    fake = quarterly
    create(as_user("admin"), process_key="activity_report", cadence="0 9 * * *")
    # activity_report assigns its first task to the starter: a schedule has none, so each start fails.
    fake.now = beijing(2026, 9, 29, 9, 0, 1)
    result = run_due()
    assert result.failed == 3 and result.fired == 0
    states = {j["state"] for j in jobs(kind="schedule")}
    assert states == {"waiting"}
    with db.transaction() as session:
        assert session.scalar(select(Schedule)).next_run_at is not None


def _audit(action):
    from server.audit import AuditEvent

    with db.transaction() as session:
        return [e.details for e in session.scalars(select(AuditEvent).where(AuditEvent.action == action))]
