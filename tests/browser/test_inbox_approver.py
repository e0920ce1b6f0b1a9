"""The inbox as approvers use it, at 1366 px and 375 px: cards that say whose pledge and what
it says, search by a member's name, closed boxes that stay closed, a bulk approval that asks
first and says how many, a confirmation after a submission, 我发起的 with 催办 and 抄送我."""

from __future__ import annotations

import pytest

from inbox import queries
from tests.browser.test_ui_everyday import _launch_and_pledge, _no_sideways_scroll, _ok
from tests.orgkit import hold

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1366", "375"])
def test_secretary_reviews_pledges_by_name_and_approves_in_bulk(page_as, api_as, shot, fake_clock, viewport):
    _launch_and_pledge(api_as, ["m1", "m2", "m3"])
    page = page_as("sec1", viewport=viewport)
    page.get_by_role("tab", name="可认领").click()
    cards = page.locator(".task-row", has_text="审核党员承诺")
    cards.nth(2).wait_for()
    text = page.locator("#task-list").inner_text()
    assert "王伟：m1：每月走访两户困难群众" in text and "李芳" in text and "张娜" in text, text
    # Closed boxes are really closed: the per-row reason only for a picked row.
    assert cards.first.locator(".own-reason").is_hidden()
    cards.first.locator(".pick").check()
    assert cards.first.locator(".own-reason").is_visible()
    cards.first.locator(".pick").uncheck()
    # Search finds a member by name and a pledge by its words.
    page.get_by_label("搜索").fill("李芳")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_function("document.querySelectorAll('#task-list .task-row').length === 1")
    assert "李芳" in page.locator("#task-list").inner_text()
    page.get_by_label("搜索").fill("")
    page.get_by_role("button", name="筛选").click()
    cards.nth(2).wait_for()
    if viewport is PHONE:
        _no_sideways_scroll(page, "the inbox")
    shot(page, f"inbox-review-cards-sec1-{viewport['width']}")
    page.get_by_label("全选").check()
    page.get_by_role("button", name="批量通过").click()
    page.wait_for_selector("#bulk-result .banner.ok")
    assert page_as.dialogs[-1] == "确定通过选中的 3 项审核？"
    assert "完成 3 项，失败 0 项" in page.locator("#bulk-result").inner_text()
    # 已处理 lists what he did.
    page.get_by_role("tab", name="已处理").click()
    page.wait_for_url("**scope=done**")  # the done list has replaced the claimable one (a race under load)
    page.locator(".task-row", has_text="审核党员承诺").nth(2).wait_for()
    assert "办结于" in page.locator("#task-list").inner_text()
    shot(page, f"inbox-done-sec1-{viewport['width']}")


def test_submission_is_confirmed_and_the_requester_reminds(page_as, api_as, shot):
    m1 = api_as("m1")
    _ok(m1.call("POST", "/api/process-instances", {
        "process_key": "talk_request", "org_unit": "demo-branch1",
        "data": {"requested_with": "secretary", "topic": "想谈谈工作上的困惑", "preferred_times": "下周二下午"}}), 201)
    page = page_as("m1", viewport=PHONE)
    page.get_by_role("tab", name="我发起的").click()
    row = page.locator(".task-row", has_text="答复约谈时间和地点")
    row.wait_for()
    assert row.locator("a.task-name").get_attribute("href").startswith("/instances/")
    row.get_by_role("button", name="催办").click()
    page.wait_for_selector("#inbox-status.ok:has-text('已催办：第一党支部联络员')")
    shot(page, "inbox-started-reminded-m1")
    # The secretary oversees branch 1: the contact's step is 抄送 to him.
    sec = page_as("sec1")
    sec.get_by_role("tab", name="抄送我").click()
    sec.locator(".task-row", has_text="答复约谈时间和地点").wait_for()
    # The contact answers; the inbox confirms the submission.
    contact = page_as("contact1")
    contact.locator(".task-name", has_text="答复约谈时间和地点").click()
    contact.wait_for_selector("#f-place")
    contact.fill("#f-scheduled_at", "2026-12-15T15:00")
    contact.fill("#f-place", "支部活动室")
    contact.get_by_label("谈话人").select_option(label="第一党支部书记")  # a person by name
    contact.click("form.task-form button[type=submit]")
    contact.wait_for_selector("#inbox-status.ok:has-text('已提交「答复约谈时间和地点」')")
    shot(contact, "inbox-submitted-contact1")


