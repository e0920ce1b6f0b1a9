"""Activity ledgers as pages: a member records a deed with a photo from his phone (375 px, the camera
or file picker), the secretary confirms it, and the branch's quota view shows it; the appraisal
page shows each member's year. Under the pages' strict CSP (no inline scripts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.activitykit import gps_jpeg, local
from tests.browser.conftest import PHONE
from tests.campaign.test_campaign_api import branch_members

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page, what):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{what} scrolls sideways ({width} px)"


def test_a_member_records_a_deed_with_a_photo_on_his_phone(page_as, api_as, shot, fake_clock, tmp_path: Path):
    fake_clock.now = local(2026, 9, 20)
    photo = tmp_path / "IMG_0420.jpg"
    photo.write_bytes(gps_jpeg((1200, 900)))
    page = page_as("m1", viewport=PHONE)
    page.get_by_role("navigation", name="底部导航").get_by_role("link", name="我的").click()
    page.get_by_role("link", name="党员活动").click()
    page.wait_for_selector("#act-programme option >> nth=1", state="attached")
    picker = page.locator("#act-photo")
    assert picker.get_attribute("accept") == "image/*" and picker.get_attribute("capture") == "environment"
    page.get_by_label("活动项目").select_option(label="接力沈汝波为民做好事（每月 1）")
    page.get_by_label("做了什么").fill("帮邻居李奶奶修好漏水的水龙头")
    page.get_by_label("时间").fill("2026-09-18")
    page.get_by_label("地点").fill("海港区某小区")
    page.get_by_label("服务对象").fill("独居老人李奶奶")
    page.get_by_label("时长（小时）").fill("1.5")
    with page.expect_file_chooser() as chooser:
        picker.click()
    chooser.value.set_files(str(photo))
    thumb = page.locator("#act-thumbs img")
    thumb.wait_for()
    page.wait_for_function("document.querySelector('#act-thumbs img').naturalWidth > 0")
    assert page.evaluate("document.querySelector('#act-thumbs img').naturalWidth") == 320
    shot(page, "activity-record-m1-phone")
    _no_sideways_scroll(page, "the activity form")
    page.get_by_role("button", name="提交支部确认").click()
    page.wait_for_selector("#act-list .record")
    assert "已提交，等待支部确认" in page.locator("#act-banner").inner_text()
    record = page.locator("#act-list .record").first
    assert "帮邻居李奶奶修好漏水的水龙头" in record.inner_text() and "待确认" in record.inner_text()
    assert record.locator("img").count() == 1
    shot(page, "activity-mine-m1-phone")

    # A date outside the season of a seasonal duty is refused next to the date.
    page.get_by_label("活动项目").select_option(label="服务旅游当先锋（每月 1，7–9月）")
    page.get_by_label("做了什么").fill("火车站旅游咨询")
    page.get_by_label("时间").fill("2026-06-10")
    page.get_by_role("button", name="提交支部确认").click()
    error = page.locator("#act-date-err")
    error.wait_for()
    page.wait_for_function("document.querySelector('#act-date-err').textContent.length > 0")
    assert "outside its season" in error.inner_text()

    # The secretary confirms it through the API; the member's list says so.
    sec1 = api_as("sec1")
    status, mine = api_as("m1").call("GET", "/api/activities/records")
    status, _ = sec1.call("POST", f"/api/activities/records/{mine['items'][0]['id']}/review", {"decision": "approve"})
    assert status == 200
    page.reload()
    page.wait_for_selector("#act-list .record .pill.confirmed")


@pytest.mark.parametrize("viewport", [PHONE, None], ids=["phone", "desktop"])
def test_the_branch_quota_view_with_its_chart(page_as, api_as, shot, fake_clock, viewport):
    fake_clock.now = local(2026, 9, 20)
    m1, sec1 = api_as("m1"), api_as("sec1")
    _, programmes = m1.call("GET", "/api/activities/programmes?org_unit=demo-branch1")
    deed = next(p["id"] for p in programmes["items"] if p["code"] == "good_deed")
    for day in ("2026-07-08", "2026-08-12"):
        status, rec = m1.call("POST", "/api/activities/records",
                              {"programme": deed, "activity": "为民办好事", "activity_date": day, "hours": 1})
        assert status == 201, rec
        assert sec1.call("POST", f"/api/activities/records/{rec['id']}/review", {"decision": "approve"})[0] == 200
    fake_clock.now = local(2026, 10, 5)
    size = "phone" if viewport else "desktop"
    page = page_as("leader1", viewport=viewport)
    page.goto("/activities/quota?unit=demo-pc1&period=2026-Q3")
    page.wait_for_selector("#quota-units tbody tr[data-unit='demo-branch1']")
    page.wait_for_selector("#chart-quota svg")
    assert "第一党委" in page.locator("#quota-totals").inner_text()
    page.locator("#quota-units tbody tr[data-unit='demo-branch1'] a").click()
    page.wait_for_selector("#quota-crumbs a")
    # The branch's view has replaced the committee's (whose members' table also lists m1).
    page.wait_for_selector("#quota-totals:has-text('第一党支部 · 2026-Q3')")
    assert page.locator("#quota-unit option:checked").inner_text() == "第一党支部"
    row = page.locator("#quota-members tr[data-member='m1']")
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "第一党支部" and "2" in cells[2]  # done: the July and August deeds
    assert "（书记）" in page.locator("#quota-members tr[data-member='sec1']").inner_text()
    assert page.locator("#quota-export").get_attribute("href").endswith("org_unit=demo-branch1&period=2026-Q3")
    shot(page, f"activity-quota-branch1-{size}")
    _no_sideways_scroll(page, "the quota view")


def test_proposing_excellent_members_shows_each_members_year(page_as, api_as, shot, fake_clock):
    fake_clock.now = local(2026, 9, 20)
    m1, sec1 = api_as("m1"), api_as("sec1")
    _, programmes = m1.call("GET", "/api/activities/programmes?org_unit=demo-branch1")
    deed = next(p["id"] for p in programmes["items"] if p["code"] == "good_deed")
    status, rec = m1.call("POST", "/api/activities/records",
                          {"programme": deed, "activity": "为民办好事", "activity_date": "2026-09-02", "hours": 1})
    assert status == 201 and sec1.call("POST", f"/api/activities/records/{rec['id']}/review",
                                       {"decision": "approve"})[0] == 200
    fake_clock.now = local(2026, 9, 28)
    assert sec1.call("POST", "/api/selections", {"org_unit": "demo-branch1", "quarter": "2026-Q3"})[0] == 201
    for username in branch_members(1):
        client = api_as(username)
        _, mine = client.call("GET", "/api/tasks?scope=mine&process=excellent_member_selection")
        task = next(t for t in mine["items"] if t["element_id"] == "SelfAndPeerEvaluation")
        status, body = client.call("POST", f"/api/tasks/{task['id']}/complete", {"data": {
            "self_summary": f"{username} 的自我评价", "self_grade": "qualified", "peers": []}})
        assert status == 200, body
    _, claimable = sec1.call("GET", "/api/tasks?scope=claimable&process=excellent_member_selection")
    propose = next(t for t in claimable["items"] if t["element_id"] == "ProposeCandidates")
    page = page_as("sec1", viewport=PHONE)
    page.goto(f"/tasks/{propose['id']}")
    row = page.locator(".member-years tr[data-member='m1']")
    row.wait_for()
    assert "2026 年党员表现一览" in page.locator(".member-years h2").inner_text()
    assert row.locator("td").first.inner_text().startswith("1/")  # one confirmed deed of those due
    assert page.locator(".member-years tbody tr").count() == 12
    shot(page, "activity-member-years-propose-phone")
    _no_sideways_scroll(page, "the proposing task with the members' years")


def test_the_activity_pages_work_under_the_content_security_policy(browser, live_server, fake_clock):
    """No bypass here: the pages' own policy (no inline scripts) is enforced, and nothing is refused."""
    fake_clock.now = local(2026, 10, 5)
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server)
    violations: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
        page.goto("/login")
        page.fill("#username", "sec1")
        page.fill("#password", "demo")
        with page.expect_navigation():
            page.click("form.login button[type=submit]")
        page.goto("/activities")
        page.wait_for_selector("#act-programme option >> nth=1", state="attached")
        page.wait_for_selector("#act-list p, #act-list ul")
        page.goto("/activities/quota?unit=demo-branch1&period=2026-Q3")
        page.wait_for_selector("#quota-members tbody tr[data-member='m1']")
        page.wait_for_selector("#chart-quota svg")
        assert violations == []
    finally:
        context.close()


