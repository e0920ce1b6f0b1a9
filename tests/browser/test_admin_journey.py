"""The organisation department's journey on a phone in English: launch a campaign (a double
click launches one), follow it, drill down to a branch and a member (a returned pledge shown as
returned, with its reason), export what is shown."""

from __future__ import annotations

import pytest

from tests.browser.test_ui_everyday import TIMETABLE, _no_sideways_scroll, _ok

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def test_launch_drill_down_and_export_on_a_phone_in_english(page_as, api_as, shot, fake_clock):
    page = page_as("admin", viewport=PHONE, locale="en")
    page.goto("/lang/en")
    page.goto("/dashboard")
    page.wait_for_selector("#dash-status .empty")
    page.locator("#launch-box summary").click()
    page.fill("#f-title", "2026 vanguard campaign")
    page.fill("#f-theme", "科学发展，争做先锋")
    page.fill("#f-carrier", "亮身份、作承诺")
    for stage, day in TIMETABLE.items():
        page.fill(f"#f-timetable-{stage}", day)
    page.get_by_role("button", name="Launch", exact=True).dblclick()
    dialog = page.locator("#launch-confirm")
    dialog.wait_for(state="visible")
    dialog.get_by_role("button", name="Launch now").dblclick()
    page.wait_for_selector("#launch-text:has-text('Launched')")
    assert len(_ok(api_as("admin").call("GET", "/api/process-instances?process=vanguard_campaign"))["items"]) == 1
    page.locator("#dash-table tbody tr").nth(5).wait_for()
    _no_sideways_scroll(page, "the dashboard")
    assert "Mobilise" in page.locator("#dash-table").inner_text()  # the stage in English
    shot(page, "journey-dashboard-admin-375-en")

    # Branch 1 mobilises; m1 pledges and the secretary returns it with a reason.
    sec1 = api_as("sec1")
    tasks = _ok(sec1.call("GET", "/api/tasks?scope=claimable&limit=100"))["items"]
    mobilise = next(t for t in tasks if t["element_id"] == "Mobilise")
    _ok(sec1.call("POST", f"/api/tasks/{mobilise['id']}/complete", {"data": {
        "theme": "服务群众当先锋", "carrier": "党员责任区", "meeting_date": "2026-09-28",
        "meeting_place": "党员活动室", "attendance": 12}}))
    m1 = api_as("m1")
    draft = next(t for t in _ok(m1.call("GET", "/api/tasks?scope=mine"))["items"] if t["element_id"] == "DraftPledge")
    _ok(m1.call("POST", f"/api/tasks/{draft['id']}/complete", {"data": {"content": "每月走访两户困难群众",
                                                                       "deadline": "2026-11-20"}}))
    review = next(t for t in _ok(sec1.call("GET", "/api/tasks?scope=claimable&limit=100"))["items"]
                  if t["element_id"] == "ReviewPledge")
    _ok(sec1.call("POST", f"/api/tasks/{review['id']}/complete", {"data": {"decision": "return",
                                                                         "reason": "请写明走访对象"}}))

    page.get_by_role("link", name="Open 第一党委").click()
    page.wait_for_function("document.querySelectorAll('#dash-table tbody tr').length === 3")
    page.get_by_role("link", name="Open 第一党支部").click()
    page.wait_for_selector("#dash-branch:not([hidden])")
    page.locator("#dash-branch [data-member=m1]").click()
    page.wait_for_selector("#member-detail .returned")
    detail = page.locator("#member-detail").inner_text()
    assert "Returned for revision" in detail and "请写明走访对象" in detail and "working day" in detail, detail
    assert "Write your public pledge" in detail, detail  # the open task's English name
    _no_sideways_scroll(page, "the branch on the dashboard")
    shot(page, "journey-dashboard-branch-admin-375-en")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export to Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
