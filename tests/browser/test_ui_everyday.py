"""The everyday UI end to end: inbox filters, claim and give back, bulk approval of pledges,
the public board, the stage dashboard (launch with progress bar, drill-down, xlsx export),
the instance page with comments, the calendar, language switch and phone width."""

from __future__ import annotations

import time
from io import BytesIO

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
REPORT = {"activity": "为孤寡老人打扫卫生", "activity_date": "2026-09-20", "hours": 2}
TIMETABLE = {"mobilise": "2026-10-09", "pledge": "2026-10-16", "fulfil": "2026-11-30", "review": "2026-12-10",
             "appraisal": "2026-12-20", "commendation": "2026-12-31"}


def _ok(result, status=200):
    code, body = result
    assert code == status, (code, body)
    return body


def _submit_report(api_as, username):
    client = api_as(username)
    _ok(client.call("POST", "/api/process-instances",
                    {"process_key": "activity_report", "org_unit": "demo-branch1"}), 201)
    task = _ok(client.call("GET", "/api/tasks?scope=mine&process=activity_report"))["items"][0]
    _ok(client.call("POST", f"/api/tasks/{task['id']}/complete", {"data": REPORT}))


def _launch_and_pledge(api_as, members):
    """A campaign over the demo district; branch 1 mobilised; the given members pledge."""
    admin = api_as("admin")
    body = _ok(admin.call("POST", "/api/campaigns", {"org_unit": "demo-district", "title": "2026年先锋活动",
                                                      "theme": "科学发展，争做先锋", "carrier": "亮身份、作承诺",
                                                      "timetable": TIMETABLE}), 202)
    deadline = time.monotonic() + 120
    while _ok(admin.call("GET", body["launch"]["url"]))["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    sec1 = api_as("sec1")
    mobilise = [t for t in _ok(sec1.call("GET", "/api/tasks?scope=claimable&limit=100"))["items"]
                if t["element_id"] == "Mobilise"][0]
    _ok(sec1.call("POST", f"/api/tasks/{mobilise['id']}/complete", {"data": {
        "theme": "服务群众当先锋", "carrier": "党员责任区", "meeting_date": "2026-09-28",
        "meeting_place": "党员活动室", "attendance": 12}}))
    for username in members:
        client = api_as(username)
        draft = [t for t in _ok(client.call("GET", "/api/tasks?scope=mine"))["items"]
                 if t["element_id"] == "DraftPledge"][0]
        _ok(client.call("POST", f"/api/tasks/{draft['id']}/complete", {"data": {
            "content": f"{username}：每月走访两户困难群众", "deadline": "2026-11-20"}}))
    return body["campaign"]["id"]


def _no_sideways_scroll(page, what):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{what} scrolls sideways at 375 px ({width} px wide)"


def test_inbox_filters_claim_and_give_back(page_as, api_as, shot):
    for username in ("m1", "m2"):
        _submit_report(api_as, username)
    page = page_as("sec1")
    page.get_by_role("tab", name="可认领").click()
    rows = page.locator(".task-row", has_text="审核活动报告")
    rows.nth(1).wait_for()
    assert page.locator("#count-claimable").inner_text() == "2"
    assert page.locator(".task-row .due").first.inner_text().startswith("截止")

    # Filters: search, overdue only, process; each control is labelled.
    page.get_by_label("搜索").fill("没有这样的任务")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_selector("#empty:not([hidden])")
    page.get_by_label("搜索").fill("")
    page.get_by_label("仅看逾期").check()
    page.wait_for_function("location.search.includes('overdue=true') && !location.search.includes('q=')")
    page.wait_for_selector("#empty:not([hidden])")
    page.get_by_label("仅看逾期").uncheck()
    page.get_by_label("流程").select_option("activity_report")
    rows.nth(1).wait_for()
    assert page.locator(".task-row").count() == 2
    shot(page, "ui-inbox-filters-sec1")

    # Claim one, find it under mine, give it back.
    rows.first.get_by_role("button", name="认领").click()
    page.wait_for_function("document.getElementById('count-mine').textContent === '1'")
    page.get_by_role("tab", name="待处理").click()
    page.wait_for_function("location.search.includes('scope=mine')")
    mine = page.locator(".task-row", has_text="审核活动报告")
    mine.wait_for()
    assert mine.get_by_role("button", name="转交", exact=True).is_visible()
    mine.get_by_role("button", name="退回认领").click()
    page.wait_for_function("document.getElementById('count-claimable').textContent === '2'")


def test_bulk_approval_of_pledges_and_the_public_board(page_as, api_as, shot, fake_clock):
    members = ["m1", "m2", "m3", "m4", "m5", "m6"]
    _launch_and_pledge(api_as, members)
    page = page_as("sec1")
    page.get_by_role("tab", name="可认领").click()
    page.get_by_label("流程").select_option("vanguard_campaign_branch")
    page.wait_for_function("location.search.includes('process=vanguard_campaign_branch')")
    reviews = page.locator(".task-row", has_text="审核")
    reviews.nth(len(members) - 1).wait_for()
    assert page.locator("#bulk").is_visible()

    # A return without a reason is stopped before it is sent.
    reviews.first.locator(".pick").check()
    page.get_by_role("button", name="批量退回").click()
    assert "退回须填写理由" in page.locator("#inbox-status").inner_text()
    # That one is returned with its own reason; the other five are approved at once.
    reviews.first.locator(".own-reason input").fill("请写明走访的具体对象")
    page.get_by_role("button", name="批量退回").click()
    page.wait_for_selector("#bulk-result .banner.ok")
    assert "完成 1 项，失败 0 项" in page.locator("#bulk-result").inner_text()
    # The list is read again after the return: wait for the returned row to leave it.
    expect(page.locator(".task-row", has_text="审核")).to_have_count(len(members) - 1)
    page.get_by_label("全选").check()
    assert page.locator("#bulk-count").inner_text() == f"已选 {len(members) - 1} 项"
    shot(page, "ui-bulk-selected-sec1")
    page.get_by_role("button", name="批量通过").click()
    page.wait_for_selector("#empty:not([hidden])")
    assert page.locator("#bulk-result").is_visible()
    assert f"完成 {len(members) - 1} 项，失败 0 项" in page.locator("#bulk-result").inner_text()
    shot(page, "ui-bulk-done-sec1")

    returned = [t for t in _ok(api_as("m1").call("GET", "/api/tasks?scope=mine"))["items"]
                if t["element_id"] == "DraftPledge"]
    assert len(returned) == 1  # m1's pledge was the first row: returned to m1

    # The branch's board shows the five approved pledges, on a phone and on a wall screen.
    board = page_as("rep1", viewport=PHONE)
    board.goto("/board/demo-branch1")
    board.locator(".pledges li").nth(len(members) - 2).wait_for()
    text = board.locator("#board-body").inner_text()
    assert "服务群众当先锋" in text and "m2：每月走访两户困难群众" in text and "m1：" not in text
    _no_sideways_scroll(board, "the board")
    shot(board, "ui-board-phone-rep1")
    wall = page_as("rep1", viewport={"width": 1920, "height": 1080})
    wall.goto("/board/demo-branch1?wall=1")
    wall.locator(".pledges li").first.wait_for()
    assert not wall.locator("header.top").is_visible()
    shot(wall, "ui-board-wall-rep1", full_page=False)


def test_dashboard_launch_drill_down_and_export(page_as, api_as, shot, fake_clock):
    from openpyxl import load_workbook

    page = page_as("admin")
    page.goto("/dashboard")
    page.wait_for_selector("#dash-status .empty")  # no campaign yet
    page.locator("#launch-box summary").click()
    page.get_by_label("活动名称").fill("2026年先锋活动")
    page.get_by_label("活动主题").fill("科学发展，争做先锋")
    page.get_by_label("实践载体").fill("亮身份、作承诺")
    for stage, day in TIMETABLE.items():
        page.fill(f"#f-timetable-{stage}", day)
    # A double click asks once, states the scope, and launches one campaign with an Idempotency-Key.
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and r.url.endswith("/api/campaigns") else None)
    page.get_by_role("button", name="部署", exact=True).dblclick()
    dialog = page.locator("#launch-confirm")
    dialog.wait_for(state="visible")
    assert "示范区委" in dialog.inner_text() and "2026年先锋活动" in dialog.inner_text()
    shot(page, "ui-dashboard-launch-confirm-admin")
    dialog.get_by_role("button", name="确认部署").dblclick()
    page.wait_for_function("document.getElementById('launch-bar').value === 100")
    assert len(posts) == 1 and posts[0].headers.get("idempotency-key")
    assert len(_ok(api_as("admin").call("GET", "/api/process-instances?process=vanguard_campaign"))["items"]) == 1
    page.wait_for_selector("#launch-text:has-text('部署完成')")
    page.locator("#dash-table tbody tr").nth(5).wait_for()
    names = page.locator("#dash-table tbody th").all_inner_texts()
    assert names == ["示范区委", "第一党委", "第一党支部", "第二党支部", "第二党委", "第三党支部"]
    page.wait_for_selector("#chart-counts svg")
    shot(page, "ui-dashboard-admin")

    # Export what is shown.
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    sheet = load_workbook(BytesIO(download.value.path().read_bytes())).active
    assert [row[0].value for row in sheet.iter_rows(min_row=3)] == names

    # Branch 1 mobilises: its members get their pledge tasks.
    sec1 = api_as("sec1")
    mobilise = [t for t in _ok(sec1.call("GET", "/api/tasks?scope=claimable&limit=100"))["items"]
                if t["element_id"] == "Mobilise"][0]
    _ok(sec1.call("POST", f"/api/tasks/{mobilise['id']}/complete", {"data": {
        "theme": "服务群众当先锋", "carrier": "党员责任区", "meeting_date": "2026-09-28",
        "meeting_place": "党员活动室", "attendance": 12}}))

    # Drill down: a party committee, then a branch and one of its members.
    page.get_by_role("link", name="查看 第一党委").click()
    page.wait_for_function("document.querySelectorAll('#dash-table tbody tr').length === 3")
    assert "unit=demo-pc1" in page.url
    page.get_by_role("link", name="查看 第一党支部").click()
    page.wait_for_function("document.querySelectorAll('#dash-table tbody tr').length === 1")
    page.wait_for_selector("#dash-branch:not([hidden])")
    assert "党员情况" in page.locator("#dash-branch").inner_text()
    page.locator("#dash-branch [data-member=m1]").click()
    page.wait_for_selector("#member-detail h3")
    detail = page.locator("#member-detail").inner_text()
    assert "尚未承诺" in detail and "待办" in detail and "null" not in detail, detail
    with page.expect_download() as branch_download:
        page.get_by_role("link", name="导出 Excel").click()
    assert branch_download.value.suggested_filename == "第一党支部-进度.xlsx"
    shot(page, "ui-dashboard-branch-admin")
    page.go_back()
    page.wait_for_function("document.querySelectorAll('#dash-table tbody tr').length === 3")