def test_delegate_to_a_person_picked_by_name(page_as, api_as, shot):
    hold("m5", "demo-branch1", "contact")  # a second contact person in branch 1: 陈静
    _ok(api_as("m1").call("POST", "/api/process-instances", {
        "process_key": "talk_request", "org_unit": "demo-branch1",
        "data": {"requested_with": "secretary", "topic": "想谈谈工作上的困惑", "preferred_times": "下周二下午"}}), 201)
    answer = next(t for t in _ok(api_as("contact1").call("GET", "/api/tasks?scope=claimable"))["items"]
                  if t["element_id"] == "AnswerRequest")
    _ok(api_as("contact1").call("POST", f"/api/tasks/{answer['id']}/claim", {}))
    page = page_as("contact1", viewport=PHONE)
    row = page.locator(".task-row", has_text="答复约谈时间和地点")
    row.wait_for()
    assert row.locator("form.delegate").is_hidden()  # closed until asked for
    row.get_by_role("button", name="转交", exact=True).click()
    row.locator("form.delegate option", has_text="陈静").wait_for(state="attached")
    names = row.locator("form.delegate option").all_inner_texts()
    assert "陈静" in names and "第一党支部联络员" not in names and "m5" not in names, names  # by name, not me
    row.get_by_label("转交给").select_option(label="陈静")
    row.get_by_role("button", name="确定转交").click()
    page.wait_for_selector("#inbox-status.ok:has-text('已转交给 陈静')")
    shot(page, "inbox-delegated-contact1")
    mine = _ok(api_as("m5").call("GET", "/api/tasks?scope=mine"))["items"]
    assert [t["element_id"] for t in mine] == ["AnswerRequest"]


LOAD_MORE = {None: ("加载更多", "显示 {n} / 超过 {total} 项", "显示 {n} / 共 {total} 项"),
             "en": ("Load more", "Showing {n} of more than {total}", "Showing {n} of {total}")}


@pytest.mark.parametrize("viewport, locale", [(WIDE, None), (PHONE, None), (PHONE, "en")],
                         ids=["1366", "375", "375-en"])
def test_the_overseer_pages_with_load_more_while_tasks_close(page_as, api_as, shot, fake_clock, monkeypatch, viewport,
                                                              locale):
    """抄送我 of the district's org_admin, 3 at a time by cursor ("?limit=3"): "加载更多" until the end,
    a task completed between two pages, the capped total shown as "超过 N 项", never a guess."""
    _launch_and_pledge(api_as, ["m1"])
    admin = api_as("admin")
    listed = _ok(admin.call("GET", "/api/tasks?scope=cc&limit=500"))["items"]
    assert len(listed) >= 8, [t["name"] for t in listed]
    monkeypatch.setattr(queries, "TOTAL_CAP", 5)  # the server runs in this process: count up to 5 only
    label, more_than, exact = LOAD_MORE[locale]
    page = page_as("admin", viewport=viewport, locale=locale)
    if locale:
        page.goto(f"/lang/{locale}")
    page.goto("/?scope=cc&limit=3")
    rows = page.locator("#task-list .task-row")
    rows.nth(2).wait_for()
    assert page.locator("#more").inner_text() == more_than.format(n=3, total=5)
    button = page.get_by_role("button", name=label)
    if viewport is PHONE:
        _no_sideways_scroll(page, "the inbox with its load-more button")
    shot(page, f"inbox-load-more-admin-{viewport['width']}{'-' + locale if locale else ''}")
    # A pledge not yet shown is written meanwhile: it leaves the list without shifting the rest.
    shown = page.eval_on_selector_all("#task-list .task-row", "rows => rows.map(r => Number(r.dataset.taskId))")
    later = [t for t in listed if t["id"] not in shown and t["element_id"] == "DraftPledge"][-1]
    writer = api_as(later["assignee"])
    _ok(writer.call("POST", f"/api/tasks/{later['id']}/complete",
                    {"data": {"content": "每周参加一次志愿服务", "deadline": "2026-11-20"}}))
    clicks = 0
    while button.is_visible():
        before = rows.count()
        button.click()
        clicks += 1
        page.wait_for_function("n => document.querySelectorAll('#task-list .task-row').length > n"
                               " || document.getElementById('load-more').hidden", arg=before)
        page.wait_for_function("() => !document.getElementById('load-more').disabled")
    ids = page.eval_on_selector_all("#task-list .task-row", "rows => rows.map(r => Number(r.dataset.taskId))")
    assert len(ids) == len(set(ids)), "a task was listed twice"
    assert {t["id"] for t in listed} - {later["id"]} <= set(ids), "a task was skipped"
    assert later["id"] not in ids[len(shown):]
    assert clicks >= 2
    assert button.is_hidden()
    monkeypatch.setattr(queries, "TOTAL_CAP", 1_000)
    page.reload()
    rows.nth(2).wait_for()
    total = _ok(admin.call("GET", "/api/tasks?scope=cc&limit=1"))["total"]
    assert page.locator("#more").inner_text() == exact.format(n=3, total=total)
