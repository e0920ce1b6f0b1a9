"""Who reads a talk (issue 14 item 7, seed 001 annex 4): the record — topic, content, problem
list — only for the member, the talker, the branch secretary and deputy, the organisation
department above (org_admin) and a problem's owner; the contact sees the scheduling; nobody
else of the branch sees the talk at all."""

from __future__ import annotations

import pytest

from tests.orgkit import hold
from tests.talkkit import answer, local, ok, problem, record, request_talk

TOPIC = "家里出了变故想和书记谈谈-T7"
CONTENT = "谈了家庭变故和工作压力-C9"
PROBLEM = "需要组织帮助解决子女入学-P3"

RECORD_READERS = {"m1": "the member", "sec1": "the talker and branch secretary", "dep1": "the deputy secretary",
                  "admin": "the district's organisation department", "oa1": "an org_admin of the branch",
                  "m3": "the owner of a problem item"}
SCHEDULER = "contact1"
NOBODY = {"m2": "another member", "rep1": "the masses representative", "cm1": "a committee member",
          "leader1": "the secretary of the party committee above", "sec2": "another branch's secretary",
          "designer": "the process designer", "m11": "a member of another branch"}


@pytest.fixture
def held(fake_clock, as_user):
    hold("dep1", "demo-branch1", "deputy_secretary")
    hold("cm1", "demo-branch1", "committee_member")
    hold("oa1", "demo-branch1", "org_admin")
    fake_clock.now = local(2026, 9, 30, 10)
    requested = request_talk(as_user("m1"), topic=TOPIC)
    answer(as_user("contact1"), requested["id"], talker="sec1", place="支部活动室")
    fake_clock.now = local(2026, 10, 12, 17)
    record(as_user("sec1"), requested["id"], "2026-10-12", content=CONTENT,
           problems=[problem(PROBLEM, "m3", "2026-11-30")])
    return requested["id"]


def test_the_record_readers_read_it(held, as_user) -> None:
    for username, who in RECORD_READERS.items():
        body = ok(as_user(username).get(f"/api/talks/{held}"))
        assert body["view"] == "record", who
        assert body["topic"] == TOPIC and body["record"]["main_content"] == CONTENT, who
        assert [p["description"] for p in body["problems"]] == [PROBLEM], who
        listed = ok(as_user(username).get("/api/talks"))["items"]
        assert held in [t["id"] for t in listed], who


def test_the_contact_sees_the_scheduling_only(held, as_user) -> None:
    res = as_user(SCHEDULER).get(f"/api/talks/{held}")
    body = ok(res)
    assert body["view"] == "scheduling"
    assert body["place"] == "支部活动室" and body["scheduled_at"] and body["talker"]["username"] == "sec1"
    assert body["topic"] is None and body["record"] is None and body["problems"] == []
    for text in (TOPIC, CONTENT, PROBLEM):
        assert text.encode() not in res.data
    assert as_user(SCHEDULER).get(f"/api/talks/{held}/record.docx").status_code == 403
    assert as_user(SCHEDULER).get("/api/talks/problems?org_unit=demo-branch1").status_code == 403
    assert as_user(SCHEDULER).get("/api/talks/ledger.xlsx?org_unit=demo-branch1").status_code == 403


def test_nobody_else_sees_the_talk(held, as_user) -> None:
    for username, who in NOBODY.items():
        client = as_user(username)
        res = client.get(f"/api/talks/{held}")
        assert res.status_code == 403, who
        assert held not in [t["id"] for t in ok(client.get("/api/talks"))["items"]], who
        for url in (f"/api/talks/{held}/record.docx", "/api/talks/problems?org_unit=demo-branch1",
                    "/api/talks/ledger.xlsx?org_unit=demo-branch1"):
            got = client.get(url)
            assert got.status_code in (403, 404), (who, url)
            for text in (TOPIC, CONTENT, PROBLEM):
                assert text.encode() not in got.data, (who, url)


def test_the_ledger_and_problem_list_for_secretary_deputy_and_admin(held, as_user) -> None:
    for username in ("sec1", "dep1", "admin", "oa1"):
        assert as_user(username).get("/api/talks/ledger.xlsx?org_unit=demo-branch1").status_code == 200
        items = ok(as_user(username).get("/api/talks/problems?org_unit=demo-branch1"))["items"]
        assert [p["description"] for p in items] == [PROBLEM]
