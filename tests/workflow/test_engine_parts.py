"""Detached multi-instance bodies in the engine adapter (no database).

A self-contained multi-instance subprocess runs each body as a workflow of its own (a part).
These tests drive the same process detached and inline and expect the same people to get
the same tasks with the same data, and the same result at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from server.workflow.engine import Run, Snapshot, detached_elements, element_states, parse_bpmn

BPMN = Path(__file__).resolve().parents[1] / "bpmn"
TEAM = (BPMN / "team_check.bpmn").read_bytes()
BRANCH = (Path(__file__).resolve().parents[2] / "workflows" / "vanguard_campaign_branch.bpmn").read_bytes()


def spec_of(content: bytes, key: str) -> tuple[str, Any]:
    process = parse_bpmn(content, f"{key}.bpmn")[0]
    return f"test-parts:{key}", (lambda: process.spec_json)


@dataclass
class Driver:
    """Holds what the server would store: the main state and each running part's state."""

    key: str
    spec_json: Any
    detach: bool
    main: Snapshot | None = None
    parts: dict[str, Snapshot] = field(default_factory=dict)
    main_saves: int = 0

    def start(self, data: dict[str, Any]) -> None:
        self._took(Run.start(self.key, self.spec_json, data, detach=self.detach).advance())

    def _took(self, snapshot: Snapshot) -> None:
        self.main = snapshot
        self.main_saves += 1
        for part in snapshot.new_parts:
            self.parts[part.part] = part
        for gone in snapshot.cancelled_parts:
            del self.parts[gone]

    def open(self) -> list[tuple[str | None, Any]]:
        """(part or None, human task) for every open task, in a stable order."""
        assert self.main is not None
        found = [(None, h) for h in self.main.human_tasks]
        found += [(p, h) for p, snap in self.parts.items() for h in snap.human_tasks]
        return sorted(found, key=lambda ph: (ph[1].element_id, str(ph[1].data.get("person") or ph[1].data.get(
            "member") or "")))

    def complete(self, element_id: str, who: str | None, data: dict[str, Any]) -> None:
        part, human = next((p, h) for p, h in self.open() if h.element_id == element_id and (
            who is None or who in (h.data.get("person"), h.data.get("member"))))
        if part is None:
            run = Run.load(self.key, self.spec_json, self.main.state, detach=self.detach)
            run.complete(human.engine_task_id, data)
            self._took(run.advance())
            return
        saved = self.parts[part]
        run = Run.load_part(self.key, self.spec_json, part, saved.spec_name, saved.state)
        run.complete(human.engine_task_id, data)
        snapshot = run.advance()
        if not snapshot.completed:
            self.parts[part] = snapshot
            return
        del self.parts[part]
        main = Run.load(self.key, self.spec_json, self.main.state)
        main.finish_part(part, snapshot.result)
        self._took(main.advance())

    def fire_timers(self, now: Any) -> None:
        run = Run.load(self.key, self.spec_json, self.main.state, detach=self.detach)
        run.fire_due_timers(now)
        self._took(run.advance())

    def seen(self) -> list[tuple[str, Any, Any]]:
        return [(h.element_id, h.data.get("person"), h.data.get("text")) for _, h in self.open()]


def drive_team(detach: bool) -> Driver:
    key, spec_json = spec_of(TEAM, "team")
    d = Driver(key, spec_json, detach)
    d.start({"people": ["m1", "m2", "m3"]})
    assert [h.element_id for _, h in d.open()] == ["Answer"] * 3
    d.complete("Answer", "m2", {"text": "二号的答复"})
    d.complete("Check", "m2", {"decision": "return"})
    d.complete("Answer", "m2", {"text": "二号的新答复"})
    d.complete("Answer", "m1", {"text": "一号的答复"})
    d.complete("Check", "m1", {"decision": "accept"})
    d.complete("Check", "m2", {"decision": "accept"})
    d.complete("Answer", "m3", {"text": "三号的答复"})
    assert d.seen() == [("Check", "m3", "三号的答复")]
    d.complete("Check", "m3", {"decision": "accept"})
    return d


