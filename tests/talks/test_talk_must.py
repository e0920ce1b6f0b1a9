"""Must-talks (八必谈) through the HTTP API: started by the secretary with one of the eight
triggers, delegated to a committee member, or started by an appraisal result by itself."""

from __future__ import annotations

from sqlalchemy import select

from server.database import db
from server.org.models import OrgUnit, Person, Position
from server.talks import starts as talk_starts
from server.talks.models import Talk
from tests.talkkit import complete, local, ok, open_task, record, start_talk, talk


def make_committee_member(username: str, unit: str = "demo-branch1") -> None:
    with db.transaction() as s:
        person = s.scalar(select(Person).where(Person.username == username))
        branch = s.scalar(select(OrgUnit).where(OrgUnit.code == unit))
        s.add(Position(person_id=person.id, org_unit_id=branch.id, role="committee_member"))


def test_appraisal_grade_starts_a_must_talk_for_the_secretary(fake_clock, as_user):
    fake_clock.now = local(2026, 11, 2, 9)
    with db.transaction() as s:
        started = talk_starts.on_appraisal_grade(s, "demo-branch1", "m6", "basically_qualified",
                                           source="campaign:1:7:m6")
        assert started is not None
        talk_id = started.id
        assert talk_starts.on_appraisal_grade(s, "demo-branch1", "m7", "qualified") is None
        assert talk_starts.on_appraisal_grade(s, "demo-branch1", "m7", "excellent") is None
        again = talk_starts.on_appraisal_grade(s, "demo-branch1", "m6", "basically_qualified", source="campaign:1:7:m6")
        assert again is not None and again.id == talk_id
        batch = talk_starts.on_appraisal_results(s, "demo-branch1", [
            {"member": "m8", "overall": "qualified", "needs_talk": True},
            {"member": "m9", "overall": "unqualified", "needs_talk": True},
            {"member": "m10", "overall": "qualified", "needs_talk": False},
        ], source_prefix="campaign:1:7")
        assert sorted(t.subject.username for t in batch) == ["m8", "m9"]
        assert s.scalar(select(Talk).where(Talk.source == "campaign:1:7:m9")) is not None

    sec1 = as_user("sec1")
    offered = sec1.get("/api/tasks?scope=claimable&process=talk").get_json()["items"]
    assert sorted(t["element_id"] for t in offered) == ["PlanTalk"] * 3
    assert as_user("sec2").get("/api/tasks?scope=claimable&process=talk").get_json()["total"] == 0
    triggered = talk(sec1, talk_id)
    assert triggered["kind"] == "must" and triggered["trigger"] == "appraisal"
    assert triggered["subject"]["username"] == "m6" and triggered["state"] == "planning"
    assert "基本合格" in triggered["note"] and triggered["source"] == "campaign:1:7:m6"
    assert "基本合格" in triggered["trigger_label"]
    history = ok(sec1.get(f"/api/process-instances/{triggered['instance_id']}"))["history"]
    assert [h for h in history if h["action"] == "talk.triggered"][0]["details"]["trigger"] == "appraisal"

    # The secretary hands the talk to a committee member; a plain member may not hold it.
    plan = open_task(sec1, talk_id, "PlanTalk")
    ok(sec1.post(f"/api/tasks/{plan['id']}/claim", json={}))
    data = {"talker": "m5", "scheduled_at": "2026-11-04T15:00:00+08:00", "place": "支部活动室",
            "way": "face_to_face"}
    res = sec1.post(f"/api/tasks/{plan['id']}/complete", json={"data": data})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "talker"
    make_committee_member("m5")
    complete(sec1, plan["id"], data)
    planned = talk(sec1, talk_id)
    assert planned["talker"]["username"] == "m5" and planned["state"] == "scheduled"
    m5 = as_user("m5")
    assert [t["element_id"] for t in m5.get("/api/tasks?scope=mine").get_json()["items"]] == ["RecordTalk"]
    fake_clock.now = local(2026, 11, 4, 17)
    record(m5, talk_id, "2026-11-04", content="针对评议意见谈心，本人表示接受并改进。")
    assert talk(sec1, talk_id)["state"] == "closed"


