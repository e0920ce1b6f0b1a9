"""Transfer and deactivation touch running work, never silently (issue 15.4).

A member transferred in the middle of a campaign's pledge stage: his pledge is withdrawn with
the reason, the old branch reaches the next stage without him, he is a member of the new
branch from today, and a deactivated person can no longer log in.
"""

from __future__ import annotations

from typing import Any

from tests.campaign.test_campaign_api import launch, my_task, ok
from tests.campaign.test_stage_closing import MEMBERS, branch_run, mobilise, pledge
from tests.org.test_people_api import active_roles


def test_a_member_transferred_mid_pledge_is_not_waited_for(as_user: Any, fake_clock: Any) -> None:
    launch(as_user)
    run = branch_run(as_user)
    mobilise(as_user)
    admin, m2 = as_user("admin"), as_user("m2")
    assert my_task(m2, "DraftPledge")
    url = "/api/people/m2/transfer"
    assert as_user("sec1").post(url, json={"to_unit": "demo-branch2", "reason": "工作调动"}).status_code == 403
    res = ok(admin.post(url, json={"to_unit": "demo-branch2"}), 422)
    assert res["details"] == [{"field": "reason", "message": "required"}]
    res = ok(admin.post(url, json={"to_unit": "demo-pc1", "reason": "工作调动"}), 422)
    assert res["details"] == [{"field": "to_unit", "message": "not a branch or party group"}]
    res = ok(admin.post(url, json={"to_unit": "demo-branch1", "reason": "工作调动"}), 422)
    assert res["details"] == [{"field": "to_unit", "message": "same unit"}]
    res = ok(admin.post(url, json={"to_unit": "no-such-unit", "reason": "工作调动"}), 422)
    assert res["details"] == [{"field": "to_unit", "message": "unknown unit"}]

    body = ok(admin.post(url, json={"to_unit": "demo-branch2", "reason": "工作调动，转入第二党支部"}))
    assert [(w["instance"], w["waiting_at"]) for w in body["withdrawn"]] == [(run, ["DraftPledge"])]
    assert body["positions_ended"] == [{"role": "member", "org_unit": "demo-branch1"}]
    assert body["from_unit"]["code"] == "demo-branch1" and body["to_unit"]["code"] == "demo-branch2"
    assert body["suspended"] == [] and body["left_open"] == []
    assert ok(m2.get("/api/tasks?scope=mine"))["items"] == []
    assert active_roles(admin, "m2") == [("member", "demo-branch2")]
    res = ok(admin.post(url, json={"to_unit": "demo-branch2", "reason": "again"}), 422)
    assert res["details"] == [{"field": "to_unit", "message": "same unit"}]

    pledge(as_user, [m for m in MEMBERS if m != "m2"])
    instance = ok(admin.get(f"/api/process-instances/{run}"))
    assert instance["stage"] not in ("mobilise", "pledge"), instance["stage"]
    withdrawn = [h for h in instance["history"] if h["action"] == "instance.withdrawn"]
    assert [(h["actor"], h["details"]["person"], h["details"]["cause"], h["details"]["reason"])
            for h in withdrawn] == [("admin", "m2", "transferred", "工作调动，转入第二党支部")]
    board = ok(as_user("sec1").get("/api/org-units/demo-branch1/board"))
    assert "m2" not in {p["member"] for p in board["pledges"]}
    assert [(a["member"], a["cause"]) for a in board["absences"]] == [("m2", "transferred")]


def test_deactivation_withdraws_him_and_ends_his_login(as_user: Any, fake_clock: Any, app: Any) -> None:
    launch(as_user)
    run = branch_run(as_user)
    mobilise(as_user)
    admin = as_user("admin")
    url = "/api/people/m3/deactivate"
    assert as_user("sec1").post(url, json={"reason": "病故"}).status_code == 403
    assert admin.post("/api/people/admin/deactivate", json={"reason": "x"}).status_code == 422
    ok(admin.post(url, json={}), 422)
    m3 = as_user("m3")
    body = ok(admin.post(url, json={"reason": "病故"}))
    assert body["active"] is False and [w["instance"] for w in body["withdrawn"]] == [run]
    assert body["positions_ended"] == [{"role": "member", "org_unit": "demo-branch1"}]
    assert m3.get("/api/me").status_code == 401
    res = app.test_client().post("/api/session", json={"username": "m3", "password": "demo"})
    assert res.status_code == 401
    assert ok(admin.post(url, json={"reason": "again"}), 422)["details"][0]["message"] == "inactive"
    assert active_roles(admin, "m3") == []
    assert ok(admin.get("/api/people/m3"))["active"] is False


def test_a_move_into_a_party_group_of_his_branch(as_user: Any) -> None:
    admin = as_user("admin")
    ok(admin.post("/api/org-units", json={"code": "b3-g1", "name": "第一党小组", "type": "party_group",
                                          "parent": "demo-branch3"}), 201)
    body = ok(admin.post("/api/people/sec3/transfer", json={"to_unit": "b3-g1", "reason": "编入党小组"}))
    assert body["positions_ended"] == [{"role": "member", "org_unit": "demo-branch3"}] and body["withdrawn"] == []
    assert sorted(active_roles(admin, "sec3")) == [("member", "b3-g1"), ("secretary", "demo-branch3")]
