"""Detached bodies through the HTTP API: each person's body of a multi-instance subprocess is a row
of its own, a click inside it writes that row only, and the inbox, stages, timers and the monitor
see the instance as one.

``tests/bpmn/team_check.bpmn``: each person answers, the secretary checks each answer; a summary
when all are accepted; ten days after the start the answering is closed.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from inbox.models import Task
from server.database import db
from server.workflow.models import InstancePart, ProcessInstance, TimerJob
from tests.timers_support import deploy_test_bpmn, run_due, start

PEOPLE = ["m1", "m2", "m3"]


@pytest.fixture
def team(app, fake_clock):
    deploy_test_bpmn("team_check.bpmn")
    return fake_clock


def parts(instance_id: int) -> dict[str, dict[str, Any]]:
    """person → his part's row, as stored."""
    with db.transaction() as session:
        rows = session.execute(
            select(Task.data, InstancePart).join(InstancePart, InstancePart.id == Task.part_id)
            .where(Task.instance_id == instance_id, Task.element_id == "Answer")
        ).all()
        found = {}
        for data, part in rows:
            found[data["person"]] = {"id": part.id, "state": part.state, "stage": part.stage,
                                     "engine_state": part.engine_state}
        return found


def instance_row(instance_id: int) -> dict[str, Any]:
    with db.transaction() as session:
        inst = session.get(ProcessInstance, instance_id)
        return {"engine_state": inst.engine_state, "lock_version": inst.lock_version, "stage": inst.stage,
                "state": inst.state}


def mine(client: Any, element_id: str) -> dict[str, Any]:
    items = client.get("/api/tasks?scope=mine").get_json()["items"]
    return next(t for t in items if t["element_id"] == element_id)


def claimable(client: Any) -> list[dict[str, Any]]:
    return client.get("/api/tasks?scope=claimable").get_json()["items"]


def data_of(client: Any, task: dict[str, Any]) -> dict[str, Any]:
    return client.get(f"/api/tasks/{task['id']}").get_json()["data"]


