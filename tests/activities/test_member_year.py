"""The secretary proposing excellent members sees each member's year (issue 18 item 5)."""

from __future__ import annotations

from tests.activitykit import local, programme_id, recorded, review
from tests.campaign.test_campaign_api import complete, my_task, ok, one_task
from tests.campaign.test_selection_api import MEMBERS, start


def test_proposing_excellent_members_shows_each_members_year(as_user, fake_clock):
    fake_clock.now = local(2026, 9, 20)
    m1, sec1 = as_user("m1"), as_user("sec1")
    deed = programme_id(m1, "demo-branch1", "good_deed")
    for day in ("2026-07-08", "2026-08-12", "2026-09-02"):
        review(sec1, recorded(m1, programme=deed, activity_date=day)["id"])
    fake_clock.now = local(2026, 9, 28)
    start(as_user, quarter="2026-Q3")
    for username in MEMBERS:
        client = as_user(username)
        complete(client, my_task(client, "SelfAndPeerEvaluation"),
                 {"self_summary": f"{username} 的自我评价", "self_grade": "qualified", "peers": []})
    propose = one_task(sec1, "ProposeCandidates", scope="claimable")
    years = ok(sec1.get(f"/api/tasks/{propose['id']}/member-years"))
    assert years["year"] == 2026 and years["org_unit"]["code"] == "demo-branch1"
    by_name = {y["person"]["username"]: y for y in years["members"]}
    assert len(by_name) == 12
    mine = by_name["m1"]
    # Seed 000's programmes in 第一党委, January to September: 9 deeds due, 3 done by the end of September.
    assert mine["activities"]["done"] == 3
    assert mine["activities"]["due"] > mine["activities"]["done"] > by_name["m2"]["activities"]["done"] == 0
    assert mine["pledges"] == {"made": 0, "fulfilled": 0} and mine["selections"] == []
    assert mine["talk_problems"] == {"open": 0, "closed": 0, "overdue": 0}
    # Whoever may not see the task does not see the years; other tasks show none.
    assert as_user("m15").get(f"/api/tasks/{propose['id']}/member-years").status_code == 403
    write = recorded(m1, programme=deed, activity_date="2026-09-25")
    review_task = one_task(sec1, "ReviewReport", scope="claimable")
    assert review_task["instance_id"] == write["instance_id"]
    assert sec1.get(f"/api/tasks/{review_task['id']}/member-years").status_code == 404
