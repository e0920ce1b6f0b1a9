"""Issue 19 item 6: the talk system of seed 001 annex 4 for every talker, through the API."""

from __future__ import annotations

from sqlalchemy import select

from tests.orgkit import hold
from tests.talkkit import answer, local, look_back, ok, open_task, problem, record, request_talk, start_talk, talk


def _add_unit(code: str, name: str, type_: str, parent: str) -> None:
    from server.database import db
    from server.org.models import OrgUnit
    from server.org.tree import add_unit

    with db.transaction() as s:
        add_unit(s, code, name, type_, s.scalar(select(OrgUnit).where(OrgUnit.code == parent)))


def _people() -> None:
    _add_unit("demo-b1-g1", "第一党小组", "party_group", "demo-branch1")
    hold("g1", "demo-b1-g1", "member")
    hold("m1", "demo-b1-g1", "group_leader")
    hold("cm1", "demo-branch1", "committee_member")
    hold("cm1", "demo-branch1", "member")
    hold("dev1", "demo-branch1", "development_target")
    hold("act1", "demo-branch1", "activist")


def _talk_by(as_user, talker: str, member: str, held_on: str) -> dict:
    return start_talk(as_user("sec1"), kind="periodic", member=member, talker=talker,
                      scheduled_at=f"{held_on}T10:00:00+08:00", place="支部活动室", way="face_to_face")


def test_committee_members_and_group_leaders_cover_the_people_they_look_after(as_user, fake_clock):
    """Seed 001 annex 4 §三（一）: "支委委员和党小组长每半年与所联系的党员、发展对象和入党积极分子
    至少有1次专门面谈" — the relation is kept in the organisation and each one's half year is
    tracked like the secretary's; "谈心谈话的对象是党支部全体党员和入党积极分子" with 发展对象;
    §四（四）: "随机谈话的内容要在谈话结束后及时进行补充记录" — a record later than 3 working days
    after the talk is flagged."""
    _people()
    sec1 = as_user("sec1")
    url = "/api/org-units/demo-branch1/member-contacts"
    ok(sec1.post(url, json={"contact": "m1", "member": "g1"}), 201)
    ok(sec1.post(url, json={"contact": "cm1", "member": "dev1"}), 201)
    kept = ok(sec1.post(url, json={"contact": "cm1", "member": "act1"}), 201)
    ok(sec1.post(url, json={"contact": "cm1", "member": "act1"}), 409)
    assert ok(sec1.post(url, json={"contact": "m5", "member": "g1"}), 422)["details"][0]["field"] == "contact"
    assert ok(sec1.post(url, json={"contact": "cm1", "member": "m11"}), 422)["details"][0]["field"] == "member"
    assert as_user("m2").post(url, json={"contact": "cm1", "member": "m3"}).status_code == 403
    assert as_user("cm1").post(url, json={"contact": "cm1", "member": "m3"}).status_code == 403
    assert as_user("m2").get(url).status_code == 403
    listed = ok(as_user("cm1").get(url))
    assert sorted((i["contact"]["username"], i["member"]["username"]) for i in listed["items"]) == [
        ("cm1", "act1"), ("cm1", "dev1"), ("m1", "g1")]

    # The group leader talks with his group's member and records on time.
    fake_clock.now = local(2026, 10, 12, 9)
    with_g1 = _talk_by(as_user, "m1", "g1", "2026-10-12")
    fake_clock.now = local(2026, 10, 12, 16)
    record(as_user("m1"), with_g1["id"], "2026-10-12")
    shown = talk(sec1, with_g1["id"])
    assert (shown["record_due_on"], shown["record_late"]) == ("2026-10-15", False)

    # The committee member talks with the development target and records a week later: late.
    with_dev = _talk_by(as_user, "cm1", "dev1", "2026-10-13")
    fake_clock.now = local(2026, 10, 20, 10)
    record(as_user("cm1"), with_dev["id"], "2026-10-13",
           problems=[problem("希望调整到离家近的岗位", "dev1", "2026-11-30")])
    shown = talk(sec1, with_dev["id"])
    assert (shown["record_due_on"], shown["record_late"]) == ("2026-10-16", True)

    coverage = ok(sec1.get("/api/talks/coverage?org_unit=demo-branch1&period=2026H2"))
    assert {"g1", "dev1", "act1"} <= {p["username"] for p in coverage["uncovered"]}  # the secretary's own
    contacts = {c["contact"]["username"]: c for c in coverage["contacts"]}
    assert [p["username"] for p in contacts["m1"]["covered"]] == ["g1"] and contacts["m1"]["ratio"] == 1.0
    assert [p["username"] for p in contacts["cm1"]["covered"]] == ["dev1"]
    assert [p["username"] for p in contacts["cm1"]["uncovered"]] == ["act1"] and contacts["cm1"]["ratio"] == 0.5

    # 教育引导: the request cannot be met as asked; the item is closed with its own criteria.
    item = talk(sec1, with_dev["id"])["problems"][0]
    look_back(as_user("cm1"), item["id"], result="not_resolved", note="岗位调整不符合规定，已说明")
    close = f"/api/talks/problems/{item['id']}/close"
    guided = {"request_not_met_explained": True, "educated_and_guided": True, "feelings_eased": True,
              "member_informed": True}
    res = ok(sec1.post(close, json={"criteria": guided, "note": "已解释政策"}), 422)  # the six, by default
    assert "request_met" in str(res["details"])
    res = ok(sec1.post(close, json={"criteria": {**guided, "educated_and_guided": False}, "note": "已解释",
                                    "way": "guided"}), 422)
    assert [d["field"] for d in res["details"]] == ["criteria.educated_and_guided"]
    closed = ok(sec1.post(close, json={"criteria": guided, "note": "已解释政策，本人表示理解", "way": "guided"}))
    assert closed["state"] == "closed" and closed["closed_as"] == "guided"

    # Ending an assignment: the secretary, not the committee member.
    assert as_user("cm1").delete(f"/api/member-contacts/{kept['id']}").status_code == 403
    assert sec1.delete(f"/api/member-contacts/{kept['id']}").status_code == 204
    assert len(ok(sec1.get(url))["items"]) == 2


