"""Monitoring on the diagram in headless Chromium: one instance's progress, and the heat map."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

REPORT = {"activity": "社区志愿服务", "activity_date": "2026-09-20", "hours": 2}


def _start(api_as, username: str, unit: str) -> int:
    status, body = api_as(username).call("POST", "/api/process-instances",
                                         {"process_key": "activity_report", "org_unit": unit})
    assert status == 201, body
    return int(body["id"])


def _complete_report(api_as, username: str, instance_id: int) -> None:
    client = api_as(username)
    _, tasks = client.call("GET", "/api/tasks?scope=mine")
    task = next(t for t in tasks["items"] if t["instance_id"] == instance_id)
    status, body = client.call("POST", f"/api/tasks/{task['id']}/complete", {"data": REPORT})
    assert status == 200, body


def _classes(page, selector: str) -> str:
    return page.locator(selector).get_attribute("class") or ""


def test_one_instance_on_its_diagram(page_as, api_as, fake_clock, shot):
    late = _start(api_as, "m1", "demo-branch1")
    fake_clock.advance(hours=5)
    _complete_report(api_as, "m1", late)
    fresh = _start(api_as, "m2", "demo-branch1")
    fake_clock.advance(days=20)  # the review of the first one is past its 3 working days

    page = page_as("admin")
    page.goto(f"/monitor/instances/{late}")
    page.wait_for_selector("#monitor-instance[data-state=ready]")
    shape = "#mi-canvas g.djs-element[data-element-id='{}']"
    assert "vg-completed" in _classes(page, shape.format("StartReport"))
    assert "vg-completed" in _classes(page, shape.format("WriteReport"))
    assert "vg-overdue" in _classes(page, shape.format("ReviewReport"))
    for untouched in ("Decision", "ReportAccepted"):
        classes = _classes(page, shape.format(untouched))
        assert not any(c in classes for c in ("vg-completed", "vg-active", "vg-overdue")), untouched
    badge = page.locator(".vg-state-badge[data-element=ReviewReport]")
    assert "已逾期" in badge.inner_text()
    assert page.locator("#mi-tasks tr.overdue").count() == 1
    assert "发起流程" in page.inner_text("#mi-history")
    assert "activity_report v1" in page.inner_text("#mi-meta")
    shot(page, "monitor-instance-overdue")

    page.goto(f"/monitor/instances/{fresh}")
    page.wait_for_selector("#monitor-instance[data-state=ready]")
    assert "vg-overdue" in _classes(page, shape.format("WriteReport")), "20 days > 5 working days"
    page.set_viewport_size({"width": 375, "height": 740})
    page.wait_for_timeout(400)  # the diagram is fitted again after a resize
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the instance view scrolls sideways at 375 px ({width} px wide)"
    shot(page, "monitor-instance-phone")


def test_heat_map_of_a_process_over_the_subtree(page_as, api_as, fake_clock, shot):
    done = _start(api_as, "m1", "demo-branch1")
    _start(api_as, "m1", "demo-branch1")
    _start(api_as, "m11", "demo-branch2")
    _start(api_as, "m21", "demo-branch3")
    fake_clock.advance(hours=26)
    _complete_report(api_as, "m1", done)

    page = page_as("admin")
    page.click("header nav a:has-text('流程监控')")
    page.wait_for_selector("#monitor[data-state=ready]")
    assert page.input_value("#m-process") == "activity_report"
    assert "示范区委" in page.inner_text("#m-summary") and "进行中 4 个" in page.inner_text("#m-summary")

    write = page.locator(".vg-heat-badge[data-element=WriteReport]")
    assert write.locator("[data-count=open]").inner_text() == "3"
    assert "1 已办" in write.inner_text() and "1.1 天" in write.inner_text()
    review = page.locator(".vg-heat-badge[data-element=ReviewReport]")
    assert review.locator("[data-count=open]").inner_text() == "1"
    shape = "#m-canvas g.djs-element[data-element-id='{}']"
    assert "vg-heat-5" in _classes(page, shape.format("WriteReport")), "the busiest element is the hottest"
    assert "vg-heat-2" in _classes(page, shape.format("ReviewReport"))
    assert "vg-heat" not in _classes(page, shape.format("Decision"))
    row = page.locator("#m-elements tr[data-element=WriteReport]").inner_text()
    assert "3" in row and "1.1 天" in row
    assert page.locator("#m-instances tbody tr").count() == 4
    shot(page, "monitor-heatmap-district")

    # The first party committee only: two branches.
    page.select_option("#m-unit", label="\u3000第一党委")
    page.wait_for_function(
        "document.querySelector('#m-summary').textContent.includes('第一党委')"
        " && document.querySelector('.vg-heat-badge[data-element=WriteReport] [data-count=open]')"
        ".textContent === '2'")
    assert page.locator("#m-instances tbody tr").count() == 3
    assert "org_unit=" in page.url

    # The numbers follow time: past their due dates, tasks show as overdue.
    fake_clock.advance(days=20)
    page.reload()
    page.wait_for_selector("#monitor[data-state=ready]")
    assert "2 逾期" in page.locator(".vg-heat-badge[data-element=WriteReport]").inner_text()
    assert "vg-heat-overdue" in _classes(page, shape.format("WriteReport"))
    shot(page, "monitor-heatmap-overdue")

    # From the list to one instance.
    page.locator("#m-instances a").first.click()
    page.wait_for_selector("#monitor-instance[data-state=ready]")