def test_start_instance_comments_and_phone(page_as, shot):
    page = page_as("m1", viewport=PHONE)
    page.get_by_role("link", name="发起", exact=True).click()
    page.get_by_label("流程").select_option("activity_report")
    page.get_by_role("button", name="发起", exact=True).click()
    page.wait_for_selector("form.task-form #f-activity")  # straight to the first task's form
    # Validation errors inline; what was typed stays.
    page.fill("#f-activity", "x")
    page.click("form.task-form button[type=submit]")
    page.wait_for_selector("[data-field=activity] .field-error:has-text('至少 2 个字')")
    assert page.input_value("#f-activity") == "x"
    _no_sideways_scroll(page, "the task page")
    page.get_by_role("link", name="查看流程实例与评论").click()
    page.wait_for_selector(".stages li.current")
    page.get_by_label("发表评论").fill("活动照片稍后补交")
    page.get_by_role("button", name="发表评论").click()
    page.wait_for_selector(".comment:has-text('活动照片稍后补交')")
    page.wait_for_selector(".history li:has-text('发表评论')")  # the audited comment in the history
    _no_sideways_scroll(page, "the instance page")
    shot(page, "ui-instance-phone-m1")


def test_calendar_override_with_the_keyboard(page_as, shot):
    page = page_as("admin")
    page.goto("/calendar?year=2026")
    page.wait_for_selector("[data-day='2026-10-01'].holiday")
    assert "国庆" in (page.locator("[data-day='2026-10-01']").get_attribute("aria-label") or "")
    page.locator("[data-day='2026-10-12']").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_selector("#cal-day:has-text('2026-10-13')")
    page.get_by_role("radio", name="休息日").check()
    page.get_by_label("备注").fill("区委统一调休")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("[data-day='2026-10-13'].overridden")
    assert "区委统一调休" in page.locator("#cal-list").inner_text()
    shot(page, "ui-calendar-admin")
    page.get_by_role("button", name="撤销调整").click()
    page.wait_for_selector("#cal-msg:has-text('已撤销')")
    assert page.locator("[data-day='2026-10-13'].overridden").count() == 0


