"""Periodic talks (定期谈心): every half year the secretary talks with every member at least once;
coverage per branch, the members not yet covered, and a reminder before the half year ends."""

from __future__ import annotations

from tests.talkkit import answer, local, ok, periodic_talk, record, request_talk, talk

BRANCH1 = sorted(["contact1"] + [f"m{i}" for i in range(1, 11)])  # sec1 talks with everyone but himself


def usernames(people):
    return sorted(p["username"] for p in people)


def test_half_year_coverage_and_the_reminder(fake_clock, as_user):
    fake_clock.now = local(2026, 7, 1, 9)
    sec1 = as_user("sec1")
    empty = ok(sec1.get("/api/talks/coverage?org_unit=demo-branch1"))
    assert empty["period"] == "2026H2" and empty["from"] == "2026-07-01" and empty["to"] == "2026-12-31"
    assert empty["members"] == 11 and empty["covered_count"] == 0 and usernames(empty["uncovered"]) == BRANCH1
    # A talk held on the last day of the first half year, recorded the next morning, counts for the first.
    periodic_talk(as_user, "m5", "2026-06-30")

    # Talks held by the secretary count, of any kind; a talk m3 asked to have with m4 does not.
    fake_clock.now = local(2026, 9, 15, 17)
    periodic_talk(as_user, "m1", "2026-09-15")
    periodic_talk(as_user, "m2", "2026-09-15", kind="must", trigger="job_change")
    periodic_talk(as_user, "m1", "2026-09-15")
    asked = request_talk(as_user("m3"), requested_with="member", requested_person="m4")
    answer(as_user("contact1"), asked["id"], talker="m4", when="2026-09-15T16:00:00+08:00")
    record(as_user("m4"), asked["id"], "2026-09-15")
    fake_clock.now = local(2026, 9, 16, 9)
    cov = ok(sec1.get("/api/talks/coverage?org_unit=demo-branch1&period=2026H2"))
    assert cov["covered_count"] == 2 and usernames(cov["covered"]) == ["m1", "m2"]
    assert [c["talks"] for c in sorted(cov["covered"], key=lambda c: c["username"])] == [2, 1]
    assert usernames(cov["uncovered"]) == [u for u in BRANCH1 if u not in ("m1", "m2")]
    assert cov["ratio"] == round(2 / 11, 4)
    first_half = ok(sec1.get("/api/talks/coverage?org_unit=demo-branch1&period=2026H1"))
    assert usernames(first_half["covered"]) == ["m5"]
    assert sec1.get("/api/talks/coverage?org_unit=demo-branch1&period=2026H3").status_code == 422
    # Who may look: the branch committee and the units above; not members, not other branches.
    assert as_user("leader1").get("/api/talks/coverage?org_unit=demo-branch1").status_code == 200
    assert as_user("admin").get("/api/talks/coverage?org_unit=demo-branch1").status_code == 200
    assert as_user("m1").get("/api/talks/coverage?org_unit=demo-branch1").status_code == 403
    assert as_user("sec2").get("/api/talks/coverage?org_unit=demo-branch1").status_code == 403

    # More than 30 days before the end of the half year nothing is sent.
    admin = as_user("admin")
    assert ok(admin.post("/api/talks/daily", json={})) == {"reports_opened": [], "reminders_sent": []}
    assert as_user("sec1").post("/api/talks/daily", json={}).status_code == 403

    # On 1 December the reminder goes out (and the December reports are opened).
    fake_clock.now = local(2026, 12, 1, 8)
    duties = ok(admin.post("/api/talks/daily", json={}))
    assert len(duties["reports_opened"]) == 3
    sent = {r["org_unit_id"]: r for r in duties["reminders_sent"]}
    assert len(sent) == 3
    reminders = [t for t in sec1.get("/api/tasks?scope=claimable&process=talk_coverage").get_json()["items"]]
    assert len(reminders) == 1 and reminders[0]["due_at"] == "2026-12-31T15:59:59+00:00"
    detail = ok(sec1.get(f"/api/tasks/{reminders[0]['id']}"))
    assert detail["data"]["period"] == "2026H2"
    assert sorted(detail["data"]["uncovered"]) == [u for u in BRANCH1 if u not in ("m1", "m2")]
    names = detail["data"]["uncovered_names"]
    assert "张娜" in names and "王伟" not in names  # m3 is named, m1 is not
    assert as_user("sec2").get("/api/tasks?scope=claimable&process=talk_coverage").get_json()["total"] == 1
    # ... and as a notification to the secretary.
    notes = [n for n in ok(sec1.get("/api/notifications"))["items"] if n["kind"] == "talk_coverage"]
    assert len(notes) == 1 and notes[0]["task_id"] == reminders[0]["id"]
    assert "9 名党员未谈" in notes[0]["title"] and "张娜" in notes[0]["body"] and "王伟" not in notes[0]["body"]
    assert not [n for n in ok(as_user("m3").get("/api/notifications"))["items"] if n["kind"] == "talk_coverage"]
    # Once per branch and half year.
    assert ok(admin.post("/api/talks/daily", json={})) == {"reports_opened": [], "reminders_sent": []}

    # The secretary talks with everyone else: the branch is fully covered.
    fake_clock.now = local(2026, 12, 10, 17)
    for username in BRANCH1:
        if username not in ("m1", "m2"):
            periodic_talk(as_user, username, "2026-12-10")
    full = ok(sec1.get("/api/talks/coverage?org_unit=demo-branch1"))
    assert full["covered_count"] == 11 and full["uncovered"] == [] and full["ratio"] == 1.0
    assert talk(sec1, periodic_talk(as_user, "m5", "2026-12-10")["id"])["kind"] == "periodic"
