"""A member rates the others in the mass appraisal (the member's journey: …, report
fulfilment, rate), on a phone: one row per other member of the branch, already named, three
choices each; nobody is typed as a username and nobody rates himself."""

from __future__ import annotations

import pytest

from tests.campaign.test_stage_closing import MEMBERS, fulfil, launch, mobilise, my_task, pledge, review, set_now

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def test_a_member_rates_the_others_row_by_row(page_as, as_user, shot, fake_clock):
    set_now(fake_clock, "2026-09-28T10:00:00+08:00")
    launch(as_user)
    mobilise(as_user)
    pledge(as_user, MEMBERS)
    set_now(fake_clock, "2026-11-21T10:00:00+08:00")  # the pledges' deadline has passed: they report
    fulfil(as_user, MEMBERS)
    review(as_user)
    task = my_task(as_user("m2"), "MassAppraisal")
    page = page_as("m2", viewport=PHONE)
    page.goto(f"/tasks/{task['id']}")
    page.wait_for_selector(".array-row")
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
    shot(page, "form-appraisal-rows-m2")
    page.locator("form.task-form button[type=submit]").click()
    page.wait_for_selector("#inbox-status.ok")
