"""API behind the everyday UI: bulk completion, instance comments, the dashboard's xlsx export."""

from __future__ import annotations

from io import BytesIO

from tests.campaign.test_campaign_api import launch, ok
from tests.inbox.test_inbox_api import REPORT, start_report


def _submitted_reports(as_user, members):
    """Each member starts and submits an activity report; returns the secretary's review task ids."""
    for username in members:
        start_report(as_user, username)
        client = as_user(username)
        task = client.get("/api/tasks?scope=mine").get_json()["items"][0]
        ok(client.post(f"/api/tasks/{task['id']}/complete", json={"data": REPORT}))
    items = as_user("sec1").get("/api/tasks?scope=claimable&process=activity_report").get_json()["items"]
    assert len(items) == len(members)
    return [t["id"] for t in items]


def test_bulk_complete_reports_each_item(as_user):
    first, second, third = _submitted_reports(as_user, ["m1", "m2", "m3"])
    sec1 = as_user("sec1")
    body = ok(sec1.post("/api/tasks/bulk-complete", json={"items": [
        {"task_id": first, "data": {"decision": "approve"}},
        {"task_id": second, "data": {"decision": "return"}},  # a return needs a reason
        {"task_id": third, "data": {"decision": "return", "reason": "请补充活动照片"}},
        {"task_id": 987654, "data": {"decision": "approve"}},
    ]}))
    assert (body["succeeded"], body["failed"]) == (2, 2)
    by_id = {r["task_id"]: r for r in body["results"]}
    assert by_id[first]["ok"] and by_id[third]["ok"]
    assert by_id[second]["status"] == 422 and [d["field"] for d in by_id[second]["details"]] == ["reason"]
    assert by_id[987654]["status"] == 404 and not by_id[987654]["ok"]
    # The failed one is untouched and still open; the others are done.
    left = sec1.get("/api/tasks?scope=claimable&process=activity_report").get_json()["items"]
    assert [t["id"] for t in left] == [second]
    # The same task twice: the second attempt is a conflict, not a crash.
    again = ok(sec1.post("/api/tasks/bulk-complete", json={"items": [
        {"task_id": first, "data": {"decision": "approve"}}]}))
    assert again["results"][0]["status"] == 409 and again["failed"] == 1


def test_bulk_complete_refuses_malformed_requests(as_user):
    sec1 = as_user("sec1")
    assert sec1.post("/api/tasks/bulk-complete", json={"items": []}).status_code == 400
    res = sec1.post("/api/tasks/bulk-complete", json={"items": [{"task_id": "x"}, {"task_id": 1, "data": 3}]})
    assert res.status_code == 400
    assert [d["field"] for d in res.get_json()["details"]] == ["items.0", "items.1"]
    assert sec1.post("/api/tasks/bulk-complete", json={"items": [{"task_id": 1}] * 201}).status_code == 400


def test_comments_on_an_instance(as_user):
    instance = start_report(as_user, "m1")
    url = f"/api/process-instances/{instance['id']}/comments"
    m1, sec1 = as_user("m1"), as_user("sec1")
    assert ok(m1.get(url)) == {"items": []}
    created = ok(m1.post(url, json={"body": "  活动照片稍后补交  "}), 201)
    assert created["body"] == "活动照片稍后补交" and created["author"] == "m1"
    ok(sec1.post(url, json={"body": "好的，请在周五前补交"}), 201)
    items = ok(sec1.get(url))["items"]
    assert [(c["author"], c["body"]) for c in items] == [("m1", "活动照片稍后补交"), ("sec1", "好的，请在周五前补交")]
    # Not visible outside the branch: neither read nor written.
    m15 = as_user("m15")
    assert m15.get(url).status_code == 403
    assert m15.post(url, json={"body": "我也来说两句"}).status_code == 403
    assert m1.post(url, json={"body": "   "}).status_code == 400
    assert m1.get("/api/process-instances/987654/comments").status_code == 404
    history = ok(sec1.get(f"/api/process-instances/{instance['id']}"))["history"]
    assert [h["actor"] for h in history if h["action"] == "instance.comment"] == ["m1", "sec1"]


def test_campaign_progress_exports_to_xlsx(as_user, fake_clock):
    from openpyxl import load_workbook

    campaign_id = launch(as_user)["campaign"]["id"]
    admin = as_user("admin")
    res = admin.get(f"/api/org-units/demo-district/campaign-progress.xlsx?campaign={campaign_id}")
    assert res.status_code == 200, res.data[:200]
    assert res.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in res.headers["Content-Disposition"]
    sheet = load_workbook(BytesIO(res.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][:4] == ["组织", "阶段", "支部数", "已完成支部"]
    names = [r[0] for r in rows[2:]]
    assert names == ["示范区委", "第一党委", "第一党支部", "第二党支部", "第二党委", "第三党支部"]
    district = rows[2]
    assert district[2] == 3 and district[4] == 36  # three branches, twelve members each
    # Same rules as the JSON: a branch secretary may not export the district.
    assert as_user("sec1").get("/api/org-units/demo-district/campaign-progress.xlsx").status_code == 403
