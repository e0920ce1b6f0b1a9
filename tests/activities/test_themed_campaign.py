"""A themed campaign with unit reports (seed 002), through the API, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from server.activities import reminders
from server.database import db
from tests.activitykit import docx, gps_jpeg, local, uploaded

CAMPAIGN = {
    "org_unit": "demo-pc1", "name": "文明泉州 党员先行", "starts_on": "2026-07-01", "ends_on": "2026-12-31",
    "lines": [{"code": "civility", "name": "文明养成我先行"}, {"code": "service", "name": "为民服务我先行"},
              {"code": "volunteer", "name": "志愿服务我先行"}, {"code": "environment", "name": "美化环境我先行"}],
    "reporting": [{"kind": "plan", "due_on": "2026-07-15"}, {"kind": "progress", "due_on": "2026-09-30"},
                  {"kind": "final", "due_on": "2026-12-31"}],
}


def test_units_report_plan_progress_and_summary_and_the_committee_acknowledges_or_returns(as_user, fake_clock):
    fake_clock.now = local(2026, 7, 2)
    leader1, sec1, sec2 = as_user("leader1"), as_user("sec1"), as_user("sec2")
    assert sec1.post("/api/activities/themed", json=CAMPAIGN).status_code == 403
    too_late = [{"kind": "final", "due_on": "2027-06-01"}]
    bad = leader1.post("/api/activities/themed", json=CAMPAIGN | {"reporting": too_late})
    assert bad.status_code == 422 and bad.get_json()["details"][0]["field"] == "reporting.0.due_on"
    res = leader1.post("/api/activities/themed", json=CAMPAIGN)
    assert res.status_code == 201, res.get_json()
    campaign = res.get_json()
    assert [r["label"] for r in campaign["reporting"]] == ["活动方案", "进展情况", "总结成效"]
    assert [c["name"] for c in sec1.get("/api/activities/themed?org_unit=demo-branch1").get_json()["items"]] == [
        "文明泉州 党员先行"]

    plan = uploaded(sec1, docx(), "第一党支部活动方案.docx")
    res = sec1.post(f"/api/activities/themed/{campaign['id']}/reports", json={
        "org_unit": "demo-branch1", "seq": 0, "text": "七月起每月组织一次文明劝导", "lines": ["civility", "volunteer"],
        "attachments": [plan["id"]]})
    assert res.status_code == 201, res.get_json()
    report = res.get_json()
    assert report["kind"] == "plan" and report["state"] == "submitted" and len(report["attachments"]) == 1
    # Only the unit's own secretary reports for it.
    assert sec2.post(f"/api/activities/themed/{campaign['id']}/reports", json={
        "org_unit": "demo-branch1", "seq": 1, "text": "x"}).status_code == 403
    assert sec1.post(f"/api/activities/themed/{campaign['id']}/reports", json={
        "org_unit": "demo-branch1", "seq": 0, "text": "再报一次"}).status_code == 409
    # The committee reads the documents; the sibling branch does not.
    assert leader1.get(f"/api/attachments/{plan['id']}").status_code == 200
    assert sec2.get(f"/api/attachments/{plan['id']}").status_code == 404

    res = leader1.post(f"/api/activities/themed/reports/{report['id']}/review", json={"decision": "return"})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "note"
    returned = leader1.post(f"/api/activities/themed/reports/{report['id']}/review",
                            json={"decision": "return", "note": "请补充时间安排"}).get_json()
    assert returned["state"] == "returned" and returned["review_note"] == "请补充时间安排"
    again = sec1.post(f"/api/activities/themed/{campaign['id']}/reports", json={
        "org_unit": "demo-branch1", "seq": 0, "text": "每月第二个周六组织文明劝导", "attachments": [plan["id"]]})
    assert again.status_code == 201 and again.get_json()["id"] == report["id"]
    assert leader1.post(f"/api/activities/themed/reports/{report['id']}/review",
                        json={"decision": "acknowledge"}).get_json()["state"] == "acknowledged"

    fake_clock.now = local(2026, 10, 8)
    photo = uploaded(sec2, gps_jpeg(), "劝导.jpg")
    late = sec2.post(f"/api/activities/themed/{campaign['id']}/reports", json={
        "org_unit": "demo-branch2", "seq": 1, "text": "开展交通协勤六次", "attachments": [photo["id"]]})
    assert late.status_code == 201
    board = leader1.get(f"/api/activities/themed/{campaign['id']}/board").get_json()
    rows = {r["org_unit"]["code"]: r["reports"] for r in board["units"]}
    rows_ids = {r["org_unit"]["code"]: r["org_unit"]["id"] for r in board["units"]}
    assert [c["state"] for c in rows["demo-branch1"]] == ["acknowledged", "missing", "missing"]
    assert rows["demo-branch1"][1]["late"] is True and rows["demo-branch1"][2]["late"] is False
    assert [c["state"] for c in rows["demo-branch2"]] == ["missing", "submitted", "missing"]
    assert rows["demo-branch2"][1]["late"] is True and rows["demo-branch2"][1]["attachments"] == 1
    assert as_user("sec3").get(f"/api/activities/themed/{campaign['id']}/board").status_code == 403

    # Three days before the progress report is due, the secretary of the unit that owes it is reminded, once.
    with db.transaction() as session:
        sent = reminders.daily(session, date(2026, 9, 27))["themed_reminders_sent"]
    with db.transaction() as session:
        assert reminders.daily(session, date(2026, 9, 27))["themed_reminders_sent"] == []
    assert [(s["seq"], s["org_unit_id"]) for s in sent] == [(1, rows_ids["demo-branch1"])]
    notes = sec1.get("/api/notifications").get_json()["items"]
    assert any("进展情况请于 2026-09-30 前报送" in n["title"] for n in notes)
    assert not any("主题活动" in n["title"] for n in sec2.get("/api/notifications").get_json()["items"])
