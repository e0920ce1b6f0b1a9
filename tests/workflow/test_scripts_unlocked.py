"""No lock is held while user-supplied code runs (issue 14, item 2): a step's scripts are evaluated
with no transaction open, then the step is replayed from the answers (``engine/replay.py``)."""

from __future__ import annotations

import io
import logging
import pickle
import threading
from typing import Any

import pytest
from sqlalchemy import select

from server.database import db, in_write_transaction
from server.workflow.engine import outside_the_lock, replay
from server.workflow.engine.replay import MAX_REPLAYS, engine_call
from server.workflow.engine.sandbox import ScriptFailed, sandbox
from server.workflow.models import ProcessInstance
from tests.livehttp import Client, serve
from tests.timers_support import start

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Defs_spin" targetNamespace="http://vanguard.example/bpmn/tests">
  <bpmn:process id="spin" name="spin" isExecutable="true">
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Write" name="write">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="assignee" value="started_by" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="Compute" name="compute">
      <bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing>
      <bpmn:script>partial = 1
while divisor == 0:
    pass
total = 10 // divisor</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="Big" default="F5">
      <bpmn:incoming>F3</bpmn:incoming><bpmn:outgoing>F4</bpmn:outgoing><bpmn:outgoing>F5</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="F4" sourceRef="Big" targetRef="CheckBig">
      <bpmn:conditionExpression>total &gt; 4</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F5" sourceRef="Big" targetRef="CheckSmall" />
    <bpmn:userTask id="CheckBig" name="check big">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="assignee" value="started_by" />
      </spiffworkflow:properties>
      <spiffworkflow:preScript>note = 'big %d' % total</spiffworkflow:preScript></bpmn:extensionElements>
      <bpmn:incoming>F4</bpmn:incoming><bpmn:outgoing>F6</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="CheckSmall" name="check small">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="assignee" value="started_by" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>F5</bpmn:incoming><bpmn:outgoing>F7</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End1"><bpmn:incoming>F6</bpmn:incoming><bpmn:incoming>F7</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Write" />
    <bpmn:sequenceFlow id="F2" sourceRef="Write" targetRef="Compute" />
    <bpmn:sequenceFlow id="F3" sourceRef="Compute" targetRef="Big" />
    <bpmn:sequenceFlow id="F6" sourceRef="CheckBig" targetRef="End1" />
    <bpmn:sequenceFlow id="F7" sourceRef="CheckSmall" targetRef="End1" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """A longer limit than the default second, so that the endless loop clearly outlasts the other writes."""
    return {**app_config, "script_seconds": 3.0}


@pytest.fixture
def asked(monkeypatch) -> list[tuple[dict[str, Any], bool]]:
    """Every request the sandbox sends a worker: its task data, and whether a write transaction was open."""
    seen: list[tuple[dict[str, Any], bool]] = []
    original = sandbox._ask

    def ask(request: bytes) -> Any:
        seen.append((pickle.loads(request)[2], in_write_transaction()))  # noqa: S301 - the test's own bytes
        return original(request)

    monkeypatch.setattr(sandbox, "_ask", ask)
    return seen


