"""Stamped starts in the engine adapter (no database): ``start_stamp`` builds a process's first
state once and stamps it per instance; each stamp must be what the engine itself gives for that
data, apart from task ids and times, and must then run on exactly as an ordinary start does."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from server.workflow.engine import Run, Snapshot, parse_bpmn, start_stamp

ROOT = Path(__file__).resolve().parents[2]
BRANCH = (ROOT / "workflows" / "vanguard_campaign_branch.bpmn").read_bytes()
TESTS = ROOT / "tests" / "bpmn"


def spec_of(content: bytes, key: str) -> tuple[str, Any]:
    process = parse_bpmn(content, f"{key}.bpmn")[0]
    return f"test-stamp:{key}", (lambda: process.spec_json)


def branch_data(unit: int, members: int) -> dict[str, Any]:
    people = [f"u{unit:03d}m{i:02d}" for i in range(members)]
    return {
        "title": f"争做先锋·第{unit}支部", "campaign_id": 7, "campaign_theme": "亮身份", "campaign_carrier": "志愿服务",
        "timetable": {"mobilise": "2026-10-09", "pledge": "2026-10-16", "fulfil": "2026-11-30"},
        "members": people, "raters": [*people, f"u{unit:03d}rep"],
        "member_names": {p: f"党员{p}" for p in [*people, f"u{unit:03d}rep"]},
        "org_unit_id": unit, "org_unit_name": f"第{unit}支部", "started_by": "admin",
    }


def normal(state: str) -> Any:
    """The state with task ids named by their place in the tree and every time set to 0."""
    dct = json.loads(state)
    order = [dct["root"]]
    for task_id in order:
        order.extend(dct["tasks"][task_id]["children"])
    text = re.sub(r'"last_state_change": [-+0-9.eE]+', '"last_state_change": 0', state)
    for n, task_id in enumerate(order):
        text = text.replace(task_id, f"{dct['tasks'][task_id]['task_spec']}#{n}")
    return json.loads(text)


def same(a: Snapshot, b: Snapshot) -> None:
    assert normal(a.state) == normal(b.state)
    assert (a.completed, a.data, a.open_stages, a.last_stage, a.timers, a.parts_running) == (
        b.completed, b.data, b.open_stages, b.last_stage, b.timers, b.parts_running)
    assert [(h.element_id, h.name, h.lane, h.properties, h.documentation, h.data) for h in a.human_tasks] == [
        (h.element_id, h.name, h.lane, h.properties, h.documentation, h.data) for h in b.human_tasks]


def test_a_stamped_branch_is_what_the_engine_gives_and_runs_on_alike():
    key, spec = spec_of(BRANCH, "branch")
    data = branch_data(1, 12)
    stamp = start_stamp(key, spec, tuple(data))
    assert stamp is not None
    stamped = stamp.stamp(data)
    assert stamped is not None
    ran = Run.start(key, spec, data).advance()
    same(stamped, ran)
    assert json.loads(stamped.state)["data"]["members"] == data["members"]
    # Both go on alike: the secretary mobilises, and every member gets his pledge (in parts).
    form = {"theme": "亮身份", "carrier": "志愿服务", "meeting_date": "2026-10-08", "meeting_place": "活动室",
            "attendance": 12}
    after = []
    for snapshot in (stamped, ran):
        run = Run.load(key, spec, snapshot.state)
        run.complete(snapshot.human_tasks[0].engine_task_id, form)
        after.append(run.advance())
    same(*after)
    assert len(after[0].new_parts) == 12
    assert sorted(p.human_tasks[0].data["member"] for p in after[0].new_parts) == data["members"]


def test_every_stamp_has_its_own_task_ids_and_data():
    key, spec = spec_of(BRANCH, "branch")
    stamp = start_stamp(key, spec, tuple(branch_data(1, 3)))
    assert stamp is not None
    first, second = stamp.stamp(branch_data(1, 3)), stamp.stamp(branch_data(2, 40))
    assert first is not None and second is not None
    ids = [set(json.loads(s.state)["tasks"]) for s in (first, second)]
    assert ids[0].isdisjoint(ids[1]) and not ids[0] & set(stamp.task_ids)
    assert second.human_tasks[0].data["members"] == branch_data(2, 40)["members"]
    assert "u001" not in second.state and first.data["org_unit_name"] == "第1支部"
    same(second, Run.start(key, spec, branch_data(2, 40)).advance())


def test_other_keys_or_values_that_are_not_plain_json_are_not_stamped():
    key, spec = spec_of(BRANCH, "branch")
    data = branch_data(1, 3)
    stamp = start_stamp(key, spec, tuple(data))
    assert stamp is not None
    assert stamp.stamp({**data, "extra": 1}) is None
    assert stamp.stamp({**data, "timetable": {"mobilise": date(2026, 10, 9)}}) is None
    assert stamp.stamp({**data, "title": "\x00vanguard-stamp:title\x00"}) is None
    # The same keys in another order: another template (the engine keeps the order), still the engine's.
    reordered = dict(reversed(list(data.items())))
    other = start_stamp(key, spec, tuple(reordered))
    assert other is not None and other is not stamp
    stamped = other.stamp(reordered)
    assert stamped is not None
    same(stamped, Run.start(key, spec, reordered).advance())


def test_a_first_step_that_runs_a_script_or_waits_on_a_timer_is_not_stamped():
    for name in ("team_check.bpmn", "timer_wait.bpmn"):
        key, spec = spec_of((TESTS / name).read_bytes(), name)
        assert start_stamp(key, spec, ("team",)) is None, name