def test_a_self_contained_body_runs_detached():
    key, spec_json = spec_of(TEAM, "team")
    assert detached_elements(key, spec_json) == ["Each"]
    d = Driver(key, spec_json, detach=True)
    d.start({"people": ["m1", "m2", "m3"]})
    assert d.main.human_tasks == [] and d.main.parts_running == 3
    assert sorted(p.open_stages[0] for p in d.parts.values()) == ["answer"] * 3
    assert {p.spec_name for p in d.parts.values()} == {"Each"}
    # The main state holds no body: it does not grow with what the bodies do.
    size = len(d.main.state)
    d.complete("Answer", "m1", {"text": "x" * 5000})
    assert len(d.main.state) == size and d.main_saves == 1


def test_detached_and_inline_give_the_same_tasks_and_result():
    detached, inline = drive_team(detach=True), drive_team(detach=False)
    assert detached.seen() == inline.seen() == [("Summary", None, None)]
    expected = [{"person": "m1", "text": "一号的答复"}, {"person": "m2", "text": "二号的新答复"},
                {"person": "m3", "text": "三号的答复"}]
    [summary] = [h for _, h in detached.open()]
    [inline_summary] = [h for _, h in inline.open()]
    assert summary.data["answers"] == inline_summary.data["answers"] == expected
    # The main workflow was saved at the start and once per finished body, never for a step inside one.
    assert detached.main_saves == 1 + 3
    assert detached.parts == {} and detached.main.parts_running == 0


def test_the_campaign_pledge_body_gives_the_leader_review_the_same_data():
    members = ["m1", "m2"]
    data = {"members": members, "raters": members, "member_names": {"m1": "一", "m2": "二"},
            "timetable": {"pledge": "2027-01-01", "fulfil": "2027-02-01"}, "campaign_id": 1}
    results = []
    for detach in (True, False):
        key, spec_json = spec_of(BRANCH, "branch")
        d = Driver(key, spec_json, detach)
        d.start(data)
        d.complete("Mobilise", None, {"theme": "t"})
        for member in members:
            d.complete("DraftPledge", member, {"content": "c", "deadline": "2027-01-05"})
            d.complete("ReviewPledge", member, {"decision": "approve"})
            d.complete("ReportFulfilment", member, {"report": "r", "completed_on": "2026-12-01"})
            d.complete("RateFulfilment", member, {"rating": "good"})
        [(_, review)] = d.open()
        results.append((review.element_id, review.data))
    assert results[0] == results[1]
    assert results[0][0] == "LeaderReview" and results[0][1]["pledge_results"] == members


def test_an_interrupting_boundary_event_cancels_the_running_parts():
    from datetime import UTC, datetime, timedelta

    from server import clock

    start = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)
    clock.set_source(lambda: start)
    try:
        key, spec_json = spec_of(TEAM, "team")
        d = Driver(key, spec_json, detach=True)
        d.start({"people": ["m1", "m2"]})
        d.complete("Answer", "m1", {"text": "一"})
        d.complete("Check", "m1", {"decision": "accept"})
        assert len(d.parts) == 1 and [t.element_id for t in d.main.timers] == ["AnsweringClosed"]
        late = start + timedelta(days=10, seconds=1)
        clock.set_source(lambda: late)
        running = list(d.parts)
        d.fire_timers(late)
        assert d.main.cancelled_parts == running and d.parts == {}
        assert d.main.completed and d.main.human_tasks == []
    finally:
        clock.set_source(None)


