"""Issue 19 item 3: leader reviews recur during a running campaign (seed 004 §四（二）)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.campaign.test_campaign_api import complete, launch, ok, one_task, tasks


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "shipped_schedules": True}


def _review(unit: str, text: str) -> dict[str, str]:
    return {"unit": unit, "achievements": f"{text}：承诺践诺扎实", "problems": "个别党员承诺不够具体",
            "direction": "加强跟踪问效"}


def test_party_committees_review_quarterly_and_the_district_half_yearly(fake_clock, as_user):
    """Seed 004: "区委领导每半年对各单位党（工）委开展活动进行一次集中点评，各单位党（工）委主要负责人每季度
    对下一级党组织进行一次集中点评，也可根据情况适时点评" — the reviews recur while the campaign runs,
    and the district reviews its party committees; seed 003: "区委将对各部门单位…进行考核，适时进行评选
    表彰。各部门单位党组织也要对所辖党组织进行考核表彰" — a review may assess and commend."""
    from server.campaign.review_models import ReviewRound
    from server.database import db
    from server.workflow.scheduler import run_pending

    admin, leader1 = as_user("admin"), as_user("leader1")
    start = {"process_key": "leader_review", "org_unit": "demo-pc1"}
    res = ok(leader1.post("/api/process-instances", json=start), 409)  # no campaign yet
    assert "no campaign" in res["message"]
    shipped = {(s["process_key"], s["unit_type"], s["cadence"]) for s in ok(admin.get("/api/schedules"))["items"]}
    assert {("leader_review", "party_committee", "quarterly"), ("leader_review", "district", "half_yearly")} <= shipped

    campaign_id = launch(as_user)["campaign"]["id"]
    # 适时点评: the committee's head reviews by hand in the third quarter.
    started = ok(leader1.post("/api/process-instances", json=start), 201)
    assert ok(leader1.post("/api/process-instances", json=start), 409)["message"].count("2026-Q3") == 1
    task = one_task(leader1, "ReviewUnits", scope="claimable")
    res = complete(leader1, task, {"reviews": [_review("demo-branch1", "第一党支部")]}, 422)
    assert "demo-branch2" in res["details"][0]["message"]
    res = complete(leader1, task, {"reviews": [_review("demo-branch1", "一"), _review("demo-branch3", "三")]}, 422)
    assert res["details"][0]["field"] == "reviews.1.unit"
    complete(leader1, task, {"reviews": [_review("demo-branch1", "第一党支部"), _review("demo-branch2", "第二党支部")]})
    board = ok(as_user("m5").get(f"/api/org-units/demo-branch1/board?campaign={campaign_id}"))
    assert [(r["period"], r["reviewer"]["code"]) for r in board["leader_reviews"]] == [("2026-Q3", "demo-pc1")]
    assert board["leader_reviews"][0]["achievements"].startswith("第一党支部")
    assert started["id"]

    # The quarter turns: both party committees review again by themselves; the district waits for
    # its half year.
    fake_clock.now = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
    run_pending()
    with db.transaction() as s:
        rounds = sorted((r.period, r.org_unit_id) for r in s.scalars(select(ReviewRound)))
    assert [p for p, _ in rounds] == ["2026-Q3", "2026-Q4", "2026-Q4"]
    q4 = one_task(leader1, "ReviewUnits", scope="claimable")
    complete(leader1, q4, {"reviews": [_review("demo-branch1", "四季度"), _review("demo-branch2", "四季度")]})
    board = ok(as_user("m5").get(f"/api/org-units/demo-branch1/board?campaign={campaign_id}"))
    assert [r["period"] for r in board["leader_reviews"]] == ["2026-Q4", "2026-Q3"]

    # The half year turns: the district's leaders review its party committees (the demo district has
    # no secretary, so its org_admin is offered the task).
    fake_clock.now = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)
    run_pending()
    district = next(t for t in tasks(admin, scope="claimable")
                    if t["element_id"] == "ReviewUnits" and t["org_unit"]["code"] == "demo-district")
    assert district["role"] == "org_admin"
    # Seed 003: "区委将对各部门单位…进行考核，适时进行评选表彰": the district assesses its party
    # committees and may commend one, with its citation.
    graded = [{**_review("demo-pc1", "第一党委"), "grade": "excellent", "commend": True},
              {**_review("demo-pc2", "第二党委"), "grade": "qualified"}]
    res = complete(admin, district, {"reviews": graded}, 422)
    assert res["details"][0]["field"] == "reviews.0.citation"
    graded[0]["citation"] = "组织党员开展创先争优成效显著"
    complete(admin, district, {"reviews": graded})
    pc_board = ok(leader1.get(f"/api/org-units/demo-pc1/board?campaign={campaign_id}"))
    assert [(r["period"], r["reviewer"]["code"]) for r in pc_board["leader_reviews"]] == [("2027H1", "demo-district")]
    mine = pc_board["leader_reviews"][0]
    assert (mine["grade_label"], mine["commended"], mine["citation"]) == ("优秀", True, "组织党员开展创先争优成效显著")
    other = ok(as_user("leader2").get(f"/api/org-units/demo-pc2/board?campaign={campaign_id}"))["leader_reviews"][0]
    assert (other["grade"], other["commended"], other["citation"]) == ("qualified", False, None)
