"""Each programme kind through the API (seed 000 in 第一党委, annex 6 in 第二党委), SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from server.activities import reminders
from server.database import db
from server.notifications.models import Notification
from tests.activitykit import (
    for_programme,
    gps_jpeg,
    local,
    member_row,
    programme_id,
    quota,
    record,
    recorded,
    review,
    uploaded,
)
from tests.orgkit import hold


def test_a_month_with_a_missed_good_deed_is_missing_then_overdue(as_user, fake_clock):
    fake_clock.now = local(2026, 9, 20)
    m1, sec1 = as_user("m1"), as_user("sec1")
    deed = programme_id(m1, "demo-branch1", "good_deed")
    for day in ("2026-07-08", "2026-08-12", "2026-08-30"):
        review(sec1, recorded(m1, programme=deed, activity_date=day, beneficiary="社区独居老人")["id"])
    september = for_programme(member_row(quota(sec1, "demo-branch1", "2026-09"), "m1"), deed)
    assert september == {"id": deed, "due": 1, "done": 0, "missing": 1, "overdue": 0}  # the month is not over
    fake_clock.now = local(2026, 10, 5)
    q3 = quota(sec1, "demo-branch1", "2026-Q3")
    row = for_programme(member_row(q3, "m1"), deed)
    # Two deeds in August do not make up for September.
    assert row == {"id": deed, "due": 3, "done": 2, "missing": 1, "overdue": 1}
    assert for_programme(member_row(q3, "m2"), deed) == {"id": deed, "due": 3, "done": 0, "missing": 3, "overdue": 3}
    # The branch and the units above roll the members up.
    units = {u["code"]: u for u in q3["units"]}
    assert units["demo-branch1"]["members"] == 12 and q3["totals"]["members"] == 12
    district = quota(as_user("admin"), "demo-district", "2026-Q3")
    by_code = {u["code"]: u for u in district["units"]}
    assert by_code["demo-branch1"]["done"] == units["demo-branch1"]["done"] == q3["totals"]["done"]
    assert by_code["demo-pc1"]["due"] == by_code["demo-branch1"]["due"] + by_code["demo-branch2"]["due"]
    assert district["totals"]["due"] == by_code["demo-pc1"]["due"] + by_code["demo-pc2"]["due"]
    # Only who may view the unit: a member of another branch may not.
    assert as_user("m15").get("/api/activities/quota?org_unit=demo-branch1&period=2026-Q3").status_code == 403
    assert sec1.get("/api/activities/quota?org_unit=demo-branch1&period=2026-13").status_code == 422


def test_a_seasonal_duty_outside_its_season_is_refused_and_owes_nothing(as_user, fake_clock):
    fake_clock.now = local(2026, 11, 20)
    m1 = as_user("m1")
    tourism = programme_id(m1, "demo-branch1", "tourism_duty")
    res = record(m1, programme=tourism, activity_date="2026-10-02", activity="火车站旅游咨询")
    assert res.status_code == 422
    assert res.get_json()["details"] == [{"field": "activity_date", "message": "outside the programme's season"}]
    assert "7月、8月、9月" in res.get_json()["message"]
    assert m1.get("/api/activities/records").get_json()["total"] == 0  # nothing was kept of it
    assert recorded(m1, programme=tourism, activity_date="2026-08-02")["state"] == "submitted"
    cleaning = programme_id(m1, "demo-branch1", "city_cleaning")
    november = member_row(quota(as_user("sec1"), "demo-branch1", "2026-11"), "m1")
    assert for_programme(november, cleaning)["due"] == 0 and for_programme(november, tourism)["due"] == 0
    year = member_row(quota(as_user("sec1"), "demo-branch1", "2026"), "m1")
    assert for_programme(year, cleaning)["due"] == 16  # twice a month, March to October
    assert for_programme(year, tourism)["due"] == 3


def test_a_quarterly_visit_and_the_annex_6_numbers_by_level_and_for_the_head(as_user, fake_clock):
    fake_clock.now = local(2026, 9, 28)
    m1, sec1 = as_user("m1"), as_user("sec1")
    visit = programme_id(m1, "demo-branch1", "pairing_visit")
    review(sec1, recorded(m1, programme=visit, activity_date="2026-08-15", activity="走访结对困难户",
                          place="北戴河区某村", beneficiary="结对户王大爷", hours=3)["id"])
    september = for_programme(member_row(quota(sec1, "demo-branch1", "2026-09"), "m1"), visit)
    assert september == {"id": visit, "due": 1, "done": 1, "missing": 0, "overdue": 0}  # the quarter's visit
    # Annex 6 in 第三党支部: 3 household visits a year at this unit's level, 4 for its secretary.
    sec3 = as_user("sec3")
    households = programme_id(sec3, "demo-branch3", "household_visits")
    view = quota(sec3, "demo-branch3", "2026")
    assert for_programme(member_row(view, "m21"), households)["due"] == 3
    assert for_programme(member_row(view, "sec3"), households)["due"] == 4
    assert member_row(view, "sec3")["is_head"] is True
    # The owning organisation changes its numbers: data, not code.
    leader2 = as_user("leader2")
    res = leader2.patch(f"/api/activities/programmes/{households}", json={"unit_quotas": {"demo-branch3": 2}})
    assert res.status_code == 200, res.get_json()
    assert for_programme(member_row(quota(sec3, "demo-branch3", "2026"), "m21"), households)["due"] == 2
    assert sec3.patch(f"/api/activities/programmes/{households}", json={"quota": 9}).status_code == 403
    res = leader2.patch(f"/api/activities/programmes/{households}", json={"season_months": [13]})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "season_months"


def test_a_returned_record_counts_once_corrected_and_confirmed(as_user, fake_clock):
    fake_clock.now = local(2026, 9, 28)
    m1, sec1 = as_user("m1"), as_user("sec1")
    service = programme_id(m1, "demo-branch1", "community_service")
    rec = recorded(m1, programme=service, activity_date="2026-09-12", activity="社区", hours=1)
    assert m1.post(f"/api/activities/records/{rec['id']}/review", json={"decision": "approve"}).status_code == 403
    returned = review(sec1, rec["id"], "return", "请写明服务内容和地点")
    assert returned["state"] == "returned" and returned["review_note"] == "请写明服务内容和地点"
    assert for_programme(member_row(quota(sec1, "demo-branch1", "2026-09"), "m1"), service)["done"] == 0
    assert sec1.post(f"/api/activities/records/{rec['id']}/review", json={"decision": "approve"}).status_code == 409
    res = m1.post(f"/api/activities/records/{rec['id']}/resubmit",
                  json={"activity": "在海港区某社区开展环境整治", "place": "海港区某社区"})
    assert res.status_code == 200 and res.get_json()["state"] == "submitted"
    confirmed = review(sec1, rec["id"])
    assert confirmed["state"] == "confirmed" and confirmed["place"] == "海港区某社区"
    assert for_programme(member_row(quota(sec1, "demo-branch1", "2026-09"), "m1"), service)["done"] == 1
    instance = m1.get(f"/api/process-instances/{rec['instance_id']}").get_json()
    assert instance["state"] == "completed"


def test_a_record_with_a_photo_recorded_by_the_secretary_on_a_members_behalf(as_user, fake_clock):
    fake_clock.now = local(2026, 9, 28)
    sec1 = as_user("sec1")
    photo = uploaded(sec1, gps_jpeg(), "清扫.jpg")
    cleaning = programme_id(sec1, "demo-branch1", "city_cleaning")
    rec = recorded(sec1, member="m3", programme=cleaning, activity_date="2026-09-19", activity="清理背街小巷卫生死角",
                   attachments=[photo["id"]])
    assert rec["member"]["username"] == "m3" and rec["recorded_by"]["username"] == "sec1"
    assert rec["attachments"][0]["thumbnail_url"] == f"/api/attachments/{photo['id']}/thumbnail"
    assert as_user("m3").get(f"/api/attachments/{photo['id']}").status_code == 200
    assert as_user("m4").get(f"/api/attachments/{photo['id']}").status_code == 404
    # A member may not record for another; the secretary of another branch may not either.
    res = record(as_user("m4"), member="m3", programme=cleaning)
    assert res.status_code == 403
    assert record(as_user("sec2"), member="m3", programme=cleaning).status_code in (403, 422)
    review(sec1, rec["id"])
    mine = as_user("m3").get("/api/activities/records").get_json()
    assert mine["total"] == 1 and mine["items"][0]["state"] == "confirmed"
    # The secretary's own record is confirmed by someone else: the deputy secretary.
    own = recorded(sec1, programme=cleaning, activity_date="2026-09-19")
    res = sec1.post(f"/api/activities/records/{own['id']}/review", json={"decision": "approve"})
    assert res.status_code == 403
    hold("dep1", "demo-branch1", "deputy_secretary")
    assert review(as_user("dep1"), own["id"])["state"] == "confirmed"
    # The branch's list and the photos are for its overseers, not for every member.
    assert as_user("m4").get("/api/activities/records?org_unit=demo-branch1").status_code == 403
    assert sec1.get("/api/activities/records?org_unit=demo-branch1").get_json()["total"] == 2


def test_the_ledger_in_the_seed_columns_and_reminders_before_a_period_ends(as_user, fake_clock):
    fake_clock.now = local(2026, 9, 20)
    m1, sec1 = as_user("m1"), as_user("sec1")
    deed = programme_id(m1, "demo-branch1", "good_deed")
    review(sec1, recorded(m1, programme=deed, activity_date="2026-09-03", activity="=HYPERLINK(\"http://x\",\"点此\")",
                          beneficiary="邻居")["id"])
    res = sec1.get("/api/activities/ledger.xlsx?org_unit=demo-branch1&period=2026-09")
    assert res.status_code == 200 and res.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(res.data))
    sheet = book["活动台账"]
    assert [c.value for c in sheet[2]][:9] == ["序号", "姓名", "所在支部", "活动项目", "活动内容（做了什么）",
                                               "时间", "地点", "服务对象（为谁）", "时长（小时）"]
    row = [c.value for c in sheet[3]]
    assert row[4] == "=HYPERLINK(\"http://x\",\"点此\")" and sheet.cell(3, 5).data_type == "s"
    assert row[3] == "接力沈汝波为民做好事" and row[10] == "已确认"
    assert book["完成情况"].max_row == 2 + 12
    assert as_user("m15").get("/api/activities/ledger.xlsx?org_unit=demo-branch1&period=2026-09").status_code == 403
    # Five days before September ends, whoever still owes this month's deed is reminded, once.
    with db.transaction() as session:
        first = reminders.daily(session, date(2026, 9, 25))
    with db.transaction() as session:
        again = reminders.daily(session, date(2026, 9, 25))
        notes = session.scalars(select(Notification).where(Notification.kind == reminders.KIND)).all()
        deed_notes = [n for n in notes if "接力沈汝波为民做好事" in n.title]
        people = {n.person_id for n in deed_notes}
    assert again["reminders_sent"] == [] and first["reminders_sent"]
    assert len(deed_notes) == len(people) == 20 - 1 + 4  # 第一党委's members but m1, plus both secretaries and contacts
    with db.transaction() as session:
        assert reminders.daily(session, date(2026, 9, 24))["reminders_sent"] == []
