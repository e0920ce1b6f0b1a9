"""The talk loop as pages: a secretary walks the ledger to a talk, looks back at each problem
item and closes it out, then closes the loop; a superior reads the overview, the coverage and a
half-year report; a member sees his own talks — at 375 px and 1366 px, in both languages."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PHONE
from tests.livehttp import Client
from tests.talkkit import local

pytestmark = pytest.mark.browser


def _ok(result, status=200):
    code, body = result
    assert code == status, (code, body)
    return body


def _recorded_talk(sec1: Client) -> dict:
    """sec1 talks with m4 and records two problem items."""
    talk = _ok(sec1.call("POST", "/api/talks", {"org_unit": "demo-branch1", "kind": "periodic", "member": "m4",
                                                 "talker": "sec1", "scheduled_at": "2026-10-15T10:00:00+08:00",
                                                 "place": "支部活动室", "way": "face_to_face"}), 201)
    task = [t for t in talk["open_tasks"] if t["element_id"] == "RecordTalk"][0]
    _ok(sec1.call("POST", f"/api/tasks/{task['id']}/complete", {"data": {
        "held_on": "2026-10-15", "way": "face_to_face", "main_content": "交流了近期思想、工作和生活情况。",
        "measures": "按期整改，支部跟踪督促。", "confidential": "家庭经济困难",
        "problems": [{"description": "学习教育参加不够经常", "owner": "m4", "measure": "每月参加支部集中学习",
                      "deadline": "2026-10-31"},
                     {"description": "对岗位调整有顾虑", "owner": "sec1", "measure": "书记与单位沟通岗位安排",
                      "deadline": "2026-11-15"}]}}))
    return talk


def _no_sideways_scroll(page, what):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{what} scrolls sideways ({width} px)"


WIDE = {"width": 1366, "height": 900}
CRITERIA = {"zh": ("问题得到解决", "诉求得到满足", "情绪得到疏通", "工作得到促进", "情意得到增进", "党员满意"),
            "en": ("Problem solved", "Request met", "Feelings eased", "Work improved", "Bond deepened",
                   "Member satisfied")}
WORDS = {
    "zh": {"tab bar": "底部导航", "me": "我的", "menu": "主菜单", "talks": "谈心谈话", "ledger": "台账",
           "open": "未销号 2/2", "problems": "问题清单", "overdue": "已逾期", "follow up": "跟进 / 销号",
           "look back first": "须先回头看，才能销号", "result": "结果", "note": "情况说明",
           "add follow-up": "记录回头看", "close item": "销号", "close note": "销号说明", "summary": "闭环小结",
           "close talk": "确认闭环", "closed": "已闭环"},
    "en": {"tab bar": "Tab bar", "me": "Me", "menu": "Main menu", "talks": "Talks", "ledger": "Ledger",
           "open": "Open 2/2", "problems": "Problem list", "overdue": "Overdue", "follow up": "Follow up / close out",
           "look back first": "Look back before closing out", "result": "Result", "note": "What was found",
           "add follow-up": "Record a look-back", "close item": "Close out", "close note": "Close-out note",
           "summary": "Summary", "close talk": "Close the loop", "closed": "Closed"},
}
HAN = re.compile(r"[\u4e00-\u9fff]")
#: what was typed and who took part: not the page's own words
DATA = ("学习教育参加不够经常", "每月参加支部集中学习", "对岗位调整有顾虑", "书记与单位沟通岗位安排",
        "交流了近期思想、工作和生活情况。", "按期整改，支部跟踪督促。", "家庭经济困难", "已连续参加两次集中学习",
        "已与单位沟通，岗位已落实", "问题已解决，党员满意", "已落实", "两项问题均已整改到位", "支部活动室",
        "第一党支部书记", "第一党支部", "刘敏", "第一党委", "示范区委")


def _no_chinese_but_the_data(text, what):
    for word in DATA:
        text = text.replace(word, "")
    assert not HAN.search(text), f"Chinese on {what} in English: {HAN.findall(text)} in {text!r}"


@pytest.mark.parametrize(("viewport", "lang"), [(PHONE, "zh"), (WIDE, "zh"), (PHONE, "en"), (WIDE, "en")],
                         ids=["375-zh", "1366-zh", "375-en", "1366-en"])
def test_secretary_follows_up_and_closes_out_a_talk(page_as, api_as, shot, fake_clock, viewport, lang):
    words = WORDS[lang]
    fake_clock.now = local(2026, 10, 15, 11)
    talk = _recorded_talk(api_as("sec1"))
    fake_clock.now = local(2026, 11, 2, 9)
    size = f"{viewport['width']}-{lang}"
    page = page_as("sec1", viewport=viewport, locale=lang)
    if lang == "en":
        page.goto("/lang/en")
    if viewport is PHONE:
        page.get_by_role("navigation", name=words["tab bar"]).get_by_role("link", name=words["me"]).click()
        page.get_by_role("link", name=words["talks"]).click()
    else:
        page.get_by_role("navigation", name=words["menu"]).get_by_role("link", name=words["talks"]).click()
    page.wait_for_selector("#ledger")
    tabs = page.locator("#talk-tabs")
    assert tabs.get_by_role("link", name=words["ledger"]).get_attribute("aria-current") == "page"
    assert words["open"] in page.locator("#ledger").inner_text()
    shot(page, f"talks-ledger-sec1-{size}")
    if viewport is PHONE:
        _no_sideways_scroll(page, "the ledger")

    tabs.get_by_role("link", name=words["problems"]).click()
    overdue = page.locator("#problem-list li.overdue")
    overdue.wait_for()
    assert "学习教育参加不够经常" in overdue.inner_text() and words["overdue"] in overdue.inner_text()
    if lang == "en":
        _no_chinese_but_the_data(page.locator("main").inner_text(), "the problem list")
    shot(page, f"talks-problems-sec1-{size}")
    overdue.get_by_role("link", name=words["follow up"]).click()
    page.wait_for_selector(f"#problem-{talk['id']}, .problem")

    # The talk page: record with its confidential part, the items, the close-out waits.
    first, second = page.locator(".problem").nth(0), page.locator(".problem").nth(1)
    assert "家庭经济困难" in page.locator(".confidential").inner_text()
    assert words["look back first"] in first.inner_text()
    assert page.locator("#close-wait").is_visible()
    for item, note in ((first, "已连续参加两次集中学习"), (second, "已与单位沟通，岗位已落实")):
        item.get_by_label(words["result"]).select_option("resolved")
        item.get_by_label(words["note"]).fill(note)
        item.get_by_role("button", name=words["add follow-up"]).click()
        page.wait_for_function(f"document.body.innerText.includes('{note}')")
    first = page.locator(".problem").nth(0)
    first.get_by_role("button", name=words["close item"]).click()
    page.wait_for_selector(".problem .close-form .banner.error")
    assert first.locator("[aria-invalid=true]").count() >= 6
    for criterion in CRITERIA[lang]:
        page.locator(".problem").nth(0).get_by_label(criterion).check()
    page.locator(".problem").nth(0).get_by_label(words["close note"]).fill("问题已解决，党员满意")
    page.locator(".problem").nth(0).get_by_role("button", name=words["close item"]).click()
    page.wait_for_function("document.querySelectorAll('.problem .banner.ok').length === 1")
    second = page.locator(".problem").nth(1)
    for criterion in CRITERIA[lang]:
        second.get_by_label(criterion).check()
    second.get_by_label(words["close note"]).fill("已落实")
    second.get_by_role("button", name=words["close item"]).click()
    page.get_by_label(words["summary"]).fill("两项问题均已整改到位")
    if lang == "en":
        _no_chinese_but_the_data(page.locator("main").inner_text(), "the talk page")
    shot(page, f"talks-detail-sec1-{size}")
    if viewport is PHONE:
        _no_sideways_scroll(page, "the talk page")
    page.get_by_role("button", name=words["close talk"]).click()
    page.wait_for_function(f"document.getElementById('talk-state').textContent === '{words['closed']}'")


def test_the_organisation_department_reads_overview_coverage_and_a_report_in_english(page_as, api_as, shot, fake_clock):
    fake_clock.now = local(2026, 10, 15, 11)
    _recorded_talk(api_as("sec1"))
    page = page_as("admin")
    page.goto("/talks")
    page.get_by_role("link", name="English").click()  # remembered for the account
    page.wait_for_selector("html[lang=en]")
    page.wait_for_selector("#talk-overview")
    rows = page.locator("#talk-overview tbody tr")
    assert rows.count() == 3
    assert "1/" in rows.first.inner_text() and "Branch" not in page.locator("h1").inner_text()
    shot(page, "talks-overview-admin-en")
    page.locator("#talk-tabs").get_by_role("link", name="Coverage").click()
    page.wait_for_selector("#uncovered li")
    assert page.locator("#covered li").count() == 1
    page.locator("#talk-tabs").get_by_role("link", name="Half-year reports").click()
    page.get_by_role("button", name="Open this half year's report").click()
    page.wait_for_selector("#report-state")
    assert page.locator("#report-state").inner_text() == "Draft"
    assert "Periodic talk" in page.locator(".figures").first.inner_text()
    assert "null" not in page.locator("#report-body").inner_text()
    shot(page, "talks-report-admin-en")


def test_a_member_sees_his_own_talks_on_a_phone(page_as, api_as, shot, fake_clock):
    fake_clock.now = local(2026, 10, 15, 11)
    _recorded_talk(api_as("sec1"))
    page = page_as("m4", viewport=PHONE)
    page.goto("/talks")
    page.wait_for_selector("#ledger")
    assert page.locator("h1").inner_text() == "我的谈心谈话"
    assert page.locator("#talk-tabs").is_hidden()
    page.locator("#ledger a").first.click()
    page.wait_for_selector(".problem")
    assert page.locator(".confidential").count() == 1  # the member took part in the talk
    assert page.locator(".follow-up-form").count() == 0 and page.locator(".close-form").count() == 0
    shot(page, "talks-member-m4-phone")
