"""The campaign as its people walk it in the browser, at 1366 px in Chinese and 375 px in
English: the secretary mobilises through the form, the member pledges, the secretary approves
in bulk, the member reports fulfilment and the secretary rates it."""

from __future__ import annotations

import time

import pytest

from tests.browser.test_ui_everyday import TIMETABLE, _no_sideways_scroll, _ok

pytestmark = pytest.mark.browser

WORDS = {
    "zh": {"claimable": "可认领", "submit": "提交", "approve": "批量通过", "all": "全选", "submitted": "已提交"},
    "en": {"claimable": "Claimable", "submit": "Submit", "approve": "Approve selected", "all": "Select all",
           "submitted": "Submitted"},
}


def _launch(api_as):
    admin = api_as("admin")
    body = _ok(admin.call("POST", "/api/campaigns", {"org_unit": "demo-district", "title": "2026年先锋活动",
                                                      "theme": "科学发展，争做先锋", "carrier": "亮身份、作承诺",
                                                      "timetable": TIMETABLE}), 202)
    deadline = time.monotonic() + 120
    while _ok(admin.call("GET", body["launch"]["url"]))["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def _open(page, element_id, api_as, username, scope="mine"):
    task = next(t for t in _ok(api_as(username).call("GET", f"/api/tasks?scope={scope}&limit=100"))["items"]
                if t["element_id"] == element_id)
    page.goto(f"/tasks/{task['id']}")
    page.wait_for_selector("form.task-form [data-type]")
    return task


def _submit(page, words):
    button = page.locator("form.task-form button[type=submit]")
    assert button.inner_text() == words["submit"]
    # Clicked as a user taps it, right after a full-page screenshot: conftest.shot leaves the page
    # as it found it (the screenshot's viewport change once made this click land on the form).
    button.click()
    page.wait_for_url("**/?submitted=*")
    page.wait_for_selector(f"#inbox-status.ok:has-text('{words['submitted']}')")


WIDE, PHONE = {"width": 1366, "height": 900}, {"width": 375, "height": 740}


@pytest.mark.parametrize(("viewport", "lang"), [(WIDE, "zh"), (PHONE, "en"), (PHONE, "zh"), (WIDE, "en")],
                         ids=["1366-zh", "375-en", "375-zh", "1366-en"])
def test_mobilise_pledge_approve_report_and_rate(page_as, api_as, shot, fake_clock, viewport, lang):
    words = WORDS[lang]
    _launch(api_as)
    sec = page_as("sec1", viewport=viewport)
    member = page_as("m1", viewport=viewport)
    if lang == "en":
        sec.goto("/lang/en")
        member.goto("/lang/en")
    width = viewport["width"]

    _open(sec, "Mobilise", api_as, "sec1", "claimable")
    sec.fill("#f-theme", "服务群众当先锋")
    sec.fill("#f-carrier", "党员责任区")
    sec.fill("#f-meeting_date", "2026-09-28")
    sec.fill("#f-meeting_place", "党员活动室")
    sec.fill("#f-attendance", "12")
    shot(sec, f"journey-mobilise-sec1-{width}-{lang}")
    _submit(sec, words)

    _open(member, "DraftPledge", api_as, "m1")
    assert "服务群众当先锋" in member.locator(".context").inner_text()  # the branch's theme above the form
    member.fill("#f-content", "每月走访两户困难群众")
    member.fill("#f-deadline", "2026-11-20")
    _submit(member, words)

    sec.goto("/?scope=claimable")
    sec.locator(".task-row", has_text="王伟").wait_for()
    assert "每月走访两户困难群众" in sec.locator(".task-row", has_text="王伟").inner_text()
    sec.locator(".task-row", has_text="王伟").locator(".pick").check()
    sec.get_by_role("button", name=words["approve"]).click()
    sec.wait_for_selector("#bulk-result .banner.ok")

    _open(member, "ReportFulfilment", api_as, "m1")
    assert "每月走访两户困难群众" in member.locator(".context").inner_text()
    member.fill("#f-report", "已走访困难群众八户，协助解决就医和子女入学问题")
    member.fill("#f-completed_on", "2026-09-28")
    if width < 720:
        _no_sideways_scroll(member, "the fulfilment report")
    shot(member, f"journey-fulfilment-m1-{width}-{lang}")
    _submit(member, words)

    _open(sec, "RateFulfilment", api_as, "sec1", "claimable")
    summary = sec.locator(".context").inner_text()
    assert "王伟" in summary and "已走访困难群众八户" in summary, summary
    sec.locator("#f-rating").select_option("excellent")
    shot(sec, f"journey-rate-sec1-{width}-{lang}")
    _submit(sec, words)
    pledges = _ok(api_as("sec1").call("GET", "/api/org-units/demo-branch1/board"))["pledges"]
    assert [p["member"] for p in pledges] == ["m1"] and pledges[0]["fulfilment"]["rating"] == "excellent", pledges
