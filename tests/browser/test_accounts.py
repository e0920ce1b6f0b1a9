"""Accounts as people use them (issue 15 item 5, issue 14 item 3): an administrator resets a
forgotten password on the people page; the member logs in with the temporary one and must
choose her own first; everyone changes a password from 我的 (the tab bar on a phone, the name in
the header on a desktop); the login page says to
wait after too many failures; and the pages still work under the content security policy."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE

NEW = "red flag over the river"


def _menu(page: Any, name: str) -> None:
    """Open a page from the header where it shows (desktop), else from 我的 (the phone's tab bar)."""
    link = page.locator("header.top").get_by_role("link", name=name)
    if link.count() and link.first.is_visible():
        link.first.click()
        return
    page.locator("nav.tabbar").get_by_role("link", name="我的").click()
    page.wait_for_url("**/me")
    page.locator("section.me").get_by_role("link", name=name).click()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_reset_then_forced_change(page_as: Any, browser: Any, live_server: str, shot: Any, viewport: Any) -> None:
    width = "phone" if viewport is PHONE else "desktop"
    admin = page_as("admin", viewport=viewport)
    _menu(admin, "人员")
    admin.wait_for_selector("#people-list tbody tr")
    admin.fill("#people-q", "m1")
    admin.get_by_role("button", name="搜索").click()
    row = admin.locator('#people-list tbody tr[data-user="m1"]')
    row.wait_for()
    assert "王伟" in row.inner_text() and "第一党支部" in row.inner_text()
    shot(admin, f"accounts-people-{width}")
    row.get_by_role("button", name="重置密码").click()
    admin.fill("#people-reason", "本人忘记密码，电话申请")
    shot(admin, f"accounts-reset-dialog-{width}")
    admin.get_by_role("button", name="确定").click()
    temporary = admin.locator("#people-temporary").inner_text()
    assert len(temporary) == 12
    shot(admin, f"accounts-reset-done-{width}")
    admin.get_by_role("button", name="关闭").click()
    assert "待改密码" in admin.locator('#people-list tbody tr[data-user="m1"]').inner_text()

    member = page_as("m1", password=temporary, viewport=viewport)
    assert member.url.endswith("/password")
    assert member.locator(".banner.notice").is_visible()
    member.goto("/start")  # nothing else opens before the change
    assert member.url.endswith("/password")
    shot(member, f"accounts-forced-change-{width}")
    member.fill("#old", temporary)
    member.fill("#new", "12345678")
    member.fill("#confirm", "12345678")
    member.get_by_role("button", name="保存新密码").click()
    assert "最常见" in member.locator("#new-error").inner_text()
    shot(member, f"accounts-forced-change-refused-{width}")
    member.fill("#old", temporary)
    member.fill("#new", NEW)
    member.fill("#confirm", NEW)
    member.get_by_role("button", name="保存新密码").click()
    member.wait_for_selector(".banner.ok")
    member.get_by_role("link", name="返回待办").click()
    member.wait_for_selector("#count-mine")
    assert not member.url.endswith("/password")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_change_my_password_from_me(page_as: Any, shot: Any, viewport: Any) -> None:
    width = "phone" if viewport is PHONE else "desktop"
    page = page_as("sec1", viewport=viewport)
    if viewport is PHONE:
        _menu(page, "修改密码")
    else:
        page.locator("header.top a.who").click()
        page.wait_for_url("**/me")
        page.locator("section.me").get_by_role("link", name="修改密码").click()
    page.fill("#old", "demo")
    page.fill("#new", NEW)
    page.fill("#confirm", NEW)
    shot(page, f"accounts-change-{width}")
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_selector(".banner.ok")
    shot(page, f"accounts-changed-{width}")
    page.goto("/")
    page.wait_for_selector("#count-mine")  # still logged in here


def test_the_login_page_says_to_wait(browser: Any, live_server: str, shot: Any) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server)
    page = context.new_page()
    page.goto("/login")
    for _ in range(6):
        page.fill("#username", "m9")
        page.fill("#password", "wrong")
        page.click("form.login button[type=submit]")
        page.wait_for_selector("form.login .error")
    text = page.locator("form.login .error").inner_text()
    assert "尝试次数过多" in text and "秒" in text
    shot(page, "accounts-login-throttled-phone")
    context.close()


def test_designer_and_dashboard_run_under_the_content_security_policy(browser: Any, live_server: str) -> None:
    """The other browser tests bypass the policy (Playwright's string predicates use eval);
    here it is enforced, and the pages must load, draw and raise nothing."""
    violations: list[str] = []
    errors: list[str] = []
    for username, path, ready in (("designer", "/designer/activity_report", ".djs-container .djs-shape"),
                                  ("designer", "/designer/new", ".djs-container"),
                                  ("admin", "/dashboard", "#dash-status"),
                                  ("admin", "/calendar", "#cal-months button"),
                                  ("admin", "/monitor", "main")):
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN", base_url=live_server)
        page = context.new_page()
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", "demo")
        with page.expect_navigation():
            page.click("form.login button[type=submit]")
        page.goto(path)
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
        context.close()
    assert violations == [] and errors == [], (violations, errors)
