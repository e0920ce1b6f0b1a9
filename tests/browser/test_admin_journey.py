"""The organisation department's journey at 375 px and 1366 px, in Chinese and in English:
launch a campaign (a double click launches one), follow it, drill down to a branch and a member
(a returned pledge shown as returned, with its reason), export what is shown."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_ui_everyday import TIMETABLE, _no_sideways_scroll, _ok

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
WIDE = {"width": 1366, "height": 900}
HAN = re.compile(r"[\u4e00-\u9fff]")
#: the data typed in Chinese (units, names, the pledge, the reason): not the page's own words
DATA = ("第一党支部联络员", "第一党支部书记", "第一党委", "第一党支部", "第二党支部", "第二党委", "第三党支部",
        "示范区委", "王伟", "李芳", "张强", "科学发展，争做先锋", "亮身份、作承诺", "每月走访两户困难群众",
        "请写明走访对象", "2026年先锋活动")
WORDS = {
    "zh": {"launch": "部署", "launch now": "确认部署", "launched": "部署完成", "stage": "动员部署", "open": "查看",
           "returned": "已退回修改", "working day": "个工作日", "task": "撰写公开承诺", "export": "导出 Excel",
           "title": "2026年先锋活动"},
    "en": {"launch": "Launch", "launch now": "Launch now", "launched": "Launched", "stage": "Mobilise",
           "open": "Open", "returned": "Returned for revision", "working day": "working day",
           "task": "Write your public pledge", "export": "Export to Excel", "title": "2026 vanguard campaign"},
}


def _only_english(text, what, people=()):
    for word in (*people, *DATA):
        text = text.replace(word, "")
    assert not HAN.search(text), f"Chinese in English mode on {what}: {HAN.findall(text)} in {text!r}"


@pytest.mark.parametrize(("viewport", "lang"), [(PHONE, "en"), (PHONE, "zh"), (WIDE, "en"), (WIDE, "zh")],
                         ids=["375-en", "375-zh", "1366-en", "1366-zh"])
def test_launch_drill_down_and_export(page_as, api_as, shot, fake_clock, viewport, lang):
    words, width = WORDS[lang], viewport["width"]
    page = page_as("admin", viewport=viewport, locale=lang)
    page.goto(f"/lang/{lang}")
    page.goto("/dashboard")
    page.wait_for_selector("#dash-status .empty")
    page.locator("#launch-box summary").click()
    page.fill("#f-title", words["title"])
    page.fill("#f-theme", "科学发展，争做先锋")
    page.fill("#f-carrier", "亮身份、作承诺")
    for stage, day in TIMETABLE.items():
        page.fill(f"#f-timetable-{stage}", day)
    page.get_by_role("button", name=words["launch"], exact=True).dblclick()
    dialog = page.locator("#launch-confirm")
    dialog.wait_for(state="visible")
    dialog.get_by_role("button", name=words["launch now"]).dblclick()
    page.wait_for_selector(f"#launch-text:has-text('{words['launched']}')")
    assert len(_ok(api_as("admin").call("GET", "/api/process-instances?process=vanguard_campaign"))["items"]) == 1
    page.locator("#dash-table tbody tr").nth(5).wait_for()
    if width < 720:
        _no_sideways_scroll(page, "the dashboard")
        caption = page.locator("#dash-table caption").evaluate("c => c.getBoundingClientRect().width")
        assert caption > 300, f"the table's caption is squeezed to {caption} px"
    assert words["stage"] in page.locator("#dash-table").inner_text()  # the stage in the page's language
    if lang == "en":
        _only_english(page.locator("main").inner_text(), "the dashboard")
    shot(page, f"journey-dashboard-admin-{width}-{lang}")

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

    page.get_by_role("link", name=f"{words['open']} 第一党委").click()
    page.wait_for_function("document.querySelectorAll('#dash-table tbody tr').length === 3")
    page.get_by_role("link", name=f"{words['open']} 第一党支部").click()
    page.wait_for_selector("#dash-branch:not([hidden])")
    page.locator("#dash-branch [data-member=m1]").click()
    page.wait_for_selector("#member-detail .returned")
    detail = page.locator("#member-detail").inner_text()
    assert words["returned"] in detail and "请写明走访对象" in detail and words["working day"] in detail, detail
    assert words["task"] in detail, detail  # the open task's name in the page's language
    if lang == "en":
        people = [name.strip(" ✓") for name in page.locator("#dash-branch [data-member]").all_inner_texts()]
        _only_english(page.locator("main").inner_text(), "the branch on the dashboard", people)
    else:
        assert "Write your public pledge" not in detail and "Returned" not in detail, detail
    if width < 720:
        _no_sideways_scroll(page, "the branch on the dashboard")
    assert "（" not in detail if lang == "en" else "(" not in detail, detail  # the punctuation of the language
    shot(page, f"journey-dashboard-branch-admin-{width}-{lang}")
    with page.expect_download() as download:
        page.get_by_role("link", name=words["export"]).click()
    assert download.value.suggested_filename.endswith(".xlsx")
