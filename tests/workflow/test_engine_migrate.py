"""Moving a saved state onto a new version of its process, in the engine adapter (no database)."""

from __future__ import annotations

from server.workflow.engine import Run, migrate_state, parse_bpmn

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
<bpmn:process id="fix_me" isExecutable="true">"""


def process(steps: list[str], script: str = "x = 1") -> bytes:
    """Start → the user tasks ``steps`` (a ``*`` prefix: a script task) → end."""
    body, previous = ['<bpmn:startEvent id="Begin"/>'], "Begin"
    for i, step in enumerate(steps):
        if step.startswith("*"):
            body.append(f'<bpmn:scriptTask id="{step[1:]}"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>')
        else:
            body.append(f'<bpmn:userTask id="{step}"/>')
        body.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="{step.lstrip("*")}"/>')
        previous = step.lstrip("*")
    body.append('<bpmn:endEvent id="Finish"/>')
    body.append(f'<bpmn:sequenceFlow id="fz" sourceRef="{previous}" targetRef="Finish"/>')
    return (HEAD + "".join(body) + "</bpmn:process></bpmn:definitions>").encode()


def spec(content: bytes, version: int) -> tuple[str, object]:
    parsed = parse_bpmn(content, "fix_me.bpmn")[0]
    return f"test-migrate:{version}:{hash(content)}", (lambda: parsed.spec_json)


def ready(snapshot) -> list[str]:
    return [h.element_id for h in snapshot.human_tasks]


def test_a_state_moves_to_a_version_with_a_new_step_and_completes_there():
    v1, v2 = spec(process(["A", "B"]), 1), spec(process(["A", "Added", "B"]), 2)
    first = Run.start(*v1, {}).advance()
    [task] = first.human_tasks
    moved = migrate_state(*v1, *v2, first.state)
    assert moved.blocked == [] and moved.active == ["A"]
    run = Run.load(*v2, moved.state)
    assert run.ready_task_ids() == {task.engine_task_id}  # the inbox row keeps its task
    run.complete(task.engine_task_id, {})
    after = run.advance()
    assert ready(after) == ["Added"]
    for element in ("Added", "B"):
        run = Run.load(*v2, after.state)
        run.complete(after.human_tasks[0].engine_task_id, {})
        after = run.advance()
        assert element == "B" or ready(after) == ["B"]
    assert after.completed


def test_a_state_at_a_removed_element_cannot_move():
    v1, v2 = spec(process(["A", "B"]), 1), spec(process(["Renamed", "B"]), 2)
    first = Run.start(*v1, {}).advance()
    dry = migrate_state(*v1, *v2, first.state, apply=False)
    assert dry.blocked == ["A"] and dry.state is None
    assert migrate_state(*v1, *v2, first.state).state is None
