"""The browser shell end to end: a member reports, the secretary reviews, on desktop and phone."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _start_report(api_as) -> int:
    status, body = api_as("m1").call("POST", "/api/process-instances",
                                     {"process_key": "activity_report", "org_unit": "demo-branch1"})
    assert status == 201, body
    return int(body["id"])


def test_member_reports_and_secretary_approves(page_as, api_as, shot):
    page = page_as("m1")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("tab", name="待处理").is_visible()
    page.wait_for_selector("#count-mine:not(:has-text('…'))")
    shot(page, "shell-inbox-empty-m1")

    instance_id = _start_report(api_as)
    page.reload()
    row = page.locator(".task-row", has_text="填写活动报告")
    row.wait_for()
    assert "第一党支部" in row.inner_text()
    assert "截止" in row.inner_text()
    shot(page, "shell-inbox-m1")

    row.locator("a.task-name").click()
    page.wait_for_selector("form.task-form")
    assert page.locator("h1").inner_text() == "填写活动报告"
    assert "记录本月参加的志愿服务" in page.locator(".instructions").inner_text()
    assert page.locator("label[for=f-activity]").inner_text().startswith("活动内容")

    # Invalid: too short, too many hours, no date.
    page.fill("#f-activity", "x")
    page.fill("#f-hours", "30")
    page.click("form.task-form button[type=submit]")
    page.wait_for_selector(".banner.error")
    errors = {name: page.locator(f"[data-field={name}] .field-error").inner_text()
              for name in ("activity", "activity_date", "hours")}
    assert all(errors.values()), errors
    assert errors == {"activity": "至少 2 个字", "activity_date": "必填", "hours": "不能大于 24"}
    assert page.locator("#f-hours").get_attribute("aria-invalid") == "true"
    assert page.url.endswith(f"/tasks/{page.url.rsplit('/', 1)[-1]}")
    shot(page, "shell-task-errors-m1")

    # Fixed: submitted, back to the inbox, nothing left to do.
    page.fill("#f-activity", "社区环境整治志愿服务")
    page.fill("#f-activity_date", "2026-09-20")
    page.fill("#f-hours", "3")
    with page.expect_navigation(url=lambda url: url.rstrip("/").endswith(page.url.split("/tasks")[0].rstrip("/"))):
        page.click("form.task-form button[type=submit]")
    page.wait_for_selector("#empty:not([hidden])")
    assert page.locator(".task-row").count() == 0

    # The secretary claims the review and approves.
    sec = page_as("sec1")
    sec.get_by_role("tab", name="可认领").click()
    review = sec.locator(".task-row", has_text="审核活动报告")
    review.wait_for()
    review.get_by_role("button", name="认领").click()
    sec.get_by_role("tab", name="待处理").click()
    mine = sec.locator(".task-row", has_text="审核活动报告")
    mine.wait_for()
    mine.locator("a.task-name").click()
    sec.wait_for_selector("select#f-decision")
    assert "null" not in sec.locator("article.task").inner_text()
    context = sec.locator("section.context").inner_text()
    assert "已填报的内容" in context and "活动内容" in context and "社区环境整治志愿服务" in context, context
    assert "org_unit_id" not in context
    assert "办理人" in sec.locator("article.task").inner_text()
    sec.select_option("#f-decision", "approve")
    shot(sec, "shell-review-sec1")
    with sec.expect_navigation():
        sec.click("form.task-form button[type=submit]")
    sec.wait_for_selector("#count-mine:not(:has-text('…'))")

    status, instance = api_as("sec1").call("GET", f"/api/process-instances/{instance_id}")
    assert status == 200 and instance["state"] == "completed", instance


def test_phone_width(page_as, api_as, shot):
    _start_report(api_as)
    page = page_as("m1", viewport={"width": 375, "height": 740})
    page.locator(".task-row").first.wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the inbox scrolls sideways at 375 px ({width} px wide)"
    shot(page, "shell-phone-inbox")
    page.locator("a.task-name").first.click()
    page.wait_for_selector("form.task-form")
    page.click("form.task-form button[type=submit]")
    page.wait_for_selector(".banner.error")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the task page scrolls sideways at 375 px ({width} px wide)"
    box = page.locator("form.task-form button[type=submit]").bounding_box()
    assert box and box["height"] >= 44, "the submit button is too small to tap"
    shot(page, "shell-phone-task")


def test_english_shell(page_as, api_as, shot):
    _start_report(api_as)
    page = page_as("m1", locale="en")
    page.goto("/lang/en")
    page.locator(".task-row").first.wait_for()
    assert page.get_by_role("tab", name="My tasks").is_visible()
    page.locator("a.task-name").first.click()
    page.wait_for_selector("form.task-form")
    assert page.locator("label[for=f-hours]").inner_text().startswith("Hours")
    page.click("form.task-form button[type=submit]")
    page.wait_for_selector(".banner.error")
    assert page.locator("[data-field=activity] .field-error").inner_text() == "required"
    shot(page, "shell-task-english")


def test_an_ended_session_leads_back_to_the_login_form(page_as):
    page = page_as("m1")
    page.wait_for_selector("#count-mine:not(:has-text('…'))")
    page.evaluate("fetch('/api/session', {method: 'DELETE', credentials: 'same-origin'})")
    with page.expect_navigation(url="**/login?next=%2F"):
        page.get_by_role("tab", name="可认领").click()
    assert page.locator("form.login").is_visible()
