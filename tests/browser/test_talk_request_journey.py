"""The talk request walked at 375 px and 1366 px, in Chinese and in English: the member asks
through the start form, follows his request; the contact sees who asked and answers with a
time, a place and a talker picked by name; the talker finds the talk to record. Process names,
task names, stages, instructions, working days and errors in the page's language, nothing of
the other language from the engine."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
WIDE = {"width": 1366, "height": 900}
HAN = re.compile(r"[\u4e00-\u9fff]")
#: what people typed and who they are: not the page's own words
DATA = ("想谈谈工作上的困惑", "第一党支部书记", "第一党支部联络员", "第一党支部", "王伟", "支部活动室", "下周二下午")
WORDS = {
    "zh": {"process": "双向约谈", "with": "约谈对象", "topic": "谈话主题", "times": "希望的谈话时间", "start": "发起",
           "answer": "答复约谈时间和地点", "stage": "约谈申请", "left": r"剩 \d+ 个工作日",
           "quoted": "「答复约谈时间和地点」",
           "instructions": "在3个工作日内答复申请人", "requested by": "申请人", "when": "约谈时间", "place": "约谈地点",
           "talker": "谈话人", "way": "谈话方式", "face": "面对面", "submit": "提交", "submitted": "已提交",
           "record": "谈话并填写谈心谈话记录表", "missing": "此任务不存在"},
    "en": {"process": "Requested talk", "with": "Talk with", "topic": "Topic", "times": "Preferred times",
           "start": "Start", "answer": "Answer with a time and a place", "stage": "Talk request",
           "left": r"\d working days? left", "quoted": "“Answer with a time and a place”",
           "instructions": "Answer the member within 3 working days", "requested by": "Requested by",
           "when": "When", "place": "Place", "talker": "Talker", "way": "Way", "face": "Face to face",
           "submit": "Submit", "submitted": "Submitted", "record": "Hold the talk and write the record",
           "missing": "does not exist"},
}


def _in_its_language(text, lang, what):
    """English mode shows no Chinese but the data; Chinese mode none of the English labels."""
    if lang == "en":
        for word in DATA:
            text = text.replace(word, "")
        assert not HAN.search(text), f"Chinese on {what} in English: {HAN.findall(text)} in {text!r}"
    else:
        for word in WORDS["en"].values():
            if not word.startswith(("\\", "“")):
                assert word not in text, (what, word, text)


@pytest.mark.parametrize(("viewport", "lang"), [(WIDE, "en"), (PHONE, "en"), (PHONE, "zh"), (WIDE, "zh")],
                         ids=["1366-en", "375-en", "375-zh", "1366-zh"])
def test_a_talk_request_asked_answered_and_found_by_the_talker(page_as, shot, viewport, lang):
    words, width = WORDS[lang], viewport["width"]
    page = page_as("m1", viewport=viewport, locale=lang)
    page.goto(f"/lang/{lang}")  # the person's language, kept with his account
    page.goto("/start?process=talk_request")
    page.wait_for_selector("#start-fields .field")
    assert page.locator("#start-process option:checked").inner_text() == words["process"]
    page.get_by_label(words["with"]).select_option("secretary")
    page.get_by_label(words["topic"]).fill("想谈谈工作上的困惑")
    page.get_by_label(words["times"]).fill("下周二下午")
    shot(page, f"journey-talk-request-start-m1-{width}-{lang}")
    page.get_by_role("button", name=words["start"], exact=True).click()
    page.wait_for_url("**/instances/*?started=1")
    page.wait_for_selector(".task-list .task-name")
    instance = page.locator("#instance").inner_text()
    assert words["process"] in instance and words["answer"] in instance, instance
    assert words["stage"] in page.locator(".stages").inner_text()
    assert re.search(words["left"], instance), instance
    assert words["quoted"] in instance  # the history in words, in the page's language
    _in_its_language(instance, lang, "the member's instance page")
    shot(page, f"journey-talk-request-instance-m1-{width}-{lang}")

    contact = page_as("contact1", viewport=viewport, locale=lang)
    contact.goto(f"/lang/{lang}")
    contact.wait_for_selector(f".task-name:has-text('{words['answer']}')")
    row = contact.locator(".task-row", has_text=words["answer"]).inner_text()
    assert words["stage"] in row and "王伟" in row, row  # the card names the member
    _in_its_language(row, lang, "the contact's card")
    contact.locator(".task-name", has_text=words["answer"]).click()
    contact.wait_for_selector("form.task-form [data-type]")
    text = contact.locator("#task").inner_text()
    assert words["instructions"] in text and words["requested by"] in text and "王伟" in text, text
    contact.get_by_label(words["when"]).fill("2026-10-13T15:00")
    contact.get_by_label(words["place"]).fill("支部活动室")
    contact.locator("#f-talker").select_option(label="第一党支部书记")  # the talker by name
    contact.get_by_label(words["way"]).select_option(label=words["face"])
    _in_its_language(contact.locator("#task").inner_text(), lang, "the contact's answer")
    shot(contact, f"journey-talk-answer-contact1-{width}-{lang}")
    submit = contact.locator("form.task-form button[type=submit]")
    assert submit.inner_text() == words["submit"]
    submit.click()
    contact.wait_for_url("**/?submitted=*")
    contact.wait_for_selector(f"#inbox-status.ok:has-text('{words['submitted']}')")

    # The talker (the branch secretary) finds the talk to hold and record.
    talker = page_as("sec1", viewport=viewport, locale=lang)
    talker.goto(f"/lang/{lang}")
    talker.wait_for_selector(f".task-name:has-text('{words['record']}')")
    assert "王伟" in talker.locator(".task-row", has_text=words["record"]).inner_text()

    # An error from the server in the page's language: someone else's task.
    contact.goto("/tasks/999999")
    contact.wait_for_selector(f"#task:has-text('{words['missing']}')")
    shot(contact, f"journey-talk-error-contact1-{width}-{lang}")
