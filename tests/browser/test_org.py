"""The organisation page as an org_admin uses it (issue 15.5): the roster import with a broken
row shows the row and column of the problem and writes nothing; the fixed file imports; the
tree, a person's positions and a transfer with a reason, on a phone and a desktop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.orgadmin.roster import HEADER
from server.spreadsheets import Sheet, workbook
from tests.browser.conftest import DESKTOP, PHONE

ROWS = [["xu1", "徐一", "demo-branch3", "党员", "2026-03-01", None],
        ["xu2", "徐二", "demo-branch3", "入党积极分子", None, None]]


def roster(tmp_path: Path, name: str, rows: list[list[Any]]) -> str:
    path = tmp_path / name
    path.write_bytes(workbook(Sheet("花名册", HEADER, rows)))
    return str(path)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_roster_import_with_a_broken_row(page_as: Any, api_as: Any, shot: Any, tmp_path: Path,
                                         viewport: Any) -> None:
    width = "phone" if viewport is PHONE else "desktop"
    admin = page_as("admin", viewport=viewport)
    if viewport is PHONE:
        admin.goto("/me")  # on a phone every place is on 我的
    admin.get_by_role("link", name="组织管理").click()
    admin.wait_for_selector('#org-tree li[data-code="demo-branch3"]')
    shot(admin, f"org-tree-{width}")
    broken = [ROWS[0], ["xu2", "徐二", "demo-branch9", "入党积极分子", "2026-02-30", None]]
    admin.set_input_files("#roster-file", roster(tmp_path, "broken.xlsx", broken))
    admin.get_by_role("button", name="检查（试导入）").click()
    admin.wait_for_selector("#roster-errors")
    errors = admin.locator("#roster-errors tbody tr").all_inner_texts()
    assert any("3" in e and "组织代码" in e and "demo-branch9" in e for e in errors), errors
    assert any("3" in e and "开始日期" in e for e in errors), errors
    assert admin.locator("#roster-import").is_disabled()
    shot(admin, f"org-roster-errors-{width}")
    assert api_as("admin").call("GET", "/api/people/xu1")[0] == 404  # nothing written

    admin.set_input_files("#roster-file", roster(tmp_path, "fixed.xlsx", ROWS))
    admin.get_by_role("button", name="检查（试导入）").click()
    admin.wait_for_selector("#roster-ok")
    assert "新建 2" in admin.locator("#roster-counts").inner_text()
    assert api_as("admin").call("GET", "/api/people/xu1")[0] == 404  # a dry run writes nothing
    admin.get_by_role("button", name="导入", exact=True).click()
    admin.wait_for_selector("#roster-ok:has-text('导入完成')")
    shot(admin, f"org-roster-imported-{width}")
    assert api_as("admin").call("GET", "/api/people/xu1")[0] == 200


def test_a_person_is_transferred_with_a_reason(page_as: Any, api_as: Any, shot: Any) -> None:
    admin = page_as("admin", viewport=PHONE)
    admin.goto("/org")
    admin.wait_for_selector('#org-tree li[data-code="demo-branch1"]')
    admin.fill("#person-q", "m3")
    admin.get_by_role("button", name="查看").click()
    admin.wait_for_selector("#person-positions tbody tr")
    assert "第一党支部" in admin.locator("#person-positions").inner_text()
    admin.get_by_role("button", name="转接组织关系").click()
    admin.select_option("#org-target", "demo-branch2")
    admin.get_by_role("button", name="确定").click()
    assert "请填写原因" in admin.locator("#org-dialog-msg").inner_text()
    admin.fill("#org-reason", "工作调动")
    shot(admin, "org-transfer-dialog-phone")
    admin.get_by_role("button", name="确定").click()
    admin.wait_for_selector("#org-dialog-msg:has-text('已完成')")
    admin.get_by_role("button", name="关闭").click()
    admin.wait_for_selector("#person-positions tbody tr:has-text('第二党支部')")
    shot(admin, "org-person-transferred-phone")
    person = api_as("admin").call("GET", "/api/people/m3")[1]
    assert [(p["role"], p["org_unit"]["code"]) for p in person["positions"] if p["active"]] == [
        ("member", "demo-branch2")]
