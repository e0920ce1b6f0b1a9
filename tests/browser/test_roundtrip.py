"""Round trip without loss: every shipped BPMN file, opened in the designer and saved unchanged,
parses to the very same engine spec and runs exactly like the original."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import and_, select

from inbox import completion
from inbox.models import OPEN, Task, TaskCandidate
from server.database import db
from server.org.models import Person, Position
from server.workflow import instances
from server.workflow.engine import parse_bpmn
from server.workflow.models import ProcessInstance
from tests.browser.designer_helpers import open_designer, open_file, problems

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "workflows").glob("*.bpmn"))
FORMS = ROOT / "workflows" / "forms"


def _engine_view(xml: bytes, name: str) -> list[dict[str, Any]]:
    """What the engine makes of a file: processes, elements (names, lanes, properties), stages, full spec."""
    return [
        {
            "key": p.key,
            "name": p.name,
            "stages": p.stages,
            "elements": sorted((e.element_id, e.kind, e.name, e.lane, sorted(e.properties.items()), e.documentation)
                               for e in p.elements),
            "spec": json.loads(p.spec_json),
        }
        for p in parse_bpmn(xml, name)
    ]


def _sample(schema: dict[str, Any] | None) -> dict[str, Any]:
    """Form data that satisfies a form's required fields (same data for both runs)."""
    if not schema:
        return {}
    data: dict[str, Any] = {}
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        prop = props.get(name, {})
        if "enum" in prop:
            data[name] = prop["enum"][0]
        elif prop.get("type") == "boolean":
            data[name] = True
        elif prop.get("type") in ("number", "integer"):
            data[name] = prop.get("minimum", 1)
        elif prop.get("format") == "date":
            data[name] = "2026-10-01"
        elif prop.get("type") == "array":
            data[name] = []
        elif prop.get("type") == "object":
            data[name] = {}
        else:
            data[name] = "测试内容" * max(1, int(prop.get("minLength", 1)) // 4 + 1)
    return data


def _open_tasks(session: Any, instance_id: int) -> list[tuple[Any, ...]]:
    rows = session.scalars(select(Task).where(Task.instance_id == instance_id, Task.state == OPEN)
                           .order_by(Task.element_id, Task.id)).all()
    return [(t.element_id, t.name, t.role, t.form, t.stage, t.priority, t.assignee_id is None, t.due_at is None)
            for t in rows]


def _actor(session: Any, task: Task) -> Person | None:
    if task.assignee_id:
        return session.get(Person, task.assignee_id)
    person_id = session.scalar(
        select(Position.person_id)
        .join(TaskCandidate, and_(TaskCandidate.org_unit_id == Position.org_unit_id,
                                  TaskCandidate.role == Position.role))
        .where(TaskCandidate.task_id == task.id)
        .order_by(Position.person_id)
        .limit(1)
    )
    return session.get(Person, person_id) if person_id else None


def _start(key: str, unit: str) -> tuple[int | None, str | None]:
    try:
        with db.transaction() as session:
            instance = instances.start_instance(session, process_key=key, org_unit=unit,
                                                data={"title": "round trip"}, actor=None)
            return instance.id, None
    except Exception as exc:  # noqa: BLE001 - both versions must fail alike
        return None, f"{type(exc).__name__}: {exc}"


def _step(instance_id: int) -> str:
    """Complete the first open task (by element id) with sample data; describe what happened."""
    try:
        with db.transaction() as session:
            task = session.scalar(select(Task).where(Task.instance_id == instance_id, Task.state == OPEN)
                                  .order_by(Task.element_id, Task.id).limit(1))
            if task is None:
                return "no open task"
            actor = _actor(session, task)
            if actor is None:
                return f"nobody may complete {task.element_id}"
            schema = task.instance.definition.forms.get(task.form) if task.form else None
            completion.complete(session, actor, task.id, _sample(schema))
            return f"completed {task.element_id}"
    except Exception as exc:  # noqa: BLE001 - both versions must fail alike
        return f"{type(exc).__name__}: {str(exc).split(chr(10))[0]}"


def _state(instance_id: int) -> dict[str, Any]:
    with db.transaction() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        return {"state": instance.state, "stage": instance.stage, "tasks": _open_tasks(session, instance_id)}


def _deploy(client: Any, xml: str, name: str) -> tuple[int, Any]:
    token = client.call("GET", "/api/me")[1]["csrf_token"]
    boundary = "vgroundtrip"
    body = io.BytesIO()
    body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
               "Content-Type: application/xml\r\n\r\n".encode())
    body.write(xml.encode("utf-8"))
    body.write(f"\r\n--{boundary}--\r\n".encode())
    request = urllib.request.Request(client.base + "/api/process-definitions", data=body.getvalue(), method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                              "X-CSRFToken": token})
    try:
        with client.opener.open(request, timeout=60) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_every_shipped_bpmn_survives_the_designer(page_as, api_as, shot):
    assert WORKFLOWS, "workflows/ has no BPMN file"
    page = page_as("designer")
    open_designer(page)
    failures: list[str] = []
    for path in WORKFLOWS:
        original = path.read_bytes()
        open_file(page, path)
        if page.get_attribute("#designer", "data-state") != "ready":
            failures.append(f"{path.name}: the designer could not open it: {problems(page)}")
            continue
        warnings = problems(page, "import")
        if warnings:
            failures.append(f"{path.name}: import warnings {[w['message'] for w in warnings]}")
        saved = page.evaluate("vgDesigner.saveXML()")
        before, after = _engine_view(original, path.name), _engine_view(saved.encode("utf-8"), path.name)
        for old, new in zip(before, after, strict=False):
            for part in ("key", "name", "stages", "elements"):
                if old[part] != new[part]:
                    failures.append(f"{path.name}: {part} differ:\n{old[part]}\n{new[part]}")
            if old["spec"] != new["spec"]:
                failures.append(f"{path.name}: the engine's spec of {old['key']} differs after saving")
        if len(before) != len(after):
            failures.append(f"{path.name}: {len(before)} processes before, {len(after)} after")

        # Run both: the original (deployed at start) and the saved file (deployed now) side by side,
        # in two branches of the same shape (a process may allow one instance per branch and period).
        for process in before:
            key = process["key"]
            first, first_error = _start(key, "demo-branch1")
            status, body = _deploy(api_as("designer"), saved, path.name)
            if status != 201:
                failures.append(f"{path.name}: deploying the saved file answered {status}: {body}")
                continue
            second, second_error = _start(key, "demo-branch2")
            if first_error or second_error:
                if first_error != second_error:
                    failures.append(f"{path.name}/{key}: start differs: {first_error!r} vs {second_error!r}")
                continue
            assert first is not None and second is not None
            for step in range(4):
                one, two = _state(first), _state(second)
                if one != two:
                    failures.append(f"{path.name}/{key}: after {step} step(s) the runs differ:\n{one}\n{two}")
                    break
                if one["state"] != "running" or not one["tasks"]:
                    break
                done_one, done_two = _step(first), _step(second)
                if done_one != done_two:
                    failures.append(f"{path.name}/{key}: step {step + 1} differs: {done_one!r} vs {done_two!r}")
                    break
    shot(page, "designer-roundtrip-last")
    assert not failures, "\n\n".join(failures)
