"""The talk request walked in English at 375 px and 1366 px: process names, task names,
stages, instructions, working days and errors in English, nothing Chinese from the engine."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
WIDE = {"width": 1366, "height": 900}
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1366", "375"])
def test_a_talk_request_in_english(page_as, shot, viewport):
    page = page_as("m1", viewport=viewport, locale="en")
    page.goto("/lang/en")  # the person's language, kept with his account
    page.goto("/start?process=talk_request")
    page.wait_for_selector("#start-fields .field")
    assert page.locator("#start-process option:checked").inner_text() == "Requested talk"
    page.get_by_label("Talk with").select_option("secretary")
    page.get_by_label("Topic").fill("想谈谈工作上的困惑")
    page.get_by_label("Preferred times").fill("Tuesday afternoon")
    page.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_url("**/instances/*?started=1")
    page.wait_for_selector(".task-list .task-name")
    instance = page.locator("#instance").inner_text()
    assert "Requested talk" in instance and "Answer with a time and a place" in instance, instance
    assert "Talk request" in page.locator(".stages").inner_text()
    assert re.search(r"\d working days? left", instance), instance
    assert "“Answer with a time and a place”" in instance  # the history in words, in English
    shot(page, f"en-instance-m1-{viewport['width']}")

    contact = page_as("contact1", viewport=viewport, locale="en")
    contact.goto("/lang/en")
    contact.wait_for_selector(".task-name:has-text('Answer with a time and a place')")
    row = contact.locator(".task-row", has_text="Answer with a time and a place").inner_text()
    assert "Talk request" in row and not HAN.search(row.replace("想谈谈工作上的困惑", "")
                                                    .replace("第一党支部", "").replace("王伟", "")), row
    contact.locator(".task-name", has_text="Answer with a time and a place").click()
    contact.wait_for_selector("form.task-form")
    text = contact.locator("#task").inner_text()
    assert "Answer the member within 3 working days" in text and "Requested by" in text, text
    # An error from the server in English: someone else's task.
    contact.goto("/tasks/999999")
    contact.wait_for_selector("#task:has-text('does not exist')")
    shot(contact, f"en-error-contact1-{viewport['width']}")