@pytest.mark.parametrize("inside", [
    '<bpmn:intermediateCatchEvent id="Pause"><bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"'
    '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>',
    '<bpmn:intermediateThrowEvent id="Tell"><bpmn:signalEventDefinition signalRef="Sig"/>'
    '</bpmn:intermediateThrowEvent>',
    '<bpmn:dataObjectReference id="SharedRef" dataObjectRef="Shared"/>'
    '<bpmn:task id="Note"><bpmn:dataOutputAssociation id="DOA"><bpmn:targetRef>SharedRef</bpmn:targetRef>'
    '</bpmn:dataOutputAssociation></bpmn:task>',
])
def test_bodies_that_reach_the_rest_of_the_process_stay_inline(inside):
    element = inside.split('<bpmn:task id="')[-1].split('"')[0] if "<bpmn:task" in inside else \
        inside.split('id="')[1].split('"')[0]
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:signal id="Sig" name="sig"/>
  <bpmn:process id="p" isExecutable="true">
    <bpmn:dataObject id="items"/><bpmn:dataObject id="Shared"/>
    <bpmn:startEvent id="B"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:subProcess id="Each"><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>
        <bpmn:inputDataItem id="item" name="item"/></bpmn:multiInstanceLoopCharacteristics>
      <bpmn:startEvent id="S"><bpmn:outgoing>G1</bpmn:outgoing></bpmn:startEvent>
      {inside}
      <bpmn:endEvent id="E"><bpmn:incoming>G2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="G1" sourceRef="S" targetRef="{element}"/>
      <bpmn:sequenceFlow id="G2" sourceRef="{element}" targetRef="E"/>
    </bpmn:subProcess>
    <bpmn:endEvent id="Z"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="B" targetRef="Each"/>
    <bpmn:sequenceFlow id="F2" sourceRef="Each" targetRef="Z"/>
  </bpmn:process>
</bpmn:definitions>"""
    key, spec_json = spec_of(xml.encode(), f"inline-{element}")
    assert detached_elements(key, spec_json) == []


def test_a_body_that_ends_without_waiting_is_taken_back_in_the_same_step():
    xml = (TEAM.decode()
           .replace('<bpmn:incoming>E1</bpmn:incoming>\n        <bpmn:incoming>E_again</bpmn:incoming>',
                    '<bpmn:incoming>E_never</bpmn:incoming>\n        <bpmn:incoming>E_again</bpmn:incoming>')
           .replace('<bpmn:sequenceFlow id="E1" sourceRef="EachBegins" targetRef="Answer"/>',
                    '<bpmn:sequenceFlow id="E1" sourceRef="EachBegins" targetRef="Record"/>'
                    '<bpmn:sequenceFlow id="E_never" sourceRef="Accepted" targetRef="Answer">'
                    '<bpmn:conditionExpression>False</bpmn:conditionExpression></bpmn:sequenceFlow>')
           .replace('<bpmn:incoming>E_ok</bpmn:incoming>', '<bpmn:incoming>E_ok</bpmn:incoming>'
                    '<bpmn:incoming>E1</bpmn:incoming>')
           .replace('<bpmn:outgoing>E1</bpmn:outgoing>', '<bpmn:outgoing>E1</bpmn:outgoing>', 1)
           .replace("answer = {\"person\": person, \"text\": text}", "answer = person.upper()"))
    key, spec_json = spec_of(xml.encode(), "instant")
    d = Driver(key, spec_json, detach=True)
    d.start({"people": ["a", "b"]})
    assert d.parts == {} and d.main.new_parts == []
    [(_, summary)] = d.open()
    assert summary.element_id == "Summary" and summary.data["answers"] == ["A", "B"]


def test_an_instance_whose_bodies_started_inline_runs_them_inline_to_the_end():
    key, spec_json = spec_of(TEAM, "team")
    d = Driver(key, spec_json, detach=False)
    d.start({"people": ["m1", "m2"]})
    d.complete("Answer", "m1", {"text": "一"})
    d.detach = True  # the server now detaches: bodies already started stay where they are
    d.complete("Check", "m1", {"decision": "accept"})
    d.complete("Answer", "m2", {"text": "二"})
    d.complete("Check", "m2", {"decision": "accept"})
    assert d.parts == {} and d.main_saves == 5
    assert [h.element_id for _, h in d.open()] == ["Summary"]


def test_element_states_read_detached_parts_as_the_inline_state():
    states = []
    for detach in (True, False):
        key, spec_json = spec_of(TEAM, "team")
        d = Driver(key, spec_json, detach)
        d.start({"people": ["m1", "m2"]})
        d.complete("Answer", "m1", {"text": "一"})
        states.append(element_states(d.main.state, [p.state for p in d.parts.values()]))
    assert states[0] == states[1]
    assert {e: states[0][e] for e in ("Begin", "Each", "EachBegins", "Answer", "Check")} == {
        "Begin": "completed", "Each": "active", "EachBegins": "completed", "Answer": "active", "Check": "active"}
    assert element_states("not a state", ["[]"]) == {}
