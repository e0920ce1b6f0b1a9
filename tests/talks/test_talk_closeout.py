"""Problem list, look back (回头看) and close-out (销号) through the HTTP API: the loop ends only
when every item is closed, and an item past its deadline is overdue."""

from __future__ import annotations

from tests.talkkit import (
    ALL_CRITERIA,
    close_item,
    local,
    look_back,
    ok,
    open_task,
    problem,
    record,
    start_talk,
    talk,
)


def test_close_out_refused_while_an_item_is_open(fake_clock, as_user):
    fake_clock.now = local(2026, 10, 14, 9)
    sec1 = as_user("sec1")
    started = start_talk(sec1, kind="periodic", member="m4", talker="sec1",
                         scheduled_at="2026-10-15T10:00:00+08:00", place="支部活动室", way="face_to_face")
    assert started["state"] == "scheduled"
    assert [t["element_id"] for t in started["open_tasks"]] == ["RecordTalk"]
    fake_clock.now = local(2026, 10, 15, 11)
    record(sec1, started["id"], "2026-10-15", problems=[
        problem("学习教育参加不够经常", "m4", "2026-10-31", "每月参加支部集中学习并交心得"),
        problem("对岗位调整有顾虑", "sec1", "2026-11-15", "书记与单位沟通岗位安排"),
    ])
    recorded = talk(sec1, started["id"])
    assert recorded["state"] == "following_up"
    first, second = recorded["problems"]
    assert (first["seq"], first["owner"]["username"], first["deadline"], first["state"]) == (
        1, "m4", "2026-10-31", "open")
    assert second["measure"] == "书记与单位沟通岗位安排" and second["overdue"] is False
    close_out = open_task(sec1, started["id"], "CloseOut")

    # The loop cannot end while an item is open: through the talk route and the inbox alike.
    res = sec1.post(f"/api/talks/{started['id']}/close-out", json={"summary": "已全部整改"})
    assert res.status_code == 409
    body = res.get_json()
    assert "2 problem item(s) are not closed out" in body["message"]
    assert {d["problem_id"] for d in body["details"]} == {first["id"], second["id"]}
    res = sec1.post(f"/api/tasks/{close_out['id']}/complete", json={"data": {"summary": "已全部整改"}})
    assert res.status_code == 409
    assert talk(sec1, started["id"])["state"] == "following_up"

    # Close-out of an item needs a look back first, the secretary, every criterion and a note.
    res = sec1.post(f"/api/talks/problems/{first['id']}/close", json={"criteria": ALL_CRITERIA, "note": "已解决"})
    assert res.status_code == 409 and "回头看" in res.get_json()["message"]
    assert as_user("m5").post(f"/api/talks/problems/{first['id']}/follow-ups",
                              json={"result": "resolved", "note": "看过了"}).status_code == 403
    res = sec1.post(f"/api/talks/problems/{first['id']}/follow-ups", json={"result": "maybe", "note": ""})
    assert res.status_code == 422 and {d["field"] for d in res.get_json()["details"]} == {"result", "note"}
    fake_clock.now = local(2026, 10, 30, 15)
    after = look_back(sec1, first["id"], "resolved", "已连续参加两次集中学习")
    assert after["follow_ups"][0]["result"] == "resolved" and after["follow_ups"][0]["by"]["username"] == "sec1"
    partial = {**ALL_CRITERIA, "affection_deepened": False}
    del partial["member_satisfied"]
    res = sec1.post(f"/api/talks/problems/{first['id']}/close", json={"criteria": partial, "note": ""})
    assert res.status_code == 422
    body = res.get_json()
    assert {d["field"] for d in body["details"]} == {"criteria.affection_deepened", "criteria.member_satisfied",
                                                     "note"}
    assert "情意得到增进" in body["message"] and "党员满意" in body["message"]
    assert as_user("contact1").post(f"/api/talks/problems/{first['id']}/close",
                                    json={"criteria": ALL_CRITERIA, "note": "已解决"}).status_code == 403
    closed = close_item(sec1, first["id"], "问题已解决，党员满意")
    assert closed["state"] == "closed" and closed["close_note"] == "问题已解决，党员满意"
    assert closed["close_criteria"] == ALL_CRITERIA
    assert sec1.post(f"/api/talks/problems/{first['id']}/close",
                     json={"criteria": ALL_CRITERIA, "note": "再次"}).status_code == 409

    res = sec1.post(f"/api/talks/{started['id']}/close-out", json={"summary": "已全部整改"})
    assert res.status_code == 409 and "1 problem item(s)" in res.get_json()["message"]

    # Past its deadline an open item is overdue.
    fake_clock.now = local(2026, 11, 16, 9)
    overdue = ok(sec1.get("/api/talks/problems?org_unit=demo-branch1&overdue=true"))
    assert [p["id"] for p in overdue["items"]] == [second["id"]] and overdue["items"][0]["overdue"] is True
    assert ok(sec1.get("/api/talks/problems?org_unit=demo-branch1&state=closed"))["total"] == 1
    assert ok(sec1.get("/api/talks/problems?org_unit=demo-branch1&overdue=false"))["total"] == 1
    assert as_user("m4").get("/api/talks/problems?org_unit=demo-branch1").status_code == 403
    assert [p["overdue"] for p in talk(sec1, started["id"])["problems"]] == [False, True]

    look_back(sec1, second["id"], "resolved", "已调整到合适岗位，本人认可")
    close_item(sec1, second["id"])
    res = sec1.post(f"/api/talks/{started['id']}/close-out", json={"summary": "两项问题均已销号"})
    assert res.status_code == 200 and res.get_json()["instance"]["state"] == "completed"
    done = talk(sec1, started["id"])
    assert done["state"] == "closed" and done["close_note"] == "两项问题均已销号" and done["open_tasks"] == []
    assert sec1.post(f"/api/talks/{started['id']}/close-out", json={"summary": "again"}).status_code == 409


def test_record_rules(fake_clock, as_user):
    fake_clock.now = local(2026, 10, 14, 9)
    sec1 = as_user("sec1")
    started = start_talk(sec1, kind="topical", member="m6", talker="sec1",
                         scheduled_at="2026-10-14T10:00:00+08:00", place="会议室", note="组织生活会前谈心")
    task = open_task(sec1, started["id"], "RecordTalk")
    base = {"held_on": "2026-10-14", "way": "face_to_face", "main_content": "组织生活会前交换意见"}
    cases = [
        ({**base, "held_on": "2026-10-20", "problems": []}, "held_on"),
        ({**base, "problems": [problem("问题", "nobody", "2026-11-01")]}, "problems.0.owner"),
        ({**base, "problems": [problem("问题", "m6", "2026-10-01")]}, "problems.0.deadline"),
        ({**base, "problems": [{"description": "只有问题"}]}, "problems.0.measure"),
    ]
    for data, field in cases:
        res = sec1.post(f"/api/tasks/{task['id']}/complete", json={"data": data})
        assert res.status_code == 422, data
        assert field in {d["field"] for d in res.get_json()["details"]}, res.get_json()
    assert talk(sec1, started["id"])["problems"] == []
    # Only the talker records; another member is not even told who holds the task.
    assert as_user("m6").post(f"/api/tasks/{task['id']}/complete",
                              json={"data": {**base, "problems": []}}).status_code == 403
