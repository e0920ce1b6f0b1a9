"""The org tree (issue 15.1): create every type where it fits, rename, move a subtree (paths and
task candidates follow), dissolve and merge, refused with a report while anything is alive."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.database import db
from server.org.models import OrgUnit
from tests.campaign.test_campaign_api import launch, ok
from tests.org.test_people_api import active_roles


def paths() -> dict[str, str]:
    with db.transaction() as s:
        units = s.scalars(select(OrgUnit)).all()
        ids = {u.id: u.code for u in units}
        return {u.code: "/".join(ids[int(i)] for i in u.path.strip("/").split("/")) for u in units}


def test_create_every_type_where_it_fits(as_user: Any) -> None:
    admin = as_user("admin")
    new = {"code": "gb1", "name": "机关总支", "type": "general_branch", "parent": "demo-pc1"}
    assert as_user("sec1").post("/api/org-units", json=new).status_code == 403
    assert as_user("leader1").post("/api/org-units", json=new).status_code == 403
    gb = ok(admin.post("/api/org-units", json=new), 201)
    assert gb["type"] == "general_branch" and gb["depth"] == 2
    res = ok(admin.post("/api/org-units", json=new), 422)
    assert res["details"] == [{"field": "code", "message": "taken"}]
    branch = ok(admin.post("/api/org-units", json={"code": "gb1-b1", "name": "机关第一支部", "type": "branch",
                                                   "parent": gb["id"]}), 201)
    group = ok(admin.post("/api/org-units", json={"code": "gb1-b1-g1", "name": "第一党小组", "type": "party_group",
                                                  "parent": "gb1-b1"}), 201)
    assert group["parent_id"] == branch["id"]
    res = ok(admin.post("/api/org-units", json={"code": "g2", "name": "小组", "type": "party_group",
                                                "parent": "demo-pc1"}), 422)
    assert res["details"] == [{"field": "parent", "message": "not allowed under a party_committee"}]
    res = ok(admin.post("/api/org-units", json={"code": "x", "name": "x", "type": "kingdom",
                                                "parent": "demo-pc1"}), 422)
    assert res["details"][0]["field"] == "type"
    res = ok(admin.post("/api/org-units", json={"code": "x", "name": "x", "type": "branch", "parent": "nowhere"}), 422)
    assert res["details"] == [{"field": "parent", "message": "unknown unit"}]
    res = ok(admin.post("/api/org-units", json={"code": "bad code", "name": "x", "type": "branch",
                                                "parent": "demo-pc1"}), 422)
    assert res["details"] == [{"field": "code", "message": "not a code"}]
    listed = [u["code"] for u in ok(admin.get("/api/org-units"))["items"]]
    assert listed.index("demo-pc1") < listed.index("gb1") < listed.index("gb1-b1") < listed.index("gb1-b1-g1")
    assert as_user("m1").get("/api/org-units").status_code == 403


def test_rename_and_move_a_subtree(as_user: Any) -> None:
    admin = as_user("admin")
    ok(admin.post("/api/org-units", json={"code": "b1-g1", "name": "第一党小组", "type": "party_group",
                                          "parent": "demo-branch1"}), 201)
    renamed = ok(admin.patch("/api/org-units/demo-branch1", json={"name": "第一党支部（社区）"}))
    assert renamed["name"] == "第一党支部（社区）"
    # a review offered to secretary@parent follows the new parent
    started = ok(as_user("m1").post("/api/process-instances", json={
        "process_key": "activity_report", "org_unit": "demo-branch1"}), 201)
    assert started["open_tasks"]
    res = ok(admin.patch("/api/org-units/demo-branch1", json={"parent": "b1-g1"}), 422)
    assert res["details"] == [{"field": "parent", "message": "inside the unit's own subtree"}]
    res = ok(admin.patch("/api/org-units/demo-branch1", json={"parent": "demo-district"}))
    assert res["parent_id"] is not None
    assert paths()["b1-g1"] == "demo-district/demo-branch1/b1-g1"
    moved = ok(admin.patch("/api/org-units/demo-branch1", json={"parent": "demo-pc2", "reason": "划转"}))
    assert moved["depth"] == 2
    assert paths()["b1-g1"] == "demo-district/demo-pc2/demo-branch1/b1-g1"
    # the tree's rules still hold for a move
    res = ok(admin.patch("/api/org-units/b1-g1", json={"parent": "demo-pc1"}), 422)
    assert res["details"] == [{"field": "parent", "message": "not allowed under a party_committee"}]
    res = ok(admin.patch("/api/org-units/demo-district", json={"parent": "demo-pc1"}), 422)
    assert res["details"][0]["field"] == "parent"
    # leader1 (secretary of 第一党委) no longer sees branch 1 as his: leader2 does
    assert as_user("sec1").patch("/api/org-units/demo-branch1", json={"name": "x"}).status_code == 403


def test_dissolve_and_merge_say_what_is_alive(as_user: Any) -> None:
    admin = as_user("admin")
    ok(as_user("m21").post("/api/process-instances", json={"process_key": "activity_report",
                                                          "org_unit": "demo-branch3"}), 201)
    url = "/api/org-units/demo-branch3/dissolve"
    assert as_user("sec3").post(url, json={"reason": "撤销", "dry_run": True}).status_code == 403
    dry = ok(admin.post(url, json={"reason": "撤销", "dry_run": True}))
    assert dry["done"] is False and len(dry["running_instances"]) == 1 and dry["open_tasks"] == 1
    assert len(dry["positions"]) == 14 and len(dry["blocked_by"]) == 3
    res = ok(admin.post(url, json={"reason": "撤销"}), 409)
    assert "cannot be dissolved yet" in res["message"] and len(res["details"]) == 3
    res = ok(admin.post("/api/org-units/demo-branch3/merge", json={"into": "demo-branch2", "reason": "合并"}), 409)
    assert "1 process instances still run" in res["message"]
    res = ok(admin.post("/api/org-units/demo-branch3/merge", json={"into": "demo-pc1", "reason": "合并"}), 422)
    assert res["details"] == [{"field": "into", "message": "another type"}]

    # an empty branch is dissolved; a branch without running work is merged
    empty = ok(admin.post("/api/org-units", json={"code": "b9", "name": "待撤销支部", "type": "branch",
                                                  "parent": "demo-pc2"}), 201)
    done = ok(admin.post(f"/api/org-units/{empty['id']}/dissolve", json={"reason": "无党员"}))
    assert done["done"] is True and done["blocked_by"] == []
    assert "b9" not in [u["code"] for u in ok(admin.get("/api/org-units"))["items"]]
    assert admin.post(f"/api/org-units/{empty['id']}/dissolve", json={"reason": "again"}).status_code == 422
    ok(admin.post("/api/org-units", json={"code": "b2-g1", "name": "二支部小组", "type": "party_group",
                                          "parent": "demo-branch2"}), 201)
    dry = ok(admin.post("/api/org-units/demo-branch2/merge", json={"into": "demo-branch1", "reason": "合并",
                                                                   "dry_run": True}))
    assert dry["blocked_by"] == [] and dry["done"] is False and len(dry["what_happens"]) == 4
    merged = ok(admin.post("/api/org-units/demo-branch2/merge", json={"into": "demo-branch1", "reason": "两支部合并"}))
    assert merged["done"] is True
    assert paths()["b2-g1"] == "demo-district/demo-pc1/demo-branch1/b2-g1"
    assert active_roles(admin, "m11") == [("member", "demo-branch1")]
    assert active_roles(admin, "sec2") == [("member", "demo-branch1")]
    units = {u["code"]: u for u in ok(admin.get("/api/org-units?include_dissolved=true"))["items"]}
    assert units["demo-branch2"]["dissolved"] is True and units["demo-branch2"]["merged_into_id"] == units[
        "demo-branch1"]["id"]


def test_a_dissolved_branch_gets_no_new_campaign(as_user: Any, fake_clock: Any) -> None:
    admin = as_user("admin")
    empty = ok(admin.post("/api/org-units", json={"code": "b9", "name": "待撤销支部", "type": "branch",
                                                  "parent": "demo-pc2"}), 201)
    ok(admin.post(f"/api/org-units/{empty['id']}/dissolve", json={"reason": "无党员"}))
    launch(as_user)
    runs = ok(admin.get("/api/process-instances?process=vanguard_campaign_branch"))["items"]
    assert sorted(r["org_unit"]["code"] for r in runs) == ["demo-branch1", "demo-branch2", "demo-branch3"]
