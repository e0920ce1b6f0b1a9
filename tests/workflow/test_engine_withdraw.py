"""Withdrawing one person from a running multi-instance, in the engine adapter (no database).

The campaign branch's pledge bodies (a multi-instance subprocess, detached as parts or run
inline) and its mass appraisal (a multi-instance user task): a withdrawn instance completes
with no result, the others go on, and the merge moves the process on once they are done.
"""

from __future__ import annotations

import pytest

from server.workflow.engine import EngineError, Run
from tests.workflow.test_engine_parts import BRANCH, Driver, spec_of

MEMBERS = ["a", "b", "c"]
START = {"members": MEMBERS, "raters": MEMBERS, "member_names": {m: m.upper() for m in MEMBERS},
         "timetable": {"mobilise": "2026-10-09", "pledge": "2026-10-16", "fulfil": "2026-11-30",
                       "review": "2026-12-10", "appraisal": "2026-12-20", "commendation": "2026-12-31"}}


def _driver(detach: bool) -> Driver:
    key, spec_json = spec_of(BRANCH, "vanguard_campaign_branch")
    driver = Driver(f"{key}:{detach}", spec_json, detach)
    driver.start(dict(START))
    driver.complete("Mobilise", None, {"theme": "t", "carrier": "c", "meeting_date": "2026-10-01",
                                       "meeting_place": "p"})
    return driver


def _pledge_through(driver: Driver, member: str) -> None:
    driver.complete("DraftPledge", member, {"content": "x", "deadline": "2026-11-01"})
    driver.complete("ReviewPledge", member, {"decision": "approve"})
    driver.complete("ReportFulfilment", member, {"report": "done", "completed_on": "2026-11-01"})
    driver.complete("RateFulfilment", member, {"rating": "excellent"})


def _withdraw(driver: Driver, item: str) -> list[str]:
    run = Run.load(driver.key, driver.spec_json, driver.main.state, detach=driver.detach)
    children = [c for c in run.running_children() if c.item == item]
    for child in children:
        run.withdraw(child.engine_task_id, "deadline")
        driver.parts.pop(child.engine_task_id, None)
    driver._took(run.advance())
    return [c.activity for c in children]


@pytest.mark.parametrize("detach", [True, False], ids=["detached", "inline"])
def test_a_withdrawn_member_does_not_hold_the_others(detach):
    driver = _driver(detach)
    run = Run.load(driver.key, driver.spec_json, driver.main.state, detach=detach)
    children = run.running_children()
    assert sorted(c.item for c in children) == MEMBERS and {c.activity for c in children} == {"PledgeAndFulfil"}
    assert {c.part for c in children} == {detach}
    if not detach:
        assert {tuple(c.waiting_at) for c in children} == {("DraftPledge",)}
    _pledge_through(driver, "a")
    assert _withdraw(driver, "b") == ["PledgeAndFulfil"]
    assert [h.element_id for _, h in driver.open()] == ["DraftPledge"]  # c's pledge is still waited for
    _pledge_through(driver, "c")
    assert [h.element_id for _, h in driver.open()] == ["LeaderReview"]
    review = driver.open()[0][1]
    assert review.data["pledge_results"] == ["a", None, "c"]


@pytest.mark.parametrize("detach", [True, False], ids=["detached", "inline"])
def test_a_withdrawn_rater_counts_as_absent(detach):
    driver = _driver(detach)
    for member in MEMBERS:
        _pledge_through(driver, member)
    driver.complete("LeaderReview", None, {"achievements": "a", "problems": "p", "direction": "d"})
    run = Run.load(driver.key, driver.spec_json, driver.main.state, detach=detach)
    appraisal = [c for c in run.running_children() if c.activity == "MassAppraisal"]
    assert [(c.item, c.waiting_at, c.part) for c in appraisal] == [(m, ["MassAppraisal"], False) for m in MEMBERS]
    held = next(h for _, h in driver.open() if h.data.get("rater") == "b")
    assert run.child_holding(held.engine_task_id).item == "b"
    driver.complete("MassAppraisal", None, {})
    _withdraw(driver, "b")
    driver.complete("MassAppraisal", None, {})
    assert [h.element_id for _, h in driver.open()] == ["Commendation"]
    commendation = driver.open()[0][1]
    assert sorted(commendation.data["appraisals"], key=str) == sorted(["a", None, "c"], key=str)


def test_only_a_running_instance_can_be_withdrawn():
    driver = _driver(True)
    run = Run.load(driver.key, driver.spec_json, driver.main.state)
    child = run.running_children()[0]
    run.withdraw(child.engine_task_id, "x")
    with pytest.raises(EngineError):
        run.withdraw(child.engine_task_id, "x")
    with pytest.raises(EngineError):
        run.withdraw("00000000-0000-0000-0000-000000000000", "x")