def test_language_switch_is_remembered_on_the_new_pages(page_as):
    page = page_as("sec1")
    page.get_by_role("link", name="English").click()
    page.wait_for_selector("html[lang=en]")
    page.goto("/dashboard")
    assert page.get_by_role("heading", name="Stage dashboard").is_visible()
    again = page_as("sec1")  # a fresh browser: the choice is the user's, not the cookie's
    again.goto("/board")
    assert again.locator("html").get_attribute("lang") == "en"
    assert again.get_by_role("link", name="Board", exact=True).is_visible()
    again.get_by_role("link", name="中文").click()
    again.wait_for_selector("html[lang=zh-CN]")


def test_objection_to_a_candidate_under_notice(page_as, api_as, shot, fake_clock):
    sec1 = api_as("sec1")
    _ok(sec1.call("POST", "/api/selections", {"org_unit": "demo-branch1", "quarter": "2026-Q3"}), 201)
    members = ["sec1", "contact1"] + [f"m{i}" for i in range(1, 11)]
    for username in members:
        client = api_as(username)
        task = [t for t in _ok(client.call("GET", "/api/tasks?scope=mine"))["items"]
                if t["element_id"] == "SelfAndPeerEvaluation"][0]
        peers = [{"member": "m1", "grade": "excellent"}] if username != "m1" else []
        _ok(client.call("POST", f"/api/tasks/{task['id']}/complete", {"data": {
            "self_summary": f"{username} 的自我评价", "self_grade": "qualified", "peers": peers}}))
    propose = [t for t in _ok(sec1.call("GET", "/api/tasks?scope=claimable"))["items"]
               if t["element_id"] == "ProposeCandidates"][0]
    _ok(sec1.call("POST", f"/api/tasks/{propose['id']}/complete", {"data": {
        "candidates": [{"member": "m1", "reason": "互评优秀最多"}]}}))

    page = page_as("rep1", viewport=PHONE)
    page.goto("/board/demo-branch1")
    notice = page.locator(".board-part", has_text="公示")
    notice.wait_for()
    assert "互评优秀最多" in notice.inner_text()
    notice.get_by_role("button", name="提出异议").click()
    notice.get_by_label("异议理由").fill("群众反映服务态度一般")
    notice.get_by_role("button", name="提交异议").click()
    notice.locator(".banner.ok").wait_for()
    assert "异议已提交" in notice.inner_text()
    _no_sideways_scroll(page, "the board with a notice")
    shot(page, "ui-board-objection-rep1")
