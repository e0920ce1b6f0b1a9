"""Form widgets that capture what the forms ask for: a list as rows (the talk record's problem
list), date-time pickers in Beijing time, a person picker by display name restricted to the
unit's eligible people, a deadline in the past refused in Chinese beside its field."""

from __future__ import annotations

import pytest

from tests.browser.test_ui_everyday import _launch_and_pledge, _ok

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
WIDE = {"width": 1366, "height": 900}


def _mine(client, element_id):
    items = _ok(client.call("GET", "/api/tasks?scope=mine&limit=100"))["items"]
    return next(t for t in items if t["element_id"] == element_id)


RECORD_WORDS = {
    "zh": {"way": "谈话方式", "add": "添加一项：反映的突出问题（问题清单）", "not before today": "不能早于今天"},
    "en": {"way": "Way", "add": "Add: Problems raised", "not before today": "must not be before today"},
}


@pytest.mark.parametrize(("viewport", "lang"), [(WIDE, "zh"), (PHONE, "zh"), (WIDE, "en"), (PHONE, "en")],
                         ids=["1366-zh", "375-zh", "1366-en", "375-en"])
def test_secretary_records_a_talk_with_a_problem_list(page_as, api_as, shot, viewport, lang):
    words = RECORD_WORDS[lang]
    sec1 = api_as("sec1")
    _ok(sec1.call("POST", "/api/talks", {"org_unit": "demo-branch1", "kind": "periodic", "member": "m2",
                                         "talker": "sec1", "scheduled_at": "2026-12-04T15:00:00+08:00",
                                         "place": "支部活动室", "way": "face_to_face"}), 201)
    record = _mine(sec1, "RecordTalk")
    page = page_as("sec1", viewport=viewport, locale=lang)
    if lang == "en":
        page.goto("/lang/en")
    page.goto(f"/tasks/{record['id']}")
    page.wait_for_selector("[data-field=problems] .add-row")
    assert "李芳" in page.locator(".context").inner_text()  # the member by name in the summary
    assert page.locator("textarea#f-problems").count() == 0  # no JSON box
    page.fill("#f-held_on", "2026-12-04")
    page.get_by_label(words["way"]).select_option("face_to_face")
    page.fill("#f-main_content", "交流了近期工作和家庭情况")
    for i, (text, owner, deadline) in enumerate([("孩子入学有困难", "李芳", "2027-01-15"),
                                                 ("社区志愿服务时间冲突", "第一党支部书记", "2026-01-15")]):
        page.get_by_role("button", name=words["add"]).click()
        page.fill(f"#f-problems-{i}-description", text)
        page.locator(f"#f-problems-{i}-owner").select_option(label=owner)
        page.fill(f"#f-problems-{i}-measure", "支部协调，限期解决")
        page.fill(f"#f-problems-{i}-deadline", deadline)
    # The second deadline is last January: refused beside that row's field, in the page's language.
    page.click("form.task-form button[type=submit]")
    page.wait_for_selector(f"[data-field='problems.1.deadline'] .field-error:has-text('{words['not before today']}')")
    assert page.url.endswith(f"/tasks/{record['id']}")
    page.fill("#f-problems-1-deadline", "2027-01-20")
    shot(page, f"form-talk-record-problems-sec1-{viewport['width']}-{lang}")
    page.click("form.task-form button[type=submit]")
    page.wait_for_selector("#inbox-status.ok")
    talks = _ok(sec1.call("GET", "/api/talks/problems?org_unit=demo-branch1"))
    owners = sorted(p["owner"]["username"] for p in talks["items"])
    assert owners == ["m2", "sec1"], talks


def test_member_asks_for_a_talk_with_a_member_picked_by_name(page_as, api_as, shot):
    page = page_as("m1", viewport=PHONE)
    page.goto("/start?process=talk_request")
    page.wait_for_selector("#f-requested_person option:has-text('李芳')", state="attached")
    names = page.locator("#f-requested_person option").all_inner_texts()
    assert "李芳" in names and "m2" not in names and "区委组织部管理员" not in names, names  # members of the branch
    page.get_by_label("约谈对象").select_option("member")
    page.get_by_label("约谈人").select_option(label="李芳")
    page.get_by_label("谈话主题").fill("请教做群众工作的方法")
    page.get_by_label("希望的谈话时间").fill("周四晚上")
    page.get_by_role("button", name="发起", exact=True).click()
    page.wait_for_url("**/instances/*?started=1")
    shot(page, "form-talk-request-person-m1")


def test_a_pledge_deadline_in_the_past_is_refused_in_chinese(page_as, api_as, shot, fake_clock):
    _launch_and_pledge(api_as, [])
    draft = _mine(api_as("m1"), "DraftPledge")
    page = page_as("m1", viewport=PHONE)
    page.goto(f"/tasks/{draft['id']}")
    page.wait_for_selector("#f-deadline")
    assert page.get_attribute("#f-deadline", "min")  # the picker itself starts at today
    page.fill("#f-content", "每月走访两户困难群众")
    page.fill("#f-deadline", "2020-01-01")
    page.click("form.task-form button[type=submit]")
    page.wait_for_selector("[data-field=deadline] .field-error:has-text('不能早于今天')")
    assert page.evaluate("document.activeElement.id") == "f-deadline"
    shot(page, "form-pledge-past-deadline-m1")
