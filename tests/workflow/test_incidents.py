"""Incidents: a step failing in a script is rolled back, kept, shown to overseers and designers,
retried after a fix; the instance's next successful step resolves it."""

from __future__ import annotations

import io

import pytest

from server.workflow.engine import parsing
from tests.timers_support import beijing, deploy_test_bpmn, jobs, run_due, start

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Defs_divide" targetNamespace="http://vanguard.example/bpmn/tests">
  <bpmn:process id="divide" name="divide" isExecutable="true">
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Write" name="write">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="assignee" value="started_by" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="Compute" name="compute">
      <bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="Check" name="check">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="assignee" value="started_by" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>F3</bpmn:incoming><bpmn:outgoing>F4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End1"><bpmn:incoming>F4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Write" />
    <bpmn:sequenceFlow id="F2" sourceRef="Write" targetRef="Compute" />
    <bpmn:sequenceFlow id="F3" sourceRef="Compute" targetRef="Check" />
    <bpmn:sequenceFlow id="F4" sourceRef="Check" targetRef="End1" />
  </bpmn:process>
</bpmn:definitions>
"""


def deploy(client, script: str):
    token = client.get("/api/me").get_json()["csrf_token"]
    xml = PROCESS.format(script=script)
    res = client.post("/api/process-definitions", data={"file": (io.BytesIO(xml.encode()), "divide.bpmn")},
                      headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert res.status_code == 201, res.get_json()


def my_task(client, instance_id: int) -> dict:
    [task] = [t for t in client.get("/api/tasks").get_json()["items"] if t["instance_id"] == instance_id]
    return task


@pytest.mark.parametrize(("script", "error_class"), [
    ("total = 10 // divisor", "ZeroDivisionError"),
    ("while divisor == 0:\n    pass\ntotal = 10 // divisor", "TimeoutError"),
    ("blob = 'x' * (10 ** 10) if divisor == 0 else ''\ntotal = 10 // divisor", "MemoryError"),
])
def test_a_failing_script_rolls_its_step_back_and_leaves_an_incident(as_user, script, error_class):
    deploy(as_user("designer"), script)
    m1, sec1, sec2, designer = as_user("m1"), as_user("sec1"), as_user("sec2"), as_user("designer")
    instance = start(m1, "divide")
    task = my_task(m1, instance["id"])

    res = m1.post(f"/api/tasks/{task['id']}/complete", json={"data": {"divisor": 0}})
    assert res.status_code == 422, res.get_json()
    [detail] = res.get_json()["details"]
    assert detail["element_id"] == "Compute" and detail["error_class"] == error_class and detail["incident_id"]

    # Rolled back: the task is open again, nothing of the step was kept.
    assert my_task(m1, instance["id"])["element_id"] == "Write"
    # The overseer and the designer see it; the member and another branch's secretary do not.
    shown = sec1.get(f"/api/process-instances/{instance['id']}").get_json()
    [incident] = shown["incidents"]
    assert (incident["element_id"], incident["error_class"], incident["cause"], incident["state"]) == (
        "Compute", error_class, "task", "open")
    assert "incidents" not in m1.get(f"/api/process-instances/{instance['id']}").get_json()
    assert [i["id"] for i in sec1.get("/api/incidents").get_json()["items"]] == [incident["id"]]
    assert [i["id"] for i in designer.get("/api/incidents").get_json()["items"]] == [incident["id"]]
    assert sec2.get("/api/incidents").get_json()["items"] == []
    assert m1.get("/api/incidents").get_json()["items"] == []

    # The same failure again counts; the member cannot retry; the overseer is told how.
    assert m1.post(f"/api/tasks/{task['id']}/complete", json={"data": {"divisor": 0}}).status_code == 422
    [again] = sec1.get(f"/api/process-instances/{instance['id']}").get_json()["incidents"]
    assert again["id"] == incident["id"] and again["occurrences"] == 2
    retry = f"/api/process-instances/{instance['id']}/incidents/{incident['id']}/retry"
    assert m1.post(retry, json={}).status_code == 403
    assert sec2.post(retry, json={}).status_code == 403
    told = sec1.post(retry, json={})
    assert told.status_code == 409 and "completing it" in told.get_json()["message"]

    # Completing with data the script can work with is the retry: the incident is resolved.
    done = m1.post(f"/api/tasks/{task['id']}/complete", json={"data": {"divisor": 2}})
    assert done.status_code == 200, done.get_json()
    assert my_task(m1, instance["id"])["element_id"] == "Check"
    assert sec1.get("/api/incidents").get_json()["items"] == []
    [resolved] = sec1.get(f"/api/process-instances/{instance['id']}").get_json()["incidents"]
    assert resolved["state"] == "resolved" and resolved["resolved_at"]


def test_a_timer_whose_step_fails_leaves_an_incident_that_a_retry_arms_again(app, as_user, fake_clock):
    deploy_test_bpmn("timer_wait.bpmn")
    instance = start(as_user("sec1"), "timer_wait_test",
                     data={"fire_at": beijing(2026, 9, 28, 11, 0).isoformat(), "ticks": 0, "work_seconds": "x"})
    fake_clock.now = beijing(2026, 9, 28, 12, 0)
    assert run_due().failed == 1
    [incident] = as_user("sec1").get("/api/incidents").get_json()["items"]
    assert (incident["instance_id"], incident["element_id"], incident["cause"]) == (instance["id"], "Work", "timer")
    fake_clock.advance(hours=12)
    for _ in range(6):  # it keeps failing: one incident, counted, until the job gives up
        fake_clock.advance(hours=2)
        run_due()
    [job] = jobs(instance["id"], "bpmn_timer")
    assert job["state"] == "failed"
    [incident] = as_user("sec1").get("/api/incidents").get_json()["items"]
    assert incident["occurrences"] >= 2

    # Named by the incident alone (issue 16's contract): the member of another branch may not,
    # an unknown incident is not found, the secretary retries.
    assert as_user("m11").post(f"/api/incidents/{incident['id']}/retry", json={}).status_code == 403
    assert as_user("sec1").post("/api/incidents/99999/retry", json={}).status_code == 404
    retried = as_user("sec1").post(f"/api/incidents/{incident['id']}/retry", json={})
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["outcome"] == "scheduled"
    [job] = jobs(instance["id"], "bpmn_timer")
    assert job["state"] == "waiting" and job["attempts"] == 0


def test_a_definition_stored_before_the_policy_is_still_confined_at_run_time(as_user, monkeypatch):
    """A process deployed before scripts were checked (here: the check switched off) keeps its
    ``import os``; at run time the sandbox has no ``__import__``, and the step fails alone."""
    monkeypatch.setattr(parsing, "bpmn_script_problems", lambda root: [])
    deploy(as_user("designer"), "import os\ntotal = os.system('touch /tmp/vanguard-owned')")
    m1, sec1 = as_user("m1"), as_user("sec1")
    instance = start(m1, "divide")
    task = my_task(m1, instance["id"])
    res = m1.post(f"/api/tasks/{task['id']}/complete", json={"data": {"divisor": 1}})
    assert res.status_code == 422 and res.get_json()["details"][0]["error_class"] == "ImportError", res.get_json()
    [incident] = sec1.get("/api/incidents").get_json()["items"]
    assert incident["element_id"] == "Compute" and "__import__" in incident["message"]


PARALLEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Defs_pair" targetNamespace="http://vanguard.example/bpmn/tests">
  <bpmn:process id="pair_divide" name="pair divide" isExecutable="true">
    <bpmn:laneSet id="Lanes">
      <bpmn:lane id="LaneMember" name="党员 [member]"><bpmn:flowNodeRef>Write</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="LaneSecretary" name="书记 [secretary]"><bpmn:flowNodeRef>Note</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="Split"><bpmn:incoming>F1</bpmn:incoming>
      <bpmn:outgoing>F2</bpmn:outgoing><bpmn:outgoing>F3</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="Write" name="write">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="assignee" value="started_by" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="Compute" name="compute">
      <bpmn:incoming>F4</bpmn:incoming><bpmn:outgoing>F5</bpmn:outgoing>
      <bpmn:script>total = 10 // divisor</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="Note" name="note">
      <bpmn:incoming>F3</bpmn:incoming><bpmn:outgoing>F6</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:parallelGateway id="Join"><bpmn:incoming>F5</bpmn:incoming><bpmn:incoming>F6</bpmn:incoming>
      <bpmn:outgoing>F7</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:endEvent id="End1"><bpmn:incoming>F7</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Split" />
    <bpmn:sequenceFlow id="F2" sourceRef="Split" targetRef="Write" />
    <bpmn:sequenceFlow id="F3" sourceRef="Split" targetRef="Note" />
    <bpmn:sequenceFlow id="F4" sourceRef="Write" targetRef="Compute" />
    <bpmn:sequenceFlow id="F5" sourceRef="Compute" targetRef="Join" />
    <bpmn:sequenceFlow id="F6" sourceRef="Note" targetRef="Join" />
    <bpmn:sequenceFlow id="F7" sourceRef="Join" targetRef="End1" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_another_persons_step_in_the_same_instance_resolves_nothing(as_user):
    designer = as_user("designer")
    token = designer.get("/api/me").get_json()["csrf_token"]
    res = designer.post("/api/process-definitions", data={"file": (io.BytesIO(PARALLEL.encode()), "pair.bpmn")},
                        headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert res.status_code == 201, res.get_json()
    m1, sec1 = as_user("m1"), as_user("sec1")
    instance = start(m1, "pair_divide")
    write = my_task(m1, instance["id"])
    assert m1.post(f"/api/tasks/{write['id']}/complete", json={"data": {"divisor": 0}}).status_code == 422
    [incident] = sec1.get("/api/incidents").get_json()["items"]

    # The secretary's own task in the same instance goes through: the member's incident stays open.
    [note] = [t for t in sec1.get("/api/tasks?scope=claimable").get_json()["items"]
              if t["instance_id"] == instance["id"]]
    assert sec1.post(f"/api/tasks/{note['id']}/claim", json={}).status_code == 200
    assert sec1.post(f"/api/tasks/{note['id']}/complete", json={"data": {}}).status_code == 200
    assert [i["id"] for i in sec1.get("/api/incidents").get_json()["items"]] == [incident["id"]]

    # The member's step going through resolves it; the instance ends.
    assert m1.post(f"/api/tasks/{write['id']}/complete", json={"data": {"divisor": 5}}).status_code == 200
    assert sec1.get("/api/incidents").get_json()["items"] == []
    assert sec1.get(f"/api/process-instances/{instance['id']}").get_json()["state"] == "completed"