def deploy(client) -> None:
    token = client.get("/api/me").get_json()["csrf_token"]
    res = client.post("/api/process-definitions", data={"file": (io.BytesIO(PROCESS.encode()), "spin.bpmn")},
                      headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert res.status_code == 201, res.get_json()


def open_task(client, instance_id: int) -> dict:
    [task] = [t for t in client.get("/api/tasks").get_json()["items"] if t["instance_id"] == instance_id]
    return task


def engine_state(instance_id: int) -> tuple[str, int]:
    with db.transaction() as session:
        row = session.scalars(select(ProcessInstance).where(ProcessInstance.id == instance_id)).one()
        return row.engine_state, row.lock_version


def test_a_looping_script_does_not_delay_another_instances_write(app, as_user, asked, monkeypatch):
    deploy(as_user("designer"))
    a = start(as_user("m1"), "spin")
    b = start(as_user("m2"), "spin")
    a_task, b_task = open_task(as_user("m1"), a["id"]), open_task(as_user("m2"), b["id"])
    a_before = engine_state(a["id"])

    looping, original = threading.Event(), sandbox._ask

    def ask(request: bytes) -> Any:
        if pickle.loads(request)[2].get("divisor") == 0:  # noqa: S301 - the test's own bytes
            looping.set()
        return original(request)

    monkeypatch.setattr(sandbox, "_ask", ask)
    with serve(app) as base:
        attacker, other = Client(base).login("m1"), Client(base).login("m2")
        outcome: list = []
        attack = threading.Thread(target=lambda: outcome.append(
            attacker.call("POST", f"/api/tasks/{a_task['id']}/complete", {"data": {"divisor": 0}})))
        attack.start()
        assert looping.wait(30), "A's script never reached the sandbox"
        # While A's endless loop runs (3 s limit), B's completion, whose own script is evaluated
        # and whose step is written, goes through: no lock of A's is held.
        status, body = other.call("POST", f"/api/tasks/{b_task['id']}/complete", {"data": {"divisor": 2}})
        assert status == 200, body
        assert attack.is_alive(), "B's write had to wait for A's script to end"
        attack.join(30)
    [(status, body)] = outcome
    assert status == 422, body
    [detail] = body["details"]
    assert (detail["element_id"], detail["error_class"]) == ("Compute", "TimeoutError") and detail["incident_id"]

    # A: rolled back whole, nothing of its script kept; the incident is there for its overseer.
    assert open_task(as_user("m1"), a["id"])["element_id"] == "Write"
    assert engine_state(a["id"]) == a_before
    [incident] = as_user("sec1").get(f"/api/process-instances/{a['id']}").get_json()["incidents"]
    assert (incident["element_id"], incident["error_class"], incident["state"]) == ("Compute", "TimeoutError", "open")
    # B: the script's result fed the gateway and the next task's preScript, as before.
    assert open_task(as_user("m2"), b["id"])["element_id"] == "CheckBig"
    state, _version = engine_state(b["id"])
    assert '"total": 5' in state and '"note": "big 5"' in state
    # Every evaluation was made with no transaction open.
    assert asked and not any(writing for _data, writing in asked)


def test_a_chain_of_scripts_gives_what_it_gave_in_place(as_user, asked):
    """Script → gateway condition → preScript, each fed by the one before: replayed until known."""
    deploy(as_user("designer"))
    m1 = as_user("m1")
    small, big = start(m1, "spin"), start(m1, "spin")
    res = m1.post(f"/api/tasks/{open_task(m1, small['id'])['id']}/complete", json={"data": {"divisor": 5}})
    assert res.status_code == 200, res.get_json()
    res = m1.post(f"/api/tasks/{open_task(m1, big['id'])['id']}/complete", json={"data": {"divisor": 1}})
    assert res.status_code == 200, res.get_json()
    assert open_task(m1, small["id"])["element_id"] == "CheckSmall"
    assert open_task(m1, big["id"])["element_id"] == "CheckBig"
    assert '"note": "big 10"' in engine_state(big["id"])[0]
    assert not any(writing for _data, writing in asked)


def test_a_failing_script_is_replayed_as_its_failure_and_its_data_not_kept(as_user, asked):
    deploy(as_user("designer"))
    m1 = as_user("m1")
    instance = start(m1, "spin")
    before = engine_state(instance["id"])
    res = m1.post(f"/api/tasks/{open_task(m1, instance['id'])['id']}/complete", json={"data": {"divisor": "x"}})
    assert res.status_code == 422, res.get_json()
    [detail] = res.get_json()["details"]
    assert (detail["element_id"], detail["error_class"]) == ("Compute", "TypeError")
    assert engine_state(instance["id"]) == before
    assert open_task(m1, instance["id"])["element_id"] == "Write"
    # Asked once: the failure was kept in the memo and replayed inside the transaction.
    assert [data.get("divisor") for data, _writing in asked] == ["x"]


FAN_OUT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Defs_fan" targetNamespace="http://vanguard.example/bpmn/tests">
  <bpmn:process id="fan" name="fan" isExecutable="true">
    <bpmn:dataObject id="people" name="people"/>
    <bpmn:dataObject id="labels" name="labels"/>
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Each" name="each">
      <bpmn:extensionElements>
        <spiffworkflow:properties><spiffworkflow:property name="assignee" value="person"/></spiffworkflow:properties>
        <spiffworkflow:preScript>label = 'for %s' % person</spiffworkflow:preScript>
      </bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics spiffworkflow:scriptsOnInstances="true">
        <bpmn:loopDataInputRef>people</bpmn:loopDataInputRef>
        <bpmn:loopDataOutputRef>labels</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="person" name="person"/>
        <bpmn:outputDataItem id="label" name="label"/>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:endEvent id="End1"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Each" />
    <bpmn:sequenceFlow id="F2" sourceRef="Each" targetRef="End1" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_the_prescripts_of_a_fan_out_are_all_learnt_in_one_replay(as_user, monkeypatch):
    token = as_user("designer").get("/api/me").get_json()["csrf_token"]
    res = as_user("designer").post("/api/process-definitions", headers={"X-CSRFToken": token},
                                   data={"file": (io.BytesIO(FAN_OUT.encode()), "fan.bpmn")},
                                   content_type="multipart/form-data")
    assert res.status_code == 201, res.get_json()
    replays: list[int] = []
    evaluate = replay._Memo.evaluate
    monkeypatch.setattr(replay._Memo, "evaluate", lambda memo, misses: (replays.append(len(misses)),
                                                                         evaluate(memo, misses))[1])
    people = ["m1", "m2", "m3", "m4", "m5"]
    instance = start(as_user("sec1"), "fan", data={"people": people})
    assert replays == [5]
    assert instance["id"] in {t["instance_id"] for t in as_user("m3").get("/api/tasks").get_json()["items"]}
    assert all(f'"label": "for {p}"' in engine_state(instance["id"])[0] for p in people)


def test_a_step_with_an_evaluation_is_replayed_once_and_one_without_is_not(app):
    attempts: list[int] = []

    def unit(source: str) -> Any:
        attempts.append(1)
        with db.transaction():
            with engine_call():
                first = sandbox.run("eval", source, {"n": 2}, {}) if source else None
                second = sandbox.run("eval", "n * 10", {"n": 3}, {}) if source else None
            return first, second

    assert outside_the_lock(lambda: unit("n + 1")) == (3, 30)
    assert len(attempts) == 2  # both misses noted in one attempt
    attempts.clear()
    assert outside_the_lock(lambda: unit("")) == (None, None)
    assert len(attempts) == 1


def test_replays_are_bounded_then_the_scripts_are_evaluated_in_place(app, caplog, asked):
    """A value that changes at every attempt (here, the attempt's number) can never be replayed."""
    attempts: list[int] = []

    def unit() -> Any:
        attempts.append(1)
        with db.transaction():
            return sandbox.run("eval", "n + 100", {"n": len(attempts)}, {})

    with caplog.at_level(logging.WARNING, logger="vanguard.scripts"):
        assert outside_the_lock(unit) == MAX_REPLAYS + 1 + 100
    assert len(attempts) == MAX_REPLAYS + 1
    assert "evaluating them in place" in caplog.text
    assert [writing for _data, writing in asked] == [False] * MAX_REPLAYS + [True]


def test_stand_ins_going_round_a_loop_end_the_attempt_at_once(app):
    """Inside an engine call a miss gets a stand-in; the same miss again means a loop: stop there."""
    attempts: list[int] = []

    def unit() -> int:
        attempts.append(1)
        rounds = 0
        with db.transaction(), engine_call():
            while sandbox.run("eval", "n < 3", {"n": 7}, {}):  # a stand-in is True: would loop for ever
                rounds += 1
        return rounds

    assert outside_the_lock(unit) == 0
    assert len(attempts) == 2


def test_a_failure_is_raised_again_at_each_replay_and_nested_units_leave_replaying_to_the_outer(app):
    def unit() -> Any:
        with db.transaction():
            return outside_the_lock(lambda: sandbox.run("eval", "1 // n", {"n": 0}, {}))

    for _ in range(2):
        with pytest.raises(ScriptFailed) as failed:
            outside_the_lock(unit)
        assert failed.value.error_class == "ZeroDivisionError"
    assert replay._MEMO.get() is None
    # With no unit of work around it, the sandbox evaluates in place as it always did.
    with db.transaction():
        assert sandbox.run("eval", "n + 1", {"n": 1}, {}) == 2
