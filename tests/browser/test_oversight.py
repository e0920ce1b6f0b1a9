"""The overseer's actions on the instance page and the task page (issue 16.2), as the secretary and
the district's administrator would use them, at desktop and phone widths."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import PHONE

PLAN = {"theme": "科学发展，争做先锋", "carrier": "亮身份、作承诺、比奉献",
        "timetable": {"mobilise": "2026-10-09", "pledge": "2026-10-16", "fulfil": "2026-11-30",
                      "review": "2026-12-10", "appraisal": "2026-12-20", "commendation": "2026-12-31"}}


def _ok(res: Any, status: int = 200) -> Any:
    assert res[0] == status, res
    return res[1]


def _launch(api_as: Any) -> tuple[int, int]:
    admin = api_as("admin")
    body = _ok(admin.call("POST", "/api/campaigns", {"org_unit": "demo-district", **PLAN}), 202)
    for _ in range(600):
        if _ok(admin.call("GET", body["launch"]["url"]))["state"] == "done":
            break
        time.sleep(0.05)
    runs = _ok(admin.call("GET", "/api/process-instances?process=vanguard_campaign_branch"))["items"]
    branch = next(r["id"] for r in runs if r["org_unit"]["code"] == "demo-branch1")
    sec1 = api_as("sec1")
    mobilise = next(t for t in _ok(sec1.call("GET", "/api/tasks?scope=claimable"))["items"]
                    if t["element_id"] == "Mobilise" and t["instance_id"] == branch)
    _ok(sec1.call("POST", f"/api/tasks/{mobilise['id']}/complete", {"data": {
        "theme": "服务群众当先锋", "carrier": "党员责任区", "meeting_date": "2026-09-28", "meeting_place": "党员活动室",
        "attendance": 12}}))
    return body["campaign"]["id"], branch


@pytest.mark.browser
def test_the_secretary_hands_a_members_pledge_to_himself(page_as, api_as, shot, fake_clock):
    _campaign, _branch = _launch(api_as)
    draft = next(t for t in _ok(api_as("m2").call("GET", "/api/tasks?scope=mine"))["items"]
                 if t["element_id"] == "DraftPledge")
    for width, viewport in (("phone", PHONE), ("desktop", None)):
        page = page_as("sec1", viewport=viewport)
        page.goto(f"/tasks/{draft['id']}")
        page.wait_for_selector("#oversight")
        page.click("button[data-open=reassign]")
        picker = page.locator("form[data-action=reassign] select")
        assert "第一党支部书记" in picker.inner_text() and "sec1" not in picker.inner_text()
        if width == "phone":
            shot(page, "oversight-reassign-phone")
            continue
        picker.select_option("sec1")
        page.click("form[data-action=reassign] button[type=submit]")
        assert page.locator("form[data-action=reassign] .field-error").inner_text() == "请填写理由"
        page.fill("form[data-action=reassign] textarea", "该党员住院，由书记代为登记承诺")
        page.click("form[data-action=reassign] button[type=submit]")
        page.wait_for_selector("text=办理人：第一党支部书记")
        page.wait_for_selector("q.reason")
        assert "该党员住院，由书记代为登记承诺" in page.locator(".task-history").inner_text()
        assert "转办任务" in page.locator(".task-history").inner_text()
        shot(page, "oversight-reassign-desktop")


@pytest.mark.browser
def test_the_administrator_suspends_resumes_withdraws_and_cancels(page_as, api_as, shot, fake_clock):
    campaign, branch = _launch(api_as)
    page = page_as("admin")
    page.goto(f"/instances/{branch}")
    page.wait_for_selector("#oversight")
    page.click("button[data-open=suspend]")
    page.fill("form[data-action=suspend] textarea", "支部换届，暂停活动")
    page.click("form[data-action=suspend] button[type=submit]")
    page.wait_for_selector("button[data-open=resume]")
    assert "流程已暂停" in page.locator("#oversight").inner_text()
    shot(page, "oversight-suspended-desktop")
    page.click("button[data-open=resume]")
    page.fill("form[data-action=resume] textarea", "换届完成")
    page.click("form[data-action=resume] button[type=submit]")
    page.wait_for_selector("button[data-open=withdraw]")
    page.click("button[data-open=withdraw]")
    page.locator("form[data-action=withdraw] select").select_option(label="李芳")
    page.fill("form[data-action=withdraw] textarea", "该党员已转出本支部")
    page.click("form[data-action=withdraw] button[type=submit]")
    page.wait_for_selector("text=该党员已转出本支部")
    history = page.locator("#instance").inner_text()
    assert "撤出 李芳" in history and "暂停流程" in history and "恢复流程" in history
    shot(page, "oversight-withdrawn-desktop")

    phone = page_as("admin", viewport=PHONE)
    phone.goto(f"/instances/{campaign}")
    phone.wait_for_selector("#oversight")
    phone.click("button[data-open=cancel]")
    warning = phone.locator("form[data-action=cancel] [data-cascade]")
    warning.wait_for()
    assert warning.get_attribute("data-cascade") == "3" and "3 个流程实例" in warning.inner_text()
    phone.fill("form[data-action=cancel] textarea", "重复发起，以新方案为准")
    shot(phone, "oversight-cancel-phone")
    phone.click("form[data-action=cancel] button[type=submit]")
    phone.wait_for_selector("text=重复发起，以新方案为准")
    assert _ok(api_as("admin").call("GET", f"/api/process-instances/{branch}"))["state"] == "cancelled"
    shot(phone, "oversight-cancelled-phone")


@pytest.mark.browser
def test_a_double_click_on_launch_starts_one_campaign(page_as, api_as, shot, fake_clock):
    page = page_as("admin")
    page.goto("/dashboard")
    page.wait_for_selector("#dash-status .empty")
    page.locator("#launch-box summary").click()
    page.get_by_label("活动名称").fill("2026年先锋活动")
    page.get_by_label("活动主题").fill(PLAN["theme"])
    page.get_by_label("实践载体").fill(PLAN["carrier"])
    for stage, day in PLAN["timetable"].items():
        page.fill(f"#f-timetable-{stage}", day)
    page.get_by_role("button", name="部署").dblclick()
    page.locator("#launch-confirm").get_by_role("button", name="确认部署").dblclick()
    page.wait_for_selector("#launch-text:has-text('部署完成')")
    shot(page, "oversight-double-launch-desktop")
    campaigns = _ok(api_as("admin").call("GET", "/api/process-instances?process=vanguard_campaign"))
    assert campaigns["total"] == 1
