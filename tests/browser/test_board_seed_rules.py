"""The public board shows what issue 19 added: the collective reviews of the organisation above
(seed 004: "各单位党（工）委主要负责人每季度对下一级党组织进行一次集中点评") and, for the branch's raters,
the 重要依据 (seed 001 annex 4: "党员谈心谈话整改落实情况作为党员评议的重要依据"), at phone and desktop
widths; a wall screen shows no 重要依据."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE
from tests.campaign.test_campaign_api import complete, launch, ok, one_task

pytestmark = pytest.mark.browser


def test_the_board_shows_the_collective_review(fake_clock, page_as, as_user, shot):
    campaign_id = launch(as_user)["campaign"]["id"]
    leader1 = as_user("leader1")
    ok(leader1.post("/api/process-instances", json={"process_key": "leader_review", "org_unit": "demo-pc1"}), 201)
    reviews = [{"unit": u, "achievements": "承诺践诺扎实，群众满意", "problems": "个别党员承诺不够具体",
                "direction": "加强跟踪问效"} for u in ("demo-branch1", "demo-branch2")]
    complete(leader1, one_task(leader1, "ReviewUnits", scope="claimable"), {"reviews": reviews})
    for viewport, name in ((None, "desktop"), (PHONE, "phone")):
        page = page_as("m5", viewport=viewport)
        page.goto(f"/board/demo-branch1?campaign={campaign_id}")
        part = page.locator("section.board-part", has_text="上级党组织集中点评")
        part.wait_for(state="visible")
        text = part.inner_text()
        assert "第一党委" in text and "承诺践诺扎实，群众满意" in text and "加强跟踪问效" in text
        basis = page.locator("section.board-part", has_text="重要依据")
        basis.wait_for(state="visible")
        assert basis.locator("tbody tr").count() == 12
        shot(page, f"board-collective-review-m5-{name}")
    page.goto("/board/demo-branch1?wall=1")
    page.locator("section.board-part", has_text="上级党组织集中点评").wait_for(state="visible")
    assert page.locator("section.board-part", has_text="重要依据").count() == 0
