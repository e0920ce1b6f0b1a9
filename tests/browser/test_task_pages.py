"""Task pages in the business's terms: the summary the process author declared (x-summary,
with labels and people's names), a returned pledge flagged with its reason on top, help texts,
and a history in names and words."""

from __future__ import annotations

import pytest

from tests.browser.test_ui_everyday import _launch_and_pledge, _ok

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def _task(client, element_id, scope="mine"):
    items = _ok(client.call("GET", f"/api/tasks?scope={scope}&limit=100"))["items"]
    return next(t for t in items if t["element_id"] == element_id)


def test_returned_pledge_is_flagged_and_the_review_names_the_member(page_as, api_as, shot, fake_clock):
    _launch_and_pledge(api_as, ["m1"])
    sec1 = api_as("sec1")
    review = _task(sec1, "ReviewPledge", "claimable")
    page = page_as("sec1", viewport=PHONE)
    page.goto(f"/tasks/{review['id']}")
    page.wait_for_selector(".context dl")
    summary = page.locator(".context").inner_text()
    assert "王伟" in summary and "每月走访两户困难群众" in summary, summary  # whose pledge, what it says
    assert "党员\n王伟" in summary, summary  # the member by name, not username
    for engine_word in ("campaign_id", "member_names", "members", "timetable"):
        assert engine_word not in summary, (engine_word, summary)
    assert page.evaluate("document.documentElement.scrollHeight") < 2000
    history = page.locator(".task-history").inner_text()
    assert "ReviewPledge" not in history and "DraftPledge" not in history, history
    assert "「审核党员承诺」" in history, history
    shot(page, "task-review-pledge-phone-sec1")
    _ok(sec1.call("POST", f"/api/tasks/{review['id']}/complete",
                  {"data": {"decision": "return", "reason": "请写明走访哪两户、何时完成"}}))
    member = page_as("m1", viewport=PHONE)
    draft = _task(api_as("m1"), "DraftPledge")
    member.goto(f"/tasks/{draft['id']}")
    member.wait_for_selector(".flag")
    flag = member.locator(".flag").inner_text()
    assert "退回修改" in flag and "请写明走访哪两户、何时完成" in flag, flag
    # the flag comes before the form
    assert member.evaluate("document.querySelector('.flag').compareDocumentPosition("
                           "document.querySelector('form.task-form')) & Node.DOCUMENT_POSITION_FOLLOWING")
    shot(member, "task-returned-pledge-phone-m1")


def test_the_contact_sees_who_asked_and_the_help_texts(page_as, api_as, shot):
    _ok(api_as("m1").call("POST", "/api/process-instances", {
        "process_key": "talk_request", "org_unit": "demo-branch1",
        "data": {"requested_with": "secretary", "topic": "想谈谈工作上的困惑", "preferred_times": "下周二下午"}}), 201)
    answer = _task(api_as("contact1"), "AnswerRequest", "claimable")
    page = page_as("contact1")
    page.goto(f"/tasks/{answer['id']}")
    page.wait_for_selector(".context dl")
    summary = page.locator(".context").inner_text()
    assert "申请人" in summary and "王伟" in summary and "想谈谈工作上的困惑" in summary, summary
    start = page_as("m1")
    start.goto("/start?process=talk_request")
    start.wait_for_selector("[data-field=requested_person] .help")
    assert "必填" in start.locator("[data-field=requested_person] .help").inner_text()
    shot(page, "task-answer-contact1")
