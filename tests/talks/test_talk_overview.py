"""The talk overview (GET /api/talks/overview): every branch a person looks after, with coverage,
talks held, open and overdue problem items and the report of the half year; and what a reader of
a talk may do with it (``actions``)."""

from __future__ import annotations

from tests.talkkit import local, ok, periodic_talk, problem


def _codes(client, period="2026H2"):
    return [u["org_unit"]["code"] for u in ok(client.get(f"/api/talks/overview?period={period}"))["units"]]


def test_overview_per_reader_and_its_figures(fake_clock, as_user):
    fake_clock.now = local(2026, 10, 14, 9)
    assert _codes(as_user("sec1")) == ["demo-branch1"]
    assert _codes(as_user("leader1")) == ["demo-branch1", "demo-branch2"]
    assert _codes(as_user("admin")) == ["demo-branch1", "demo-branch2", "demo-branch3"]
    assert _codes(as_user("m1")) == []

    fake_clock.now = local(2026, 10, 15, 11)
    talk = periodic_talk(as_user, "m4", "2026-10-15", problems=[
        problem("学习教育参加不够经常", "m4", "2026-10-20"), problem("对岗位调整有顾虑", "sec1", "2026-12-15")])
    fake_clock.now = local(2026, 10, 21, 9)
    body = ok(as_user("leader1").get("/api/talks/overview?period=2026H2"))
    assert body["period"] == "2026H2" and body["period_label"] == "2026年下半年"
    first = body["units"][0]
    assert (first["covered"], first["talks_held"], first["problems_open"], first["problems_overdue"]) == (1, 1, 2, 1)
    assert first["members"] >= 10 and first["report"] is None
    assert body["units"][1]["talks_held"] == 0
    assert ok(as_user("sec1").get("/api/talks/overview?period=2026H1"))["units"][0]["talks_held"] == 0
    assert as_user("sec1").get("/api/talks/overview?period=2026Q3").status_code in (400, 422)

    assert ok(as_user("sec1").get(f"/api/talks/{talk['id']}"))["actions"] == {
        "follow_up": True, "close_problems": True, "close_out": True}
    assert ok(as_user("m4").get(f"/api/talks/{talk['id']}"))["actions"] == {
        "follow_up": False, "close_problems": False, "close_out": False}