def test_the_board_of_a_themed_campaign_says_who_reported_what(page_as, api_as, shot, fake_clock):
    fake_clock.now = local(2026, 7, 10)
    leader1, sec1 = api_as("leader1"), api_as("sec1")
    status, campaign = leader1.call("POST", "/api/activities/themed", {
        "org_unit": "demo-pc1", "name": "文明泉州 党员先行", "starts_on": "2026-07-01", "ends_on": "2026-12-31",
        "lines": [{"code": "civility", "name": "文明养成我先行"}, {"code": "volunteer", "name": "志愿服务我先行"}],
        "reporting": [{"kind": "plan", "due_on": "2026-07-15"}, {"kind": "final", "due_on": "2026-12-31"}]})
    assert status == 201, campaign
    status, report = sec1.call("POST", f"/api/activities/themed/{campaign['id']}/reports",
                               {"org_unit": "demo-branch1", "seq": 0, "text": "每月组织一次文明劝导"})
    assert status == 201, report
    fake_clock.now = local(2026, 7, 20)
    page = page_as("leader1", viewport=PHONE)
    page.goto("/activities/themed?unit=demo-pc1")
    own = page.locator("#themed-board tr[data-unit='demo-branch1']")
    own.wait_for()
    assert "待审阅" in own.inner_text()
    sibling = page.locator("#themed-board tr[data-unit='demo-branch2']").inner_text()
    assert "未报送" in sibling and "逾期" in sibling
    assert "文明养成我先行" in page.locator("#themed-meta").inner_text()
    shot(page, "activity-themed-board-leader1-phone")
    _no_sideways_scroll(page, "the themed campaign's board")