def complete(client: Any, task: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    res = client.post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def waiting_due_jobs(instance_id: int) -> set[str]:
    with db.transaction() as session:
        return set(session.scalars(
            select(TimerJob.element_id).where(TimerJob.instance_id == instance_id, TimerJob.kind == "task_due",
                                              TimerJob.state == "waiting")
        ))


def test_a_click_in_one_persons_body_writes_that_body_alone(as_user, team):
    sec1 = as_user("sec1")
    instance = start(sec1, "team_check", data={"people": PEOPLE})
    assert instance["stage"] == "answer"
    before = parts(instance["id"])
    assert sorted(before) == PEOPLE and {p["state"] for p in before.values()} == {"running"}
    main_before = instance_row(instance["id"])

    m1 = as_user("m1")
    answer = mine(m1, "Answer")
    assert answer["stage"] == "answer" and answer["assignee"] == "m1"
    result = complete(m1, answer, {"text": "一号的答复"})
    assert result["instance"]["stage"] == "answer"  # m2 and m3 still answer

    after = parts(instance["id"])
    changed = [p for p in PEOPLE if after[p]["engine_state"] != before[p]["engine_state"]]
    assert changed == ["m1"] and after["m1"]["stage"] == "check"
    main_after = instance_row(instance["id"])
    assert main_after["engine_state"] == main_before["engine_state"]
    assert main_after["lock_version"] == main_before["lock_version"] + 1
    [check] = claimable(sec1)
    assert check["element_id"] == "Check" and data_of(sec1, check)["text"] == "一号的答复"
    # m1's due date went with his answer; the check has one of its own.
    assert waiting_due_jobs(instance["id"]) == {"Answer", "Check"}


def test_the_instance_moves_on_when_the_last_body_ends(as_user, team):
    sec1 = as_user("sec1")
    instance = start(sec1, "team_check", data={"people": PEOPLE})
    for person in PEOPLE:
        client = as_user(person)
        complete(client, mine(client, "Answer"), {"text": f"{person} 的答复"})
    assert instance_row(instance["id"])["stage"] == "check"
    checks = {data_of(sec1, t)["person"]: t for t in claimable(sec1)}
    complete(sec1, checks["m2"], {"decision": "return"})
    assert instance_row(instance["id"])["stage"] == "answer"  # m2 answers again
    m2 = as_user("m2")
    complete(m2, mine(m2, "Answer"), {"text": "m2 的新答复"})
    for check in claimable(sec1):
        result = complete(sec1, check, {"decision": "accept"})
    assert result["instance"]["stage"] == "summary"
    assert {p["state"] for p in parts(instance["id"]).values()} == {"completed"}
    [summary] = claimable(sec1)
    assert summary["element_id"] == "Summary"
    # In the order the bodies ended, as inline (m2's came back last).
    assert data_of(sec1, summary)["answers"] == [{"person": "m1", "text": "m1 的答复"},
                                         {"person": "m3", "text": "m3 的答复"},
                                         {"person": "m2", "text": "m2 的新答复"}]
    view = as_user("admin").get(f"/api/monitoring/instances/{instance['id']}").get_json()
    states = {k: e["state"] for k, e in _elements(view).items()}
    assert states["Answer"] == "completed" and states["Check"] == "completed" and states["Summary"] == "active"
    assert states["Record"] == "completed"
    complete(sec1, summary, {})
    assert instance_row(instance["id"])["state"] == "completed"


def _elements(view: dict[str, Any]) -> dict[str, Any]:
    elements = view["elements"]
    return elements if isinstance(elements, dict) else {e["element_id"]: e for e in elements}


def test_the_monitor_shows_what_runs_inside_the_bodies(as_user, team):
    sec1 = as_user("sec1")
    instance = start(sec1, "team_check", data={"people": PEOPLE})
    m1 = as_user("m1")
    complete(m1, mine(m1, "Answer"), {"text": "一"})
    view = as_user("admin").get(f"/api/monitoring/instances/{instance['id']}").get_json()
    elements = _elements(view)
    assert elements["Answer"]["state"] == "active" and elements["Check"]["state"] == "active"
    assert len(elements["Answer"]["tasks"]) == 3
    # Elements without tasks are known from the bodies' own engine states.
    assert elements["EachBegins"]["state"] == "completed" and elements["Each"]["state"] == "active"


def test_closing_the_answering_withdraws_every_open_body(as_user, team):
    sec1 = as_user("sec1")
    instance = start(sec1, "team_check", data={"people": PEOPLE})
    m1 = as_user("m1")
    complete(m1, mine(m1, "Answer"), {"text": "一"})
    complete(sec1, claimable(sec1)[0], {"decision": "accept"})
    team.advance(days=10, seconds=1)
    run_due()
    rows = parts(instance["id"])
    assert rows["m1"]["state"] == "completed"
    assert rows["m2"]["state"] == rows["m3"]["state"] == "cancelled"
    assert instance_row(instance["id"])["state"] == "completed"
    for person in ("m2", "m3"):
        assert as_user(person).get("/api/tasks?scope=mine").get_json()["total"] == 0
    assert waiting_due_jobs(instance["id"]) == set()
    history = sec1.get(f"/api/process-instances/{instance['id']}").get_json()["history"]
    cancelled = [h for h in history if h["action"] == "task.cancelled"]
    assert sorted(h["details"]["element_id"] for h in cancelled) == ["Answer", "Answer"]


def test_a_task_of_a_finished_body_cannot_be_completed_twice(as_user, team):
    sec1 = as_user("sec1")
    start(sec1, "team_check", data={"people": ["m1"]})
    m1 = as_user("m1")
    answer = mine(m1, "Answer")
    complete(m1, answer, {"text": "一"})
    res = m1.post(f"/api/tasks/{answer['id']}/complete", json={"data": {"text": "again"}})
    assert res.status_code == 409
