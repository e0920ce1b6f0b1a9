"""People and positions (issue 15.2): create, edit, positions with dates, appointing a new
secretary in one action, who held a role on a day, and claimed tasks going back to the pool."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.campaign.test_campaign_api import ok
from tests.inbox.test_inbox_api import REPORT


def active_roles(client: Any, username: str) -> list[tuple[str, str]]:
    person = ok(client.get(f"/api/people/{username}"))
    return [(p["role"], p["org_unit"]["code"]) for p in person["positions"] if p["active"]]


def test_create_and_edit_a_person(as_user: Any) -> None:
    admin = as_user("admin")
    body = {"username": "zhao9", "display_name": "赵九", "org_unit": "demo-branch3", "role": "activist"}
    assert as_user("sec3").post("/api/people", json=body).status_code == 403
    assert as_user("m1").post("/api/people", json=body).status_code == 403
    res = ok(admin.post("/api/people", json={**body, "username": "bad name"}), 422)
    assert res["details"] == [{"field": "username", "message": "not a username"}]
    res = ok(admin.post("/api/people", json={**body, "org_unit": "nowhere"}), 422)
    assert res["details"] == [{"field": "org_unit", "message": "unknown unit"}]
    res = ok(admin.post("/api/people", json={**body, "role": "king"}), 422)
    assert res["details"] == [{"field": "role", "message": "unknown"}]
    created = ok(admin.post("/api/people", json=body), 201)
    assert created["username"] == "zhao9" and created["positions"][0]["role"] == "activist"
    res = ok(admin.post("/api/people", json=body), 422)
    assert res["details"] == [{"field": "username", "message": "taken"}]
    changed = ok(admin.patch("/api/people/zhao9", json={"display_name": "赵久", "email": "zhao@example.org"}))
    assert changed["display_name"] == "赵久" and changed["email"] == "zhao@example.org"
    assert as_user("sec1").patch("/api/people/zhao9", json={"display_name": "x"}).status_code == 403
    assert admin.patch("/api/people/nobody", json={"display_name": "x"}).status_code == 404
    # no usable password until an administrator resets one, which he must then change
    reset = ok(admin.post("/api/people/zhao9/password-reset", json={"reason": "新建账号"}))
    assert reset["must_change_password"] is True


def test_positions_and_who_held_them(as_user: Any) -> None:
    admin = as_user("admin")
    new = {"person": "m21", "org_unit": "demo-branch3", "role": "committee_member", "start": "2026-01-01",
           "reason": "支委会选举"}
    assert as_user("sec3").post("/api/positions", json=new).status_code == 403
    res = ok(admin.post("/api/positions", json={**new, "start": "2026-13-01"}), 422)
    assert res["details"] == [{"field": "start", "message": "not a date"}]
    res = ok(admin.post("/api/positions", json={**new, "end": "2025-12-31"}), 422)
    assert res["details"] == [{"field": "end", "message": "before start"}]
    res = ok(admin.post("/api/positions", json={**new, "role": "member", "org_unit": "demo-branch1"}), 422)
    assert res["details"] == [{"field": "org_unit", "message": "member elsewhere"}]
    position = ok(admin.post("/api/positions", json=new), 201)
    assert position["active"] is True
    res = ok(admin.post("/api/positions", json=new), 422)
    assert res["details"] == [{"field": "role", "message": "already held"}]
    url = f"/api/positions/{position['id']}"
    ok(admin.patch(url, json={"end": "2026-06-30"}), 422)  # no reason
    ended = ok(admin.patch(url, json={"end": "2026-06-30", "reason": "换届"}))
    assert ended["end"] == "2026-06-30" and ended["active"] is False
    assert admin.patch("/api/positions/999999", json={"end": "2026-06-30", "reason": "x"}).status_code == 404
    held = ok(admin.get("/api/org-units/demo-branch3/holders?role=committee_member&on=2026-03-01"))
    assert [p["person"] for p in held["items"]] == ["m21"]
    held = ok(admin.get("/api/org-units/demo-branch3/holders?role=committee_member&on=2026-07-01"))
    assert held["items"] == []
    assert admin.get("/api/org-units/demo-branch3/holders?role=secretary").status_code == 400
    assert as_user("m21").get("/api/org-units/demo-branch3/holders?role=secretary&on=2026-07-01").status_code == 403


def test_appointing_a_new_secretary_ends_the_old_one_and_moves_his_claims(as_user: Any) -> None:
    admin, sec1, m5 = as_user("admin"), as_user("sec1"), as_user("m5")
    started = ok(as_user("m1").post("/api/process-instances", json={
        "process_key": "activity_report", "org_unit": "demo-branch1"}), 201)
    task = started["open_tasks"][0]
    review = _secretary_task(as_user, task)
    ok(sec1.post(f"/api/tasks/{review['id']}/claim", json={}))
    url = "/api/org-units/demo-branch1/appointments"
    assert sec1.post(url, json={"person": "m5", "reason": "换届"}).status_code == 403
    ok(admin.post(url, json={"person": "m5"}), 422)
    res = ok(admin.post(url, json={"person": "sec1", "reason": "换届"}), 422)
    assert res["details"] == [{"field": "person", "message": "already the holder"}]
    body = ok(admin.post(url, json={"person": "m5", "reason": "支部换届选举"}), 201)
    today = date.today()
    assert body["position"]["person"] == "m5" and body["position"]["start"] == today.isoformat()
    assert [(p["person"], p["end"]) for p in body["ended"]] == [("sec1", (today - timedelta(days=1)).isoformat())]
    assert body["returned_tasks"] == [review["id"]]
    shown = ok(m5.get(f"/api/tasks/{review['id']}"))
    assert shown["assignee"] is None and "claim" in shown["actions"]
    assert sec1.get(f"/api/tasks/{review['id']}").status_code in (403, 404)
    held = ok(admin.get(f"/api/org-units/demo-branch1/holders?role=secretary&on={today.isoformat()}"))
    assert [p["person"] for p in held["items"]] == ["m5"]
    yesterday = (today - timedelta(days=1)).isoformat()
    held = ok(admin.get(f"/api/org-units/demo-branch1/holders?role=secretary&on={yesterday}"))
    assert [p["person"] for p in held["items"]] == ["sec1"]


def _secretary_task(as_user: Any, first: dict[str, Any]) -> dict[str, Any]:
    """Complete the member's report so that a task offered to the branch secretary opens."""
    ok(as_user("m1").post(f"/api/tasks/{first['id']}/complete", json={"data": REPORT}))
    claimable = ok(as_user("sec1").get("/api/tasks?scope=claimable"))["items"]
    [review] = [t for t in claimable if t["element_id"] == "ReviewReport"]
    return dict(review)


def test_an_appointment_corrected_the_same_day(as_user: Any) -> None:
    admin = as_user("admin")
    url = "/api/org-units/demo-branch2/appointments"
    ok(admin.post(url, json={"person": "m12", "reason": "换届"}), 201)
    body = ok(admin.post(url, json={"person": "m13", "reason": "任命有误，当日更正"}), 201)
    today = date.today()
    assert [(p["person"], p["end"]) for p in body["ended"]] == [("m12", (today - timedelta(days=1)).isoformat())]
    held = ok(admin.get(f"/api/org-units/demo-branch2/holders?role=secretary&on={today.isoformat()}"))
    assert [p["person"] for p in held["items"]] == ["m13"]