def test_secretary_starts_a_must_talk_with_one_of_the_eight_triggers(fake_clock, as_user):
    fake_clock.now = local(2026, 11, 2, 9)
    sec1 = as_user("sec1")
    vocabulary = ok(sec1.get("/api/talks/vocabulary"))
    assert len(vocabulary["triggers"]) == 8
    started = start_talk(sec1, kind="must", trigger="family_hardship", member="m9", note="家中老人住院")
    assert started["trigger"] == "family_hardship" and started["state"] == "planning"
    assert [t["element_id"] for t in started["open_tasks"]] == ["PlanTalk"]
    assert started["org_unit"]["code"] == "demo-branch1"

    res = sec1.post("/api/talks", json={"org_unit": "demo-branch1", "kind": "must", "member": "m9"})
    assert res.status_code == 422 and "trigger" in res.get_json()["message"]
    res = sec1.post("/api/talks", json={"org_unit": "demo-branch1", "kind": "must", "trigger": "bored",
                                        "member": "m9"})
    assert res.status_code == 422
    res = sec1.post("/api/talks", json={"org_unit": "demo-branch1", "kind": "periodic", "member": "m11"})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "member"  # not in this branch
    res = sec1.post("/api/talks", json={"org_unit": "demo-branch1", "kind": "periodic", "member": "m9",
                                        "talker": "m8", "scheduled_at": "2026-11-03T09:00:00+08:00"})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "talker"
    assert as_user("m1").post("/api/talks", json={"org_unit": "demo-branch1", "kind": "must",
                                                  "trigger": "conflict", "member": "m9"}).status_code == 403
    assert as_user("sec2").post("/api/talks", json={"org_unit": "demo-branch1", "kind": "must",
                                                    "trigger": "conflict", "member": "m9"}).status_code == 403
    # The superior secretary may talk with a branch member himself.
    above = start_talk(as_user("leader1"), kind="must", trigger="job_change", member="m9", talker="leader1",
                       scheduled_at="2026-11-05T09:00:00+08:00", place="党委办公室")
    assert [t["element_id"] for t in above["open_tasks"]] == ["RecordTalk"]


def test_mass_appraisal_of_the_campaign_starts_the_must_talk_by_itself(fake_clock, as_user):
    """The whole way: a campaign branch's mass appraisal rates m3 "basically qualified"."""
    from tests.campaign.test_campaign_api import (
        GOOD,
        WEAK,
        branch_members,
        complete,
        launch,
        my_task,
        one_task,
        set_now,
        tasks,
    )

    launch(as_user)
    sec1, leader1 = as_user("sec1"), as_user("leader1")
    complete(sec1, one_task(sec1, "Mobilise", scope="claimable"), {
        "theme": "服务群众当先锋", "carrier": "党员责任区", "meeting_date": "2026-09-28", "meeting_place": "党员活动室",
        "attendance": 12})
    members = branch_members(1)
    for username in members:
        client = as_user(username)
        complete(client, my_task(client, "DraftPledge"), {"content": f"{username}：带头参加社区志愿服务",
                                                          "deadline": "2026-11-20"})
    for review in [t for t in tasks(sec1, scope="claimable") if t["element_id"] == "ReviewPledge"]:
        complete(sec1, review, {"decision": "approve"})
    set_now(fake_clock, "2026-11-21T10:00:00+08:00")
    for username in members:
        client = as_user(username)
        complete(client, my_task(client, "ReportFulfilment"),
                 {"report": f"{username} 已按承诺完成", "completed_on": "2026-11-20"})
    for rating in [t for t in tasks(sec1, scope="claimable") if t["element_id"] == "RateFulfilment"]:
        complete(sec1, rating, {"rating": "good", "comment": "兑现良好"})
    complete(leader1, one_task(leader1, "LeaderReview", scope="claimable"), {
        "achievements": "承诺全部兑现", "problems": "个别承诺不够具体", "direction": "加强跟踪问效",
        "member_comments": []})
    raters = members + ["rep1"]
    for username in raters:
        client = as_user(username)
        ratings = [{"member": u, **(WEAK if u == "m3" else GOOD)} for u in members if u != username]
        if username != raters[-1]:
            assert ok(sec1.get("/api/talks?kind=must"))["total"] == 0  # not before the appraisal is published
        complete(client, my_task(client, "MassAppraisal"), {"ratings": ratings})

    must = ok(sec1.get("/api/talks?kind=must"))["items"]
    assert [(t["subject"]["username"], t["trigger"], t["state"]) for t in must] == [("m3", "appraisal", "planning")]
    detail = talk(sec1, must[0]["id"])
    assert detail["note"] == "民主评议结果：基本合格" and detail["source"].endswith(":m3")
    plans = [t for t in tasks(sec1, scope="claimable", process="talk") if t["element_id"] == "PlanTalk"]
    assert [t["instance_id"] for t in plans] == [detail["instance_id"]]
    # Later saves of the branch (the commendation) start nothing more.
    commend = one_task(leader1, "Commendation", scope="claimable")
    complete(leader1, commend, {"advanced_branch": False, "excellent_members": []})
    assert ok(sec1.get("/api/talks?kind=must"))["total"] == 1
