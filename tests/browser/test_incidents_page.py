"""The instance page shows its incidents to the secretary, who retries one (issue 14.2)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE
from tests.workflow.test_incidents import deploy


@pytest.mark.browser
def test_the_secretary_sees_an_incident_and_is_told_how_to_retry_it(as_user, page_as, api_as, shot):
    deploy(as_user("designer"), "total = 10 // divisor")
    m1 = api_as("m1")
    status, instance = m1.call("POST", "/api/process-instances", {"process_key": "divide", "org_unit": "demo-branch1"})
    assert status == 201, instance
    task = instance["open_tasks"][0]
    status, failed = m1.call("POST", f"/api/tasks/{task['id']}/complete", {"data": {"divisor": 0}})
    assert status == 422 and failed["details"][0]["error_class"] == "ZeroDivisionError", failed

    for viewport, name in ((PHONE, "incident-phone"), (None, "incident-desktop")):
        page = page_as("sec1", viewport=viewport)
        page.goto(f"/instances/{instance['id']}")
        page.wait_for_selector(".incident-list")
        item = page.locator(".incident-list .incident")
        assert "ZeroDivisionError" in item.inner_text() and "Compute" in item.inner_text()
        assert "未解决" in item.inner_text()
        page.click(".incident-list button.retry")
        page.wait_for_function("document.getElementById('incident-status').textContent.length > 0")
        assert "重新提交" in page.locator("#incident-status").inner_text()
        shot(page, name)

    # The member who started it sees no incident section.
    page = page_as("m1")
    page.goto(f"/instances/{instance['id']}")
    page.wait_for_selector("#instance h1")
    assert page.locator(".incident-list").count() == 0

    # Completed with data the script can work with: resolved, shown as such.
    assert m1.call("POST", f"/api/tasks/{task['id']}/complete", {"data": {"divisor": 5}})[0] == 200
    page = page_as("sec1")
    page.goto(f"/instances/{instance['id']}")
    page.wait_for_selector(".incident-list .incident.resolved")
    assert "已解决" in page.locator(".incident-list").inner_text()
    assert page.locator(".incident-list button.retry").count() == 0
    shot(page, "incident-resolved")


@pytest.mark.browser
def test_the_designer_sees_every_open_incident_on_the_process_list(as_user, page_as, api_as, shot):
    deploy(as_user("designer"), "total = 10 // divisor")
    m1 = api_as("m1")
    status, instance = m1.call("POST", "/api/process-instances", {"process_key": "divide", "org_unit": "demo-branch1"})
    assert status == 201, instance
    assert m1.call("POST", f"/api/tasks/{instance['open_tasks'][0]['id']}/complete",
                   {"data": {"divisor": 0}})[0] == 422

    page = page_as("designer")
    page.goto("/designer")
    page.wait_for_selector("#incident-table tbody tr")
    row = page.locator("#incident-table tbody tr")
    assert "ZeroDivisionError" in row.inner_text() and "Compute" in row.inner_text()
    page.click("#incident-table button.retry")
    page.wait_for_function("document.getElementById('incident-status').textContent.length > 0")
    assert "重新提交" in page.locator("#incident-status").inner_text()
    shot(page, "incident-designer")


@pytest.mark.browser
def test_the_org_admin_sees_open_incidents_on_the_monitor(as_user, page_as, api_as, shot):
    """Issue 16 item 4: incidents are listed in the monitor for the overseers, with a retry."""
    deploy(as_user("designer"), "total = 10 // divisor")
    m1 = api_as("m1")
    status, instance = m1.call("POST", "/api/process-instances", {"process_key": "divide", "org_unit": "demo-branch1"})
    assert status == 201, instance
    assert m1.call("POST", f"/api/tasks/{instance['open_tasks'][0]['id']}/complete",
                   {"data": {"divisor": 0}})[0] == 422

    for viewport, name in ((None, "incident-monitor-desktop"), (PHONE, "incident-monitor-phone")):
        page = page_as("admin", viewport=viewport)
        page.goto("/monitor")
        page.wait_for_selector("#incident-table tbody tr")
        row = page.locator("#incident-table tbody tr")
        assert "ZeroDivisionError" in row.inner_text() and "第一党支部" in row.inner_text()
        shot(page, name)
    page.click("#incident-table button.retry")
    page.wait_for_function("document.getElementById('incident-status').textContent.length > 0")
    assert "重新提交" in page.locator("#incident-status").inner_text()

    # A member has no monitor; the API lists nothing for him either.
    assert m1.call("GET", "/api/incidents") == (200, {"items": []})
