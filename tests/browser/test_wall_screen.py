"""A wall screen without an account: the secretary creates a link on the board page, a screen
with no login opens it and sees the public board, the secretary revokes it and the screen goes
dark; the phone layout (tab bar, 我的) on the way."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def test_secretary_gives_a_screen_the_board_and_takes_it_back(page_as, browser, live_server, shot):
    page = page_as("sec1", viewport=PHONE)
    tabbar = page.get_by_role("navigation", name="底部导航")
    assert tabbar.is_visible() and page.get_by_role("navigation", name="主菜单").is_hidden()
    assert page.locator("header.top").bounding_box()["height"] <= 56  # one line, not four
    assert tabbar.get_by_role("link", name="待办").get_attribute("aria-current") == "page"
    tabbar.get_by_role("link", name="我的").click()
    page.wait_for_selector("#me")
    assert "第一党支部 · 书记" in page.locator(".positions").inner_text()
    shot(page, "layout-me-sec1-phone")
    page.goto("/board/demo-branch1")
    box = page.locator("#screens")
    box.wait_for(state="visible")
    box.locator("summary").click()
    box.get_by_role("button", name="生成链接").click()
    assert box.locator("#screen-label-err").inner_text() == "请填写大屏所在位置"
    box.get_by_label("大屏所在位置").fill("党员活动室")
    box.get_by_role("button", name="生成链接").click()
    url = page.locator("#screen-url").input_value()
    assert url.startswith(live_server + "/wall/")
    page.wait_for_function("document.querySelectorAll('#screen-list li').length === 1")
    shot(page, "wall-link-created-sec1-phone")

    screen = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        wall = screen.new_page()
        wall.goto(url)
        wall.wait_for_selector("#board-body h1")
        assert "第一党支部" in wall.locator("#board-body h1").inner_text()
        assert wall.locator("header.top").is_hidden() and wall.locator(".objection").count() == 0
        shot(wall, "wall-screen-without-account")

        page.locator("#screen-list li").get_by_role("button", name="停用").click()
        page.wait_for_function("document.querySelectorAll('#screen-list li').length === 0")
        assert page_as.dialogs and "党员活动室" in page_as.dialogs[-1]
        wall.reload()
        wall.wait_for_selector("#board-body .banner.error")
        assert "已停用" in wall.locator("#board-body").inner_text()
    finally:
        screen.close()
