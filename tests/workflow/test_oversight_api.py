"""Overseers move stuck work (issue 16.2) and nothing is created twice (16.3), through the API.

In the demo district: sec1 oversees branch 1, admin (org_admin of the district) the whole tree.
"""

from __future__ import annotations

import threading

from server.workflow.scheduler import run_pending
from tests.campaign.test_campaign_api import PLAN, launch, my_task, ok, one_task, set_now, tasks, wait_for_launch
from tests.campaign.test_stage_closing import MEMBERS, RATERS, appraise, branch_run, fulfil, mobilise, pledge, review


def history_of(as_user, instance_id, action):
    body = ok(as_user("admin").get(f"/api/process-instances/{instance_id}"))
    return [h for h in body["history"] if h["action"] == action]


def test_a_bound_task_is_reassigned_by_the_secretary_with_a_reason(as_user, fake_clock):
    launch(as_user)
    run = branch_run(as_user)
    mobilise(as_user)
    sec1, m2 = as_user("sec1"), as_user("m2")
    draft = my_task(m2, "DraftPledge")
    url = f"/api/tasks/{draft['id']}/reassign"
    assert as_user("m5").post(url, json={"to": "sec1", "reason": "代为填写"}).status_code == 403
    assert as_user("sec2").post(url, json={"to": "sec1", "reason": "代为填写"}).status_code == 403
    res = ok(sec1.post(url, json={"to": "m11", "reason": "代为填写"}), 422)
    assert res["details"] == [{"field": "to", "message": "not eligible for this task"}]
    res = ok(sec1.post(url, json={"to": "sec1"}), 422)
    assert res["details"][0]["field"] == "reason"
    res = ok(sec1.post(url, json={"to": "nobody", "reason": "代为填写"}), 422)
    assert res["details"][0]["field"] == "to"
    picker = ok(sec1.get(f"/api/tasks/{draft['id']}/eligible"))["items"]
    assert {p["username"] for p in picker} >= set(MEMBERS) and "m11" not in {p["username"] for p in picker}
    assert "reassign" in ok(sec1.get(f"/api/tasks/{draft['id']}"))["actions"]
    moved = ok(sec1.post(url, json={"to": "sec1", "reason": "该党员在外住院，由书记代为登记承诺"}))
    assert moved["assignee"] == "sec1" and moved["bound"] is True
    assert ok(m2.get("/api/tasks?scope=mine"))["items"] == []
    assert m2.post(f"/api/tasks/{draft['id']}/complete", json={"data": {}}).status_code in (403, 409)
    ok(sec1.post(f"/api/tasks/{draft['id']}/complete",
                 json={"data": {"content": "m2：出院后参加社区服务两次", "deadline": "2026-11-20"}}))
    board_pledges = {p["member"] for p in ok(sec1.get("/api/org-units/demo-branch1/board"))["pledges"]}
    review_task = one_task(sec1, "ReviewPledge", scope="claimable")
    ok(sec1.post(f"/api/tasks/{review_task['id']}/complete", json={"data": {"decision": "approve"}}))
    assert {p["member"] for p in ok(sec1.get("/api/org-units/demo-branch1/board"))["pledges"]} == board_pledges | {
        "m2"}
    [entry] = history_of(as_user, run, "task.reassigned")
    assert entry["actor"] == "sec1" and entry["details"]["previous"] == "m2" and entry["details"]["to"] == "sec1"
    assert entry["details"]["reason"] == "该党员在外住院，由书记代为登记承诺"


def test_a_withdrawn_rater_does_not_hold_the_appraisal(as_user, fake_clock):
    launch(as_user)
    run = branch_run(as_user)
    mobilise(as_user)
    pledge(as_user, MEMBERS)
    set_now(fake_clock, "2026-11-21T10:00:00+08:00")
    fulfil(as_user, MEMBERS)
    review(as_user)
    admin = as_user("admin")
    url = f"/api/process-instances/{run}/withdraw"
    assert sorted(p["person"] for p in ok(admin.get(f"/api/process-instances/{run}/participants"))["items"]) == RATERS
    assert as_user("m5").post(url, json={"person": "rep1", "reason": "调离"}).status_code == 403
    res = ok(admin.post(url, json={"person": "m11", "reason": "不是本支部"}), 422)
    assert res["details"][0]["field"] == "person"
    body = ok(admin.post(url, json={"person": "rep1", "reason": "群众代表已搬离本社区"}))
    assert body["withdrawn"] == [{"person": "rep1", "person_name": "群众代表老周", "activity": "MassAppraisal",
                                  "waiting_at": ["MassAppraisal"]}]
    assert ok(as_user("rep1").get("/api/tasks?scope=mine"))["items"] == []
    appraise(as_user, [r for r in RATERS if r != "rep1"])
    board = ok(as_user("m5").get("/api/org-units/demo-branch1/board"))
    assert board["appraisal"]["published_at"] is not None
    assert [(a["member"], a["label"], a["cause"]) for a in board["absences"]] == [("rep1", "未参评", "withdrawn")]
    assert one_task(as_user("leader1"), "Commendation", scope="claimable")["instance_id"] == run
    [entry] = history_of(as_user, run, "instance.withdrawn")
    assert entry["actor"] == "admin" and entry["details"]["reason"] == "群众代表已搬离本社区"


