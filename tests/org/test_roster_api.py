"""The roster workbook (issue 15.3): template, a dry run reporting every problem by row and
column and changing nothing, an import that is idempotent on the username, the export."""

from __future__ import annotations

import io
import time
from typing import Any

from openpyxl import load_workbook

from server.demo import GIVEN, SURNAMES
from server.orgadmin.roster import HEADER
from server.spreadsheets import Sheet, workbook
from tests.campaign.test_campaign_api import ok
from tests.orgkit import hold

GOOD_ROWS = [
    ["wang1", "王一", "demo-branch3", "党员", "2026-03-01", "wang1@example.org"],
    ["li2", "李二", "demo-branch3", "入党积极分子", None, None],
    ["zhang3", "张三", "demo-branch3", "发展对象", None, None],
    ["m21", "张建", "demo-branch3", "党员、党小组长", None, None],  # existing member: a new role, a new name
    ["m22", None, "demo-branch3", "党员", None, None],
]


def xlsx(rows: list[list[Any]], header: tuple[str, ...] = HEADER) -> bytes:
    return workbook(Sheet("花名册", header, rows))


def upload(client: Any, content: bytes, dry_run: bool) -> Any:
    return client.post("/api/people/import", data={"file": (io.BytesIO(content), "roster.xlsx"),
                                                   "dry_run": "true" if dry_run else "false"},
                       headers={"X-CSRFToken": ok(client.get("/api/me"))["csrf_token"]},
                       content_type="multipart/form-data")


def people(client: Any) -> dict[str, Any]:
    return {p["username"]: p for p in ok(client.get("/api/people?limit=500"))["items"]}


def test_template_and_export(as_user: Any) -> None:
    admin = as_user("admin")
    res = admin.get("/api/people/template.xlsx")
    assert res.status_code == 200 and res.mimetype.endswith("sheet")
    sheet = load_workbook(io.BytesIO(res.data)).worksheets[0]
    assert tuple(c.value for c in sheet[1]) == HEADER
    assert as_user("sec1").get("/api/people/template.xlsx").status_code == 403
    exported = admin.get("/api/people/export.xlsx")
    rows = list(load_workbook(io.BytesIO(exported.data)).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == HEADER and len(rows) == 1 + 41
    assert ("sec1", "第一党支部书记", "demo-branch1", "书记、党员", None, None) in rows
    assert as_user("m1").get("/api/people/export.xlsx").status_code == 403
    # the export imports again as it is: nothing changes
    report = ok(upload(admin, exported.data, dry_run=False))
    assert (report["rows"], report["created"], report["updated"], report["unchanged"]) == (41, 0, 0, 41)


def test_a_dry_run_reports_every_problem_and_changes_nothing(as_user: Any) -> None:
    admin = as_user("admin")
    broken = [*GOOD_ROWS,
              ["wang1", "王一", "demo-branch3", "党员", None, None],  # duplicate
              ["bad name", "坏", "demo-branch3", "党员", None, None],
              ["zhou4", "周四", "nowhere", "党员", None, None],
              ["wu5", "吴五", "demo-branch2", "国王", "2026-02-30", "not-an-address"],
              ["m1", "王伟", "demo-branch3", "党员", None, None]]  # a member of branch 1 already
    before = people(admin)
    report = ok(upload(admin, xlsx(broken), dry_run=False))
    assert report["imported"] is False
    errors = {(e["row"], e["column"]) for e in report["errors"]}
    assert errors == {(6, "姓名"), (7, "用户名"), (8, "用户名"), (9, "组织代码"), (10, "职务"), (10, "开始日期"),
                      (10, "邮箱"), (11, "组织代码")}, report["errors"]
    assert people(admin) == before
    assert as_user("sec1").post("/api/people/import").status_code in (400, 403)


def test_import_then_reimport_changes_nothing(as_user: Any) -> None:
    admin = as_user("admin")
    rows = [r if r[1] else [r[0], SURNAMES[21] + GIVEN[21], *r[2:]] for r in GOOD_ROWS]  # m22 as he is
    dry = ok(upload(admin, xlsx(rows), dry_run=True))
    assert (dry["rows"], dry["created"], dry["updated"], dry["unchanged"], dry["errors"]) == (5, 3, 1, 1, [])
    assert dry["imported"] is False and "wang1" not in people(admin)
    done = ok(upload(admin, xlsx(rows), dry_run=False))
    assert done["imported"] is True and (done["created"], done["updated"], done["unchanged"]) == (3, 1, 1)
    listed = people(admin)
    assert listed["m21"]["display_name"] == "张建"
    assert {(p["role"]) for p in listed["m21"]["positions"]} == {"member", "group_leader"}
    assert [p["role"] for p in listed["zhang3"]["positions"]] == ["development_candidate"]
    again = ok(upload(admin, xlsx(rows), dry_run=False))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)
    wang = ok(admin.get("/api/people/wang1"))
    assert wang["positions"][0]["start"] == "2026-03-01" and wang["email"] == "wang1@example.org"


def test_a_file_that_is_not_a_roster(as_user: Any) -> None:
    admin = as_user("admin")
    res = ok(upload(admin, b"not a workbook", dry_run=True), 422)
    assert res["details"][0]["field"] == "file"
    res = ok(upload(admin, xlsx([["a"]], header=("名字",)), dry_run=True), 422)
    assert "用户名" in res["message"]


def test_ten_thousand_rows_import_well_under_a_minute(as_user: Any) -> None:
    admin = as_user("admin")
    rows = [[f"p{n:05d}", f"党员{n}", "demo-branch3", "党员", None, None] for n in range(10_000)]
    content = xlsx(rows)
    started = time.perf_counter()
    report = ok(upload(admin, content, dry_run=False))
    elapsed = time.perf_counter() - started
    assert report["created"] == 10_000 and report["errors"] == []
    assert elapsed < 30, elapsed


def test_a_branch_file_cannot_rename_someone_held_elsewhere(as_user: Any) -> None:
    hold("oa1", "demo-branch1", "org_admin")
    oa1 = as_user("oa1")
    rows = [["leader1", "改名的书记", "demo-branch1", "党员", None, None],
            ["m2", "李芳", "demo-branch1", "党员", None, None],
            ["m3", "张娜", "demo-branch2", "党员", None, None]]
    report = ok(upload(oa1, xlsx(rows), dry_run=True))
    assert {(e["row"], e["column"]) for e in report["errors"]} == {(2, "姓名"), (4, "组织代码")}, report["errors"]
    exported = oa1.get("/api/people/export.xlsx")
    listed = list(load_workbook(io.BytesIO(exported.data)).worksheets[0].iter_rows(values_only=True))
    assert {r[2] for r in listed[1:]} == {"demo-branch1"}
