"""Every process with a start form is started from /start by the role that starts it, through
the form as a user fills it, and the page reaches the created instance or its first task."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def _start(page, process):
    page.goto(f"/start?process={process}")
    page.wait_for_selector("#start-fields .field")


def test_member_requests_a_talk_and_the_contact_sees_it(page_as, shot):
    page = page_as("m1", viewport=PHONE)
    _start(page, "talk_request")
    page.get_by_label("约谈对象").select_option("secretary")
    page.get_by_label("谈话主题").fill("想谈谈工作上的困惑")
    page.get_by_label("希望的谈话时间").fill("下周二下午")
    page.get_by_role("button", name="发起", exact=True).click()
    page.wait_for_url("**/instances/*?started=1")  # the answer is the contact's: the instance shows it
    page.wait_for_selector(".banner.ok:has-text('已发起')")
    page.wait_for_selector(".task-list a:has-text('答复约谈时间和地点')")
    shot(page, "start-talk-request-m1")
    contact = page_as("contact1")
    contact.wait_for_selector(".task-name:has-text('答复约谈时间和地点')")
    contact.locator(".task-name:has-text('答复约谈时间和地点')").first.click()
    contact.wait_for_selector("form.task-form")
    assert "想谈谈工作上的困惑" in contact.locator("#task").inner_text()


def test_a_refused_start_names_its_field(page_as):
    page = page_as("m1")
    _start(page, "talk_request")
    star = "[data-field=requested_person] label .req"
    assert page.locator(star).count() == 0  # asking the secretary: nobody to name
    page.get_by_label("约谈对象").select_option("member")  # then the person is required, and marked
    assert page.locator(star).count() == 1
    page.get_by_label("谈话主题").fill("想谈谈")
    page.get_by_label("希望的谈话时间").fill("周末")
    page.get_by_role("button", name="发起", exact=True).click()
    page.wait_for_selector("[data-field=requested_person] .field-error:not(:empty)")
    assert page.url.endswith("/start?process=talk_request")


def test_secretary_starts_a_talk(page_as, shot):
    page = page_as("sec1")
    _start(page, "talk")
    page.get_by_label("谈话类型").select_option("periodic")
    page.get_by_label("谈话对象").select_option(label="李芳")  # the branch's members by name
    page.get_by_role("button", name="发起", exact=True).click()
    page.wait_for_url("**/tasks/*?started=1")
    page.wait_for_selector("form.task-form")
    assert "约谈" in page.locator("h1").inner_text()
    shot(page, "start-talk-sec1")


def test_secretary_starts_a_selection(page_as, shot):
    page = page_as("sec1", viewport=PHONE)
    _start(page, "excellent_member_selection")
    page.get_by_label("季度").fill("2026-Q4")
    page.get_by_role("button", name="发起", exact=True).click()
    page.wait_for_url("**/tasks/*?started=1")  # the secretary is a member too: his own evaluation
    page.wait_for_selector("form.task-form")
    shot(page, "start-selection-sec1")
