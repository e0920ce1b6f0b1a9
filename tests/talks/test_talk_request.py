"""Requested talks (双向约谈) through the HTTP API: the contact answers within 3 Chinese working days.

National Day 2026: 1–7 October off, Saturday 10 October a make-up workday (调休上班). A request
made on Wednesday 30 September is due at the end of 10 October: 8 Oct (1), 9 Oct (2), 10 Oct (3).
"""

from __future__ import annotations

from tests.talkkit import answer, complete, fire_timers, local, ok, open_task, record, request_talk, talk


def element_ids(client, talk_id):
    return sorted(t["element_id"] for t in talk(client, talk_id)["open_tasks"])


def test_request_answered_on_the_third_working_day_across_national_day(fake_clock, as_user):
    fake_clock.now = local(2026, 9, 30, 10)
    m1 = as_user("m1")
    requested = request_talk(m1)
    assert requested["kind"] == "request" and requested["state"] == "requested"
    assert requested["subject"]["username"] == "m1" and requested["requested_with"] == "secretary"
    assert requested["answer_due_at"] == "2026-10-10T15:59:59+00:00"  # 23:59:59 Beijing, the make-up Saturday

    contact1 = as_user("contact1")
    offered = contact1.get("/api/tasks?scope=claimable&process=talk_request").get_json()["items"]
    assert [t["element_id"] for t in offered] == ["AnswerRequest"]
    assert offered[0]["due_at"] == "2026-10-10T15:59:59+00:00"
    assert as_user("contact2").get("/api/tasks?scope=claimable&process=talk_request").get_json()["total"] == 0
    assert as_user("m2").get("/api/tasks?scope=claimable&process=talk_request").get_json()["total"] == 0

    # The last day of the holiday and the first two working days after it: no escalation.
    for moment in (local(2026, 10, 7, 22), local(2026, 10, 9, 23, 30)):
        fake_clock.now = moment
        fire_timers()
        assert element_ids(m1, requested["id"]) == ["AnswerRequest"]
        assert contact1.get("/api/tasks?scope=claimable&overdue=true").get_json()["total"] == 0

    # Saturday 10 October is a working day: answering then is on time.
    fake_clock.now = local(2026, 10, 10, 16)
    fire_timers()
    answer(contact1, requested["id"], when="2026-10-12T15:00:00+08:00")
    answered = talk(m1, requested["id"])
    assert answered["state"] == "scheduled" and answered["answered_late"] is False and answered["breach"] is None
    assert answered["talker"]["username"] == "sec1" and answered["place"] == "支部活动室"
    assert answered["scheduled_at"] == "2026-10-12T07:00:00+00:00"

    # After the deadline nothing fires any more: the answer cancelled the timer.
    fake_clock.now = local(2026, 10, 13, 9)
    fire_timers()
    assert element_ids(m1, requested["id"]) == ["RecordTalk"]
    assert as_user("sec1").get("/api/tasks?scope=claimable&process=talk_request").get_json()["total"] == 0
    assert talk(m1, requested["id"])["breach"] is None

    record(as_user("sec1"), requested["id"], "2026-10-12")
    done = talk(m1, requested["id"])
    assert done["state"] == "closed" and done["held_on"] == "2026-10-12" and done["problems"] == []
    instance = ok(m1.get(f"/api/process-instances/{requested['instance_id']}"))
    assert instance["state"] == "completed"


