"""What evaluating scripts outside the transaction costs a completion (issue 14, item 2).

``python -m bench.replay [--samples 200]``: one in-process app on a fresh SQLite file with the
demo organisation; a member completes the first task of a small process, timed through the
Flask test client, in two modes taken in turn:

* ``replayed`` (as shipped): a step that evaluates something rolls back, the sandbox evaluates
  outside the transaction, the step runs again from the memo;
* ``in place`` (``replay.MAX_REPLAYS = 0``): every evaluation is made inside the transaction,
  as before the change.

Two processes: ``gate`` (the completion runs one gateway condition: one replay) and ``plain``
(the completion evaluates nothing, like a pledge: no replay). Prints p50/p95 per process and
mode, and the load average.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from inbox.models import Task
from server.app import create_app
from server.database import db
from server.ops.schema import migrate
from server.workflow.engine import replay

USER_TASK = """
    <bpmn:userTask id="{id}" name="{id}">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="assignee" value="started_by" />
      </spiffworkflow:properties></bpmn:extensionElements>
      {flows}
    </bpmn:userTask>"""
PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Defs_{key}" targetNamespace="http://vanguard.example/bpmn/bench">
  <bpmn:process id="{key}" name="{key}" isExecutable="true">
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Decide" />{body}
  </bpmn:process>
</bpmn:definitions>
"""
GATE = (USER_TASK.format(id="Decide", flows="<bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>") + """
    <bpmn:exclusiveGateway id="Gate" default="F4">
      <bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing><bpmn:outgoing>F4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="F2" sourceRef="Decide" targetRef="Gate" />
    <bpmn:sequenceFlow id="F3" sourceRef="Gate" targetRef="Redo">
      <bpmn:conditionExpression>decision == "return"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F4" sourceRef="Gate" targetRef="Next" />"""
        + USER_TASK.format(id="Redo", flows="<bpmn:incoming>F3</bpmn:incoming><bpmn:outgoing>F5</bpmn:outgoing>")
        + USER_TASK.format(id="Next", flows="<bpmn:incoming>F4</bpmn:incoming><bpmn:outgoing>F6</bpmn:outgoing>")
        + """
    <bpmn:endEvent id="End1"><bpmn:incoming>F5</bpmn:incoming><bpmn:incoming>F6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F5" sourceRef="Redo" targetRef="End1" />
    <bpmn:sequenceFlow id="F6" sourceRef="Next" targetRef="End1" />""")
"""The completion of Decide evaluates one gateway condition."""
PLAIN = (USER_TASK.format(id="Decide", flows="<bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>")
         + USER_TASK.format(id="Next", flows="<bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F6</bpmn:outgoing>")
         + """
    <bpmn:sequenceFlow id="F2" sourceRef="Decide" targetRef="Next" />
    <bpmn:endEvent id="End1"><bpmn:incoming>F6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F6" sourceRef="Next" targetRef="End1" />""")
"""The completion of Decide evaluates nothing (like a pledge)."""


def _deploy(client: Any, key: str, body: str) -> None:
    token = client.get("/api/me").get_json()["csrf_token"]
    xml = PROCESS.format(key=key, body=body)
    res = client.post("/api/process-definitions", data={"file": (io.BytesIO(xml.encode()), f"{key}.bpmn")},
                      headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert res.status_code == 201, res.get_json()


def _one(member: Any, key: str) -> float:
    res = member.post("/api/process-instances", json={"process_key": key, "org_unit": "demo-branch1"})
    assert res.status_code == 201, res.get_json()
    instance = res.get_json()["id"]
    with db.transaction() as session:  # the inbox list is paged: ask the table
        task = session.scalars(select(Task.id).where(Task.instance_id == instance, Task.state == "open")).one()
    started = time.perf_counter()
    res = member.post(f"/api/tasks/{task}/complete", json={"data": {"decision": "approve"}})
    elapsed = time.perf_counter() - started
    assert res.status_code == 200, res.get_json()
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="completions per process and mode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate(url)
        app = create_app({"database_url": url, "instance_dir": Path(folder) / "instance",
                          "secret_key": "bench", "demo": True, "scheduler": "off", "shipped_schedules": False,
                          "rate_limit_storage": "memory://", "TESTING": True})
        clients = {}
        for name in ("designer", "m1"):
            clients[name] = app.test_client()
            res = clients[name].post("/api/session", json={"username": name, "password": "demo"})
            assert res.status_code == 200, res.get_json()
        _deploy(clients["designer"], "gate", GATE)
        _deploy(clients["designer"], "plain", PLAIN)
        shipped = replay.MAX_REPLAYS
        logging.getLogger("vanguard.scripts").setLevel(logging.ERROR)  # "in place" warns at every step
        times: dict[tuple[str, str], list[float]] = {}
        load_before = os.getloadavg()
        for _ in range(5):  # warm: the sandbox's worker, the spec cache
            _one(clients["m1"], "gate")
        for i in range(args.samples * 2):
            mode = "replayed" if i % 2 == 0 else "in place"
            replay.MAX_REPLAYS = shipped if mode == "replayed" else 0
            for key in ("gate", "plain"):
                times.setdefault((key, mode), []).append(_one(clients["m1"], key))
        replay.MAX_REPLAYS = shipped
        load_after = os.getloadavg()
        db.dispose()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}; {args.samples} completions each")
    print("| process | mode | p50 ms | p95 ms |")
    print("|---|---|---:|---:|")
    for (key, mode), values in sorted(times.items()):
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"| {key} | {mode} | {statistics.median(values):.2f} | {p95:.2f} |")


if __name__ == "__main__":
    main()
