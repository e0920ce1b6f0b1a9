"""The inbox for approvers: cards that say whose request it is and what it asks, search on
them, the tabs 已处理 (done), 我发起的 (started) and 抄送我 (cc), and 催办 (a reminder to the
holder: by the starter or an overseer, once per four hours, audited)."""

from __future__ import annotations

from datetime import timedelta

from tests.campaign.test_campaign_api import complete, launch, my_task, ok, one_task, set_now, tasks
from tests.talkkit import request_talk

MOBILISED = {"theme": "服务群众当先锋", "carrier": "党员责任区", "meeting_date": "2026-09-28",
             "meeting_place": "党员活动室", "attendance": 12}


def _pledged(as_user, fake_clock, members):
    set_now(fake_clock, "2026-09-28T10:00:00+08:00")
    launch(as_user)
    sec1 = as_user("sec1")
    complete(sec1, one_task(sec1, "Mobilise", scope="claimable"), MOBILISED)
    for username in members:
        client = as_user(username)
        complete(client, my_task(client, "DraftPledge"), {"content": f"每月走访两户困难群众（{username}）",
                                                          "deadline": "2026-11-20"})
    return sec1


def test_review_cards_name_the_member_and_the_pledge_and_search_finds_them(as_user, fake_clock):
    sec1 = _pledged(as_user, fake_clock, ["m1", "m2"])
    reviews = [t for t in tasks(sec1, scope="claimable") if t["element_id"] == "ReviewPledge"]
    assert sorted((t["subject"], t["excerpt"]) for t in reviews) == [
        ("李芳", "每月走访两户困难群众（m2）"), ("王伟", "每月走访两户困难群众（m1）")]
    found = tasks(sec1, scope="claimable", q="王伟")
    assert [t["subject"] for t in found] == ["王伟"]
    assert {t["subject"] for t in tasks(sec1, scope="claimable", q="困难群众")} == {"王伟", "李芳"}


def test_done_started_and_cc(as_user, fake_clock):
    sec1 = _pledged(as_user, fake_clock, ["m1"])
    done = tasks(sec1, scope="done", state="completed")
    assert [t["element_id"] for t in done] == ["Mobilise"]
    m1 = as_user("m1")
    assert [t["element_id"] for t in tasks(m1, scope="done", state="completed")] == ["DraftPledge"]
    request_talk(m1)
    assert [t["element_id"] for t in tasks(m1, scope="started")] == ["AnswerRequest"]
    # 抄送我: the secretary oversees branch 1; the contact's answer is neither his nor offered to him.
    cc = tasks(sec1, scope="cc")
    assert "AnswerRequest" in {t["element_id"] for t in cc}
    assert not {t["id"] for t in cc} & {t["id"] for t in tasks(sec1, scope="claimable")}
    assert not {t["id"] for t in cc} & {t["id"] for t in tasks(sec1, scope="mine")}
    assert tasks(m1, scope="cc") == []  # a member oversees nothing


def test_remind_by_the_starter_once_per_four_hours(as_user, fake_clock):
    set_now(fake_clock, "2026-10-12T09:00:00+08:00")
    m1 = as_user("m1")
    requested = request_talk(m1)
    task = tasks(m1, scope="started")[0]
    sent = ok(m1.post(f"/api/tasks/{task['id']}/remind", json={}))
    assert sent["reminded"] == ["第一党支部联络员"]
    contact1 = as_user("contact1")
    notes = ok(contact1.get("/api/notifications"))["items"]
    assert any(n["title"] == "催办：答复约谈时间和地点" and "王伟" in n["body"] for n in notes), notes
    again = m1.post(f"/api/tasks/{task['id']}/remind", json={})
    assert again.status_code == 409 and again.get_json()["details"][0]["next_at"]
    assert as_user("m2").post(f"/api/tasks/{task['id']}/remind", json={}).status_code == 403
    fake_clock.now += timedelta(hours=4, minutes=1)
    ok(as_user("sec1").post(f"/api/tasks/{task['id']}/remind", json={}))  # an overseer of the unit
    history = ok(m1.get(f"/api/process-instances/{requested['instance_id']}"))["history"]
    assert [h["actor_name"] for h in history if h["action"] == "task.reminded"] == ["王伟", "第一党支部书记"]