def test_missed_answer_escalates_to_the_secretary_and_can_still_be_given(fake_clock, as_user):
    fake_clock.now = local(2026, 9, 30, 10)
    m2 = as_user("m2")
    requested = request_talk(m2, requested_with="member", requested_person="m3", topic="与m3之间的工作分歧")
    assert requested["requested_person"]["username"] == "m3"

    fake_clock.now = local(2026, 10, 10, 23, 59)
    fire_timers()
    assert element_ids(m2, requested["id"]) == ["AnswerRequest"]

    fake_clock.now = local(2026, 10, 11, 0, 30)  # Sunday: the 3 working days are over
    fire_timers()
    assert element_ids(m2, requested["id"]) == ["AnswerRequest", "EscalateAnswer"]
    sec1 = as_user("sec1")
    escalations = sec1.get("/api/tasks?scope=claimable&process=talk_request").get_json()["items"]
    assert [t["element_id"] for t in escalations] == ["EscalateAnswer"]
    assert as_user("sec2").get("/api/tasks?scope=claimable&process=talk_request").get_json()["total"] == 0
    breach = talk(m2, requested["id"])["breach"]
    assert breach["due_at"] == "2026-10-10T15:59:59+00:00" and breach["escalated_at"] is not None
    assert breach["answered_at"] is None
    overdue = as_user("contact1").get("/api/tasks?scope=claimable&overdue=true").get_json()
    assert [t["element_id"] for t in overdue["items"]] == ["AnswerRequest"]
    # A second pass fires nothing new.
    fire_timers()
    assert element_ids(m2, requested["id"]) == ["AnswerRequest", "EscalateAnswer"]

    # The contact can still answer; the member asked for m3, so m3 must be the talker.
    fake_clock.now = local(2026, 10, 12, 9)
    contact1 = as_user("contact1")
    task = open_task(contact1, requested["id"], "AnswerRequest")
    res = contact1.post(f"/api/tasks/{task['id']}/complete", json={"data": {
        "scheduled_at": "2026-10-13T10:00:00+08:00", "place": "会议室", "talker": "sec1"}})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "talker"
    answer(contact1, requested["id"], talker="m3", when="2026-10-13T10:00:00+08:00")
    answered = talk(m2, requested["id"])
    assert answered["answered_late"] is True
    assert answered["breach"]["answered_at"] == local(2026, 10, 12, 9).isoformat()

    complete(sec1, open_task(sec1, requested["id"], "EscalateAnswer")["id"], {"action": "已督促联络员当日答复"})
    handled = talk(m2, requested["id"])["breach"]
    assert handled["handled_at"] is not None and handled["note"] == "已督促联络员当日答复"

    m3 = as_user("m3")
    assert [t["element_id"] for t in m3.get("/api/tasks?scope=mine").get_json()["items"]] == ["RecordTalk"]
    fake_clock.now = local(2026, 10, 13, 11)
    record(m3, requested["id"], "2026-10-13")
    assert talk(m2, requested["id"])["state"] == "closed"


def test_request_form_and_rules(fake_clock, as_user):
    fake_clock.now = local(2026, 9, 30, 10)
    m1 = as_user("m1")
    res = m1.post("/api/talks/requests", json={"requested_with": "member", "topic": "x"})
    assert res.status_code == 422
    fields = {d["field"] for d in res.get_json()["details"]}
    assert {"preferred_times", "requested_person", "topic"} <= fields
    res = m1.post("/api/talks/requests", json={"requested_with": "member", "requested_person": "m1",
                                               "topic": "想谈谈", "preferred_times": "周五"})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "requested_person"
    res = m1.post("/api/talks/requests", json={"requested_with": "committee_member", "requested_person": "m2",
                                               "topic": "想谈谈", "preferred_times": "周五"})
    assert res.status_code == 422  # m2 is not on the committee
    res = m1.post("/api/talks/requests", json={"requested_with": "secretary", "requested_person": "m2",
                                               "topic": "想谈谈", "preferred_times": "周五"})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "requested_person"
    # Asking in a branch where one is not a member is refused.
    res = m1.post("/api/talks/requests", json={"org_unit": "demo-branch2", "requested_with": "secretary",
                                               "topic": "想谈谈", "preferred_times": "周五"})
    assert res.status_code == 403
    # The generic start runs the same checks, and a caller cannot set server-side keys.
    res = m1.post("/api/process-instances", json={"process_key": "talk_request", "org_unit": "demo-branch1",
                                                  "data": {"requested_with": "nobody"}})
    assert res.status_code == 422
    res = m1.post("/api/process-instances", json={
        "process_key": "talk_request", "org_unit": "demo-branch1",
        "data": {"requested_with": "secretary", "topic": "想谈谈", "preferred_times": "周五"}})
    assert res.status_code == 201
    talks = m1.get("/api/talks?org_unit=demo-branch1").get_json()
    assert talks["total"] == 1 and talks["items"][0]["subject"]["username"] == "m1"
    assert m1.get("/api/talks/vocabulary").get_json()["triggers"]["appraisal"].startswith("民主评议")
