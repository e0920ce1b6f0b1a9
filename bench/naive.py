"""The naive baseline: a whole campaign as one SpiffWorkflow instance in one serialized blob.

This is how a workflow engine is usually first put behind a web server: one
instance for the campaign, its multi-instance pledge over every member of the
district, stored as SpiffWorkflow's own JSON (spec included) in one row. Each
completion loads the row, deserializes, completes the task, runs the engine,
serializes and saves. It runs in the same server stack as ours (Flask,
gunicorn, SQLAlchemy, the same database) through ``bench/floor.py``.

The diagram is the product's own ``workflows/vanguard_campaign_branch.bpmn``
("the same campaign"), with ``members`` holding the whole district instead of
one branch; ``bench/naive_campaign.bpmn`` stands in if that file is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN_BPMN = ROOT / "workflows" / "vanguard_campaign_branch.bpmn"
FALLBACK_BPMN = Path(__file__).with_name("naive_campaign.bpmn")
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
PLEDGE_ELEMENT = "DraftPledge"
PLEDGE = {"content": "每月至少参加一次社区志愿服务", "deadline": "2026-12-31"}
TIMETABLE = {"mobilise": "2026-10-10", "pledge": "2026-10-31", "fulfil": "2026-12-15", "review": "2027-01-15",
             "appraisal": "2027-02-15", "commendation": "2027-06-30"}
# What a secretary fills in on the steps before the pledges (Mobilise in the product's diagram).
STEP_FORMS: dict[str, dict[str, Any]] = {
    "Mobilise": {"theme": "争做先锋", "carrier": "志愿服务", "meeting_date": "2026-10-08",
                 "meeting_place": "党员活动室", "attendance": 50},
}

_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def bpmn_path() -> Path:
    return CAMPAIGN_BPMN if CAMPAIGN_BPMN.exists() else FALLBACK_BPMN


def _process_id(parser: SpiffBpmnParser) -> str:
    ids = parser.get_process_ids()
    return "vanguard_campaign_branch" if "vanguard_campaign_branch" in ids else ids[0]


def trimmed_bpmn(path: Path) -> bytes:
    """The diagram with each multi-instance body told to drop its loop collection.

    Every instance of a multi-instance activity starts with a copy of its
    parent's data, the whole member list included: N copies of a list of N,
    O(N²) in memory and in the blob. A careful author drops it in the
    instance's preScript (``spiffworkflow:scriptsOnInstances``), as the product
    diagram already does for its other big variables; the baseline gets that
    care too, so that what it measures is the one-blob design, not a diagram
    slip. (Without it, at 1,000 members the blob is ~15 MB and a completion
    about 1 s.)
    """
    tree = etree.parse(str(path))
    for loop in tree.iter(f"{{{BPMN}}}multiInstanceLoopCharacteristics"):
        ref = loop.find(f"{{{BPMN}}}loopDataInputRef")
        if ref is None or not (ref.text or "").strip():
            continue
        activity = loop.getparent()
        ext = activity.find(f"{{{BPMN}}}extensionElements")
        if ext is None:
            ext = etree.SubElement(activity, f"{{{BPMN}}}extensionElements")
            activity.remove(ext)
            activity.insert(0, ext)
        pre = ext.find(f"{{{SPIFF}}}preScript")
        if pre is None:
            pre = etree.SubElement(ext, f"{{{SPIFF}}}preScript")
            pre.text = ""
        name = ref.text.strip()
        pre.text = (pre.text or "") + f"\ntry:\n    del {name}\nexcept NameError:\n    pass"
        loop.set(f"{{{SPIFF}}}scriptsOnInstances", "true")
    return bytes(etree.tostring(tree))


def build(members: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """A campaign instance over ``members``, run up to the pledges: (blob, [(task id, member)])."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(trimmed_bpmn(bpmn_path()), filename=bpmn_path().name)
    pid = _process_id(parser)
    wf = BpmnWorkflow(parser.get_spec(pid), parser.get_subprocess_specs(pid))
    data = {
        "members": list(members),
        "member_names": {m: f"党员{m}" for m in members},
        "raters": list(members),
        "timetable": TIMETABLE,
        "deadline": TIMETABLE["fulfil"],
        "org_unit_id": 1,
        "org_unit_name": "基准区委",
        "started_by": "benchadmin",
    }
    wf.data.update(data)
    for task in wf.get_tasks(state=TaskState.READY):
        task.data.update(data)
    wf.do_engine_steps()
    for _ in range(10):
        ready = [t for t in _all_tasks(wf) if t.state == TaskState.READY and t.task_spec.manual]
        pledges = [t for t in ready if t.task_spec.bpmn_id == PLEDGE_ELEMENT]
        if pledges:
            return _SERIALIZER.serialize_json(wf), [(str(t.id), str(t.data.get("member"))) for t in pledges]
        for task in ready:
            task.set_data(**STEP_FORMS.get(task.task_spec.bpmn_id, {}))
            task.run()
        wf.do_engine_steps()
    raise RuntimeError(f"{bpmn_path().name}: no {PLEDGE_ELEMENT} task became ready")


def _all_tasks(wf: BpmnWorkflow) -> list[Any]:
    """Every task of the instance and its subprocesses.

    ``wf.get_tasks()`` is not used here: with a multi-instance subprocess over
    1,000 members it returned 9,942 of the instance's 10,010 tasks
    (SpiffWorkflow 3.2.0), so some pledges would never be offered.
    """
    tasks = list(wf.tasks.values())
    for sub in wf.subprocesses.values():
        tasks.extend(sub.tasks.values())
    return tasks


def complete(blob: str, task_id: str, data: dict[str, Any]) -> str:
    """One completion the naive way: deserialize all, complete one task, run, serialize all."""
    wf = _SERIALIZER.deserialize_json(blob)
    task = wf.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.READY:
        raise LookupError(f"task {task_id} is not ready")
    task.set_data(**data)
    task.run()
    wf.do_engine_steps()
    return str(_SERIALIZER.serialize_json(wf))