def test_cancelling_a_campaign_cancels_its_branches_after_saying_how_many(as_user, fake_clock):
    launched = launch(as_user)
    campaign_id = launched["campaign"]["id"]
    admin = as_user("admin")
    url = f"/api/process-instances/{campaign_id}/cancel"
    assert as_user("sec1").post(url, json={"reason": "重复发起"}).status_code == 403
    dry = ok(admin.post(url, json={"reason": "重复发起", "dry_run": True}))
    assert dry["cascade"] == 3 and dry["cancelled"] == [] and dry["instance"]["state"] == "running"
    done = ok(admin.post(url, json={"reason": "重复发起，以第二次为准"}))
    assert done["cascade"] == 3 and len(done["cancelled"]) == 4 and done["instance"]["state"] == "cancelled"
    runs = ok(admin.get("/api/process-instances?process=vanguard_campaign_branch"))["items"]
    assert {r["state"] for r in runs} == {"cancelled"}
    assert tasks(as_user("sec1"), process="vanguard_campaign_branch") == []
    assert ok(admin.get("/api/tasks/counts"))["claimable"] == 0
    [entry] = history_of(as_user, runs[0]["id"], "instance.cancelled")
    assert entry["details"] == {"reason": "重复发起，以第二次为准", "cascade_from": campaign_id}
    assert admin.post(url, json={"reason": "再次取消"}).status_code == 409
    rows = ok(admin.get(f"/api/org-units/demo-district/campaign-progress?campaign={campaign_id}"))["units"]
    assert rows[0]["stages"] == {"cancelled": 3}


def test_a_suspended_branch_waits_then_resumes(as_user, fake_clock):
    launch(as_user)
    run = branch_run(as_user)
    mobilise(as_user)
    sec1, m2 = as_user("sec1"), as_user("m2")
    url = f"/api/process-instances/{run}"
    ok(sec1.post(f"{url}/suspend", json={"reason": "支部换届，暂停活动"}))
    assert sec1.post(f"{url}/suspend", json={"reason": "again"}).status_code == 409
    draft = my_task(m2, "DraftPledge")
    res = m2.post(f"/api/tasks/{draft['id']}/complete",
                  json={"data": {"content": "带头参加志愿服务", "deadline": "2026-11-20"}})
    assert res.status_code == 409 and "suspended" in res.get_json()["message"]
    set_now(fake_clock, "2026-10-17T00:00:05+08:00")  # the pledge date passes while suspended
    run_pending()
    assert my_task(m2, "DraftPledge")["id"] == draft["id"]
    assert ok(as_user("m5").get("/api/org-units/demo-branch1/board"))["absences"] == []
    ok(sec1.post(f"{url}/resume", json={"reason": "换届完成"}))
    run_pending()  # late rather than never: the closings fire now
    assert ok(m2.get("/api/tasks?scope=mine"))["items"] == []
    actions = [h["action"] for h in ok(as_user("admin").get(url))["history"]]
    assert actions.index("instance.suspended") < actions.index("instance.resumed") < actions.index(
        "instance.withdrawn")


def test_a_double_launch_creates_one_campaign(as_user, fake_clock):
    admin = as_user("admin")
    body = {"org_unit": "demo-district", **PLAN}
    headers = {"Idempotency-Key": "launch-2026-autumn"}
    first = admin.post("/api/campaigns", json=body, headers=headers)
    second = admin.post("/api/campaigns", json=body, headers=headers)
    assert first.status_code == second.status_code == 202
    assert second.headers["Idempotent-Replayed"] == "true" and second.headers["Location"] == first.headers["Location"]
    assert second.get_json()["campaign"]["id"] == first.get_json()["campaign"]["id"]
    wait_for_launch(admin, first.get_json()["launch"]["url"])
    assert ok(admin.get("/api/process-instances?process=vanguard_campaign"))["total"] == 1
    res = admin.post("/api/campaigns", json={**body, "theme": "另一个主题"}, headers=headers)
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "Idempotency-Key"
    # Another person's key is his own.
    assert as_user("sec1").post("/api/campaigns", json=body, headers=headers).status_code == 403


def test_two_clicks_at_once_start_one_selection(app, as_user, fake_clock):
    results = []

    def click() -> None:
        client = app.test_client()
        ok(client.post("/api/session", json={"username": "sec1", "password": "demo"}))
        res = client.post("/api/selections", json={"org_unit": "demo-branch1"}, headers={"Idempotency-Key": "k1"})
        results.append((res.status_code, (res.get_json() or {}).get("instance", {}).get("id")))

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[0] for r in results) in ([201, 201], [201, 409])
    assert len({r[1] for r in results if r[0] == 201}) == 1
    assert ok(as_user("sec1").get("/api/process-instances?process=excellent_member_selection"))["total"] == 1