def test_a_branch_without_a_contact_person_has_its_secretary_answer(as_user, fake_clock):
    """Seed 001 annex 4 §三（二）: "党支部要确定专门联络人员和联系方式接受党员约谈申请，并在3个工作日内
    答复约谈时间和地点" — a branch that has named no contact person does not leave the request
    waiting for no one: its secretary answers it."""
    _add_unit("demo-branch4", "第四党支部", "branch", "demo-pc2")
    hold("sec4", "demo-branch4", "secretary")
    for username in ("sec4", "s1", "s2"):
        hold(username, "demo-branch4", "member")
    fake_clock.now = local(2026, 10, 9, 10)
    requested = request_talk(as_user("s1"))
    sec4 = as_user("sec4")
    offered = [t for t in ok(sec4.get("/api/tasks?scope=claimable&process=talk_request"))["items"]
               if t["element_id"] == "AnswerRequest"]
    assert len(offered) == 1 and offered[0]["role"] == "secretary|deputy_secretary"
    answer(sec4, requested["id"], talker="sec4")
    answered = talk(sec4, requested["id"])
    assert answered["answered_at"] and answered["talker"]["username"] == "sec4" and not answered["answered_late"]

    # A branch with a contact person keeps the request with him.
    requested = request_talk(as_user("m3"))
    assert open_task(as_user("contact1"), requested["id"], "AnswerRequest")
    assert not [t for t in ok(as_user("sec1").get("/api/tasks?scope=claimable&process=talk_request"))["items"]
                if t["element_id"] == "AnswerRequest"]


def test_the_half_year_talk_plan_with_its_monthly_schedule_and_fixed_talk_day(as_user, fake_clock):
    """Seed 001 annex 4 §三（一）: "活动前要结合支部实际制定详细的谈话计划，可按月确定谈心安排表，固定谈心
    工作日" — the branch keeps its plan, each month's talk day falls on a working day, and the
    schedule shows what was held and what was missed."""
    _people()
    sec1, url = as_user("sec1"), "/api/org-units/demo-branch1/talk-plan"
    assert ok(sec1.get(url + "?period=2026H2"))["entries"] == []
    plan = {"period": "2026H2", "talk_day": 1, "note": "每月1日为谈心日",
            "entries": [{"month": "2026-10", "talker": "m1", "member": "g1"},
                        {"month": "2026-10", "talker": "sec1", "member": "dev1"},
                        {"month": "2026-11", "talker": "cm1", "member": "act1"}]}
    bad = {**plan, "talk_day": 31, "entries": [{"month": "2027-01", "talker": "m5", "member": "m11"}]}
    res = ok(sec1.put(url, json=bad), 422)
    assert [d["field"] for d in res["details"]] == ["talk_day", "entries.0.month"]
    res = ok(sec1.put(url, json={**plan, "entries": [{"month": "2026-10", "talker": "m5", "member": "m11"}]}), 422)
    assert [d["field"] for d in res["details"]] == ["entries.0.talker", "entries.0.member"]
    assert as_user("cm1").put(url, json=plan).status_code == 403
    assert as_user("m2").get(url).status_code == 403
    saved = ok(sec1.put(url, json=plan))
    # 1 October is National Day: the October talk day is the first working day after the holidays.
    assert saved["talk_days"]["2026-10"] == "2026-10-08" and saved["talk_days"]["2026-12"] == "2026-12-01"

    fake_clock.now = local(2026, 10, 8, 9)
    talk_id = start_talk(sec1, kind="periodic", member="g1", talker="m1", scheduled_at="2026-10-08T10:00:00+08:00",
                         place="支部活动室", way="face_to_face")["id"]
    fake_clock.now = local(2026, 11, 2, 9)
    record(as_user("m1"), talk_id, "2026-10-08")
    shown = {(e["talker"]["username"], e["member"]["username"]): e["status"]
             for e in ok(as_user("leader1").get(url + "?period=2026H2"))["entries"]}
    assert shown == {("m1", "g1"): "held", ("sec1", "dev1"): "missed", ("cm1", "act1"): "due"}
