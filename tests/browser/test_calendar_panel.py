"""The calendar's edit panel opens where the user clicked: beside the months and in view on a
wide screen, right under the clicked day's month on a phone."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 375, "height": 740}],
                         ids=["1366", "375"])
def test_the_edit_panel_is_where_the_day_was_clicked(page_as, shot, viewport):
    page = page_as("admin", viewport=viewport)
    page.goto("/calendar?year=2026")
    day = page.locator("[data-day='2026-11-20']")
    day.scroll_into_view_if_needed()
    day.click()
    page.wait_for_selector("#cal-day:has-text('2026-11-20')")
    box = page.locator("#cal-edit").bounding_box()
    clicked = day.bounding_box()
    assert box is not None and clicked is not None
    if viewport["width"] < 720:
        # directly under November: the panel starts below the day, before December
        december = page.locator("[data-day='2026-12-01']").bounding_box()
        assert clicked["y"] < box["y"] < december["y"], (clicked, box, december)
        page.locator("#cal-edit").scroll_into_view_if_needed()
    else:
        assert 0 <= box["y"] < viewport["height"], box  # in view beside the months
    shot(page, f"calendar-panel-admin-{viewport['width']}", full_page=False)
