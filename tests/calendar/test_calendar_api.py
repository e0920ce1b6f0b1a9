"""The working-day calendar through the API: counting, a year, an administrator's overrides."""

from __future__ import annotations

from datetime import datetime

from server.calendar.workdays import LIBRARY_LAST_COVERED_YEAR
from tests.timers_support import audit_count, beijing, deploy_test_bpmn, jobs, start


def add(client, start, n):
    return client.get(f"/api/calendar/add?start={start}&working_days={n}")


def test_add_counts_from_the_day_after_across_national_day(as_user):
    c = as_user("m1")
    assert add(c, "2026-09-28", 3).get_json() == {"start": "2026-09-28", "working_days": 3,
                                                  "date": "2026-10-08", "estimated": False}
    # The 5th working day is Saturday 10 October, a make-up workday (调休上班).
    assert add(c, "2026-09-28", 5).get_json()["date"] == "2026-10-10"
    # Sunday 20 September is a make-up workday too.
    assert add(c, "2026-09-19", 1).get_json()["date"] == "2026-09-20"
    assert add(c, "2026-09-30", 0).get_json()["date"] == "2026-09-30"
    assert add(c, "2026-10-01", 0).get_json()["date"] == "2026-10-08"


def test_add_is_honest_beyond_the_library(as_user):
    c = as_user("m1")
    later = LIBRARY_LAST_COVERED_YEAR + 1
    body = add(c, f"{LIBRARY_LAST_COVERED_YEAR}-12-28", 5).get_json()
    assert body["date"].startswith(str(later)) and body["estimated"] is True
    assert add(c, f"{LIBRARY_LAST_COVERED_YEAR}-06-01", 5).get_json()["estimated"] is False


def test_add_rejects_bad_input(as_user):
    c = as_user("m1")
    assert add(c, "2026-13-01", 3).status_code == 400
    assert c.get("/api/calendar/add?working_days=3").get_json()["details"][0]["field"] == "start"
    assert c.get("/api/calendar/add?start=2026-09-28").get_json()["details"][0]["field"] == "working_days"
    assert add(c, "2026-09-28", -1).status_code == 400
    assert add(c, "2026-09-28", "x").status_code == 400


def test_year_lists_holidays_and_make_up_days(as_user):
    body = as_user("m1").get("/api/calendar?year=2026").get_json()
    assert body["year"] == 2026 and body["estimated"] is False and body["library_covered"] is True
    days = {d["date"]: d for d in body["days"]}
    assert days["2026-10-01"]["kind"] == "holiday" and days["2026-10-01"]["name"] == "国庆节"
    assert days["2026-10-01"]["working"] is False
    assert days["2026-10-10"] == {"date": "2026-10-10", "working": True, "kind": "makeup_workday", "name": None,
                                  "overridden": False}
    assert days["2026-09-20"]["kind"] == "makeup_workday"
    assert "2026-10-09" not in days  # an ordinary working day
    later = as_user("m1").get(f"/api/calendar?year={LIBRARY_LAST_COVERED_YEAR + 1}").get_json()
    assert later["estimated"] is True and later["library_covered"] is False
    assert not [d for d in later["days"] if d["kind"] == "makeup_workday"]


def test_year_defaults_to_this_year_by_the_clock(as_user, fake_clock):
    assert as_user("m1").get("/api/calendar").get_json()["year"] == 2026


def test_overrides_by_an_administrator(as_user):
    admin = as_user("admin")
    res = admin.put("/api/calendar/overrides/2026-10-09", json={"working": False, "note": "区委统一调休"})
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["working"] is False and res.get_json()["overridden"] is True
    assert res.get_json()["name"] == "区委统一调休"
    # Every count now sees it, at once: the 4th working day moves from Friday 9th to Saturday 10th.
    assert add(admin, "2026-09-28", 4).get_json()["date"] == "2026-10-10"
    day = {d["date"]: d for d in admin.get("/api/calendar?year=2026").get_json()["days"]}["2026-10-09"]
    assert day["overridden"] is True and day["working"] is False
    # Changing it again (same moment) is seen too.
    admin.put("/api/calendar/overrides/2026-10-09", json={"working": True})
    assert add(admin, "2026-09-28", 4).get_json()["date"] == "2026-10-09"
    assert admin.delete("/api/calendar/overrides/2026-10-09").status_code == 204
    assert admin.delete("/api/calendar/overrides/2026-10-09").status_code == 404
    assert audit_count("calendar.override_set") == 2 and audit_count("calendar.override_removed") == 1


def test_loading_an_official_year_clears_the_estimate(as_user):
    admin = as_user("admin")
    year = LIBRARY_LAST_COVERED_YEAR + 1
    assert admin.get(f"/api/calendar?year={year}").get_json()["estimated"] is True
    res = admin.put(f"/api/calendar/overrides/{year}-01-02", json={"working": False, "note": "元旦",
                                                                    "official": True})
    assert res.status_code == 200
    body = admin.get(f"/api/calendar?year={year}").get_json()
    assert body["estimated"] is False and body["official_override"] is True
    assert add(admin, f"{year}-03-02", 1).get_json()["estimated"] is False


def test_only_a_top_level_org_admin_changes_the_calendar(as_user):
    for user in ("m1", "sec1", "leader1", "designer"):
        res = as_user(user).put("/api/calendar/overrides/2026-10-09", json={"working": False})
        assert res.status_code == 403, user
        assert as_user(user).delete("/api/calendar/overrides/2026-10-09").status_code == 403
    assert audit_count("calendar.override_set") == 0


def test_override_validation(as_user):
    admin = as_user("admin")
    res = admin.put("/api/calendar/overrides/2026-10-09", json={"note": "x"})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "working"
    res = admin.put("/api/calendar/overrides/2026-10-09", json={"working": "no", "official": 1})
    assert {d["field"] for d in res.get_json()["details"]} == {"working", "official"}
    assert admin.put("/api/calendar/overrides/10-09-2026", json={"working": True}).status_code == 400
    assert admin.put("/api/calendar/overrides/2026-10-09", json={"working": True, "note": "x" * 201}).status_code == 422


def test_due_dates_and_timers_follow_overrides(as_user, fake_clock):
    deploy_test_bpmn("talk_escalation.bpmn")
    as_user("admin").put("/api/calendar/overrides/2026-09-30", json={"working": False, "note": "停电"})
    instance = start(as_user("contact1"), "talk_escalation_test")
    task = as_user("contact1").get("/api/tasks?scope=claimable").get_json()["items"][0]
    # 29 Sept, (30 Sept off), 8 Oct, 9 Oct.
    assert datetime.fromisoformat(task["due_at"]) == beijing(2026, 10, 9, 23, 59, 59)
    [timer] = jobs(instance["id"], "bpmn_timer")
    assert timer["due_at"] == beijing(2026, 10, 9, 23, 59, 59)
