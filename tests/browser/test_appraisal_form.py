"""A member rates the others in the mass appraisal (the member's journey: …, report
fulfilment, rate), at 375 px and 1366 px, in Chinese and in English: one row per other member of
the branch, already named, three choices each; nobody is typed as a username and nobody rates
himself."""

from __future__ import annotations

import pytest

from tests.campaign.test_stage_closing import MEMBERS, fulfil, launch, mobilise, my_task, pledge, review, set_now

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
WIDE = {"width": 1366, "height": 900}
#: the first row's member (the branch's contact, named by the unit) and the page's words
WORDS = {"zh": {"title": "群众评议", "question": "党性观念强不强", "submitted": "已提交"},
         "en": {"title": "Mass appraisal", "question": "Strong party spirit?", "submitted": "Submitted"}}


@pytest.mark.parametrize(("viewport", "lang"), [(PHONE, "zh"), (WIDE, "zh"), (PHONE, "en"), (WIDE, "en")],
                         ids=["375-zh", "1366-zh", "375-en", "1366-en"])
def test_a_member_rates_the_others_row_by_row(page_as, as_user, shot, fake_clock, viewport, lang):
    words = WORDS[lang]
    set_now(fake_clock, "2026-09-28T10:00:00+08:00")
    launch(as_user)
    mobilise(as_user)
    pledge(as_user, MEMBERS)
    set_now(fake_clock, "2026-11-21T10:00:00+08:00")  # the pledges' deadline has passed: they report
    fulfil(as_user, MEMBERS)
    review(as_user)
    task = my_task(as_user("m2"), "MassAppraisal")
    page = page_as("m2", viewport=viewport, locale=lang)
    if lang == "en":
        page.goto("/lang/en")
    page.goto(f"/tasks/{task['id']}")
    page.wait_for_selector(".array-row")
    assert page.locator("h1").inner_text() == words["title"]
    assert page.get_by_label(words["question"]).count() == len(MEMBERS) - 1  # each row's question, labelled
    rows = page.locator(".array-row")
    assert rows.count() == len(MEMBERS) - 1  # every other member, not m2 himself
    page.wait_for_selector("#f-ratings-0-member option:checked:has-text('第一党支部联络员')", state="attached")
    chosen = [rows.nth(i).locator("select").first.evaluate("s => s.options[s.selectedIndex].text")
              for i in range(rows.count())]
    assert "李芳" not in chosen and "王伟" in chosen and not any(c.startswith("m") for c in chosen), chosen
    for i in range(rows.count()):
        for question in ("party_spirit", "service", "vanguard"):
            page.locator(f"#f-ratings-{i}-{question}").select_option("qualified")
    page.locator("#f-ratings-0-party_spirit").select_option("excellent")
    shot(page, f"form-appraisal-rows-m2-{viewport['width']}-{lang}")
    page.locator("form.task-form button[type=submit]").click()
    page.wait_for_selector(f"#inbox-status.ok:has-text('{words['submitted']}')")
