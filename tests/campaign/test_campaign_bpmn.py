"""The campaign and selection BPMN files: complete diagrams, the bpmn-js round trip, labelled forms."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
FILES = ["vanguard_campaign.bpmn", "vanguard_campaign_branch.bpmn", "excellent_member_selection.bpmn"]
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
NODES = ("startEvent", "endEvent", "userTask", "scriptTask", "subProcess", "exclusiveGateway",
         "parallelGateway", "intermediateThrowEvent")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _forms():
    from server.workflow.definitions import load_forms

    return load_forms(ROOT / "workflows" / "forms")


@pytest.mark.parametrize("name", FILES)
def test_every_element_has_a_diagram_shape_or_edge(name):
    root = etree.parse(str(ROOT / "workflows" / name)).getroot()
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    nodes = [el.get("id") for tag in NODES for el in root.iterfind(f".//bpmn:{tag}", NS)]
    flows = [el.get("id") for el in root.iterfind(".//bpmn:sequenceFlow", NS)]
    lanes = [el.get("id") for el in root.iterfind(".//bpmn:lane", NS)]
    pools = [el.get("id") for el in root.iterfind(".//bpmn:participant", NS)]
    assert nodes and flows and lanes and pools
    assert [n for n in nodes + lanes + pools if n not in shapes] == []
    assert [f for f in flows if f not in edges] == []
    for shape in shapes.values():
        bounds = shape.find("dc:Bounds", NS)
        assert bounds is not None and float(bounds.get("width")) > 0
    for edge in edges.values():
        assert len(edge.findall("di:waypoint", NS)) >= 2


@pytest.mark.parametrize("name", FILES[1:])
def test_loop_collections_are_declared_data_objects(name):
    root = etree.parse(str(ROOT / "workflows" / name)).getroot()
    process = root.find("bpmn:process", NS)
    declared = {d.get("id") for d in process.iterfind(".//bpmn:dataObject", NS)}
    refs = [r.text for tag in ("loopDataInputRef", "loopDataOutputRef") for r in process.iterfind(f".//bpmn:{tag}", NS)]
    assert refs and set(refs) <= declared


@pytest.mark.parametrize("name", FILES)
def test_every_user_task_has_a_labelled_form(name):
    forms = _forms()
    root = etree.parse(str(ROOT / "workflows" / name)).getroot()
    for task in root.iterfind(".//bpmn:userTask", NS):
        props = {p.get("name"): p.get("value") for p in task.iterfind(".//spiffworkflow:property", NS)}
        assert props.get("form") in forms, task.get("id")
        assert props.get("stage") and props.get("stage_label"), task.get("id")
        _check_labels(forms[props["form"]], props["form"])


def _check_labels(schema, where):
    assert CJK.search(schema.get("title", "")), f"{where}: Chinese title"
    assert schema.get("x-title-en"), f"{where}: English title"
    if "enum" in schema:
        assert len(schema["x-enum-labels"]) == len(schema["enum"]) == len(schema["x-enum-labels-en"]), where
    for key, prop in (schema.get("properties") or {}).items():
        _check_labels(prop, f"{where}.{key}")
    if isinstance(schema.get("items"), dict) and schema["items"].get("type") == "object":
        for key, prop in schema["items"]["properties"].items():
            _check_labels(prop, f"{where}[].{key}")
    elif isinstance(schema.get("items"), dict) and "enum" in schema["items"]:
        _check_labels(schema["items"], f"{where}[]")


ROUNDTRIP_JS = """
const path = require('path');
const fs = require('fs');
const BpmnModdle = require(path.join(process.argv[2], 'node_modules/bpmn-moddle/dist/index.cjs'));
(async () => {
  const moddle = new BpmnModdle();
  const out = {};
  for (const file of process.argv.slice(4)) {
    const { rootElement, warnings } = await moddle.fromXML(fs.readFileSync(file, 'utf8'));
    const { xml } = await moddle.toXML(rootElement, { format: true });
    fs.writeFileSync(path.join(process.argv[3], path.basename(file)), xml);
    out[path.basename(file)] = warnings.map(w => w.message);
  }
  console.log(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(1); });
"""


def test_bpmn_js_round_trip_keeps_the_processes_unchanged(tmp_path):
    """Import and save with bpmn-moddle (what bpmn-js uses), then parse: the same executable spec."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "bpmn-moddle").is_dir():
        pytest.skip("node and node_modules/bpmn-moddle are needed (npm ci)")
    from server.workflow.definitions import validate

    script = tmp_path / "roundtrip.cjs"
    script.write_text(ROUNDTRIP_JS)
    out = tmp_path / "out"
    out.mkdir()
    result = subprocess.run([node, str(script), str(ROOT), str(out), *[str(ROOT / "workflows" / f) for f in FILES]],
                            capture_output=True, text=True, timeout=120, check=True)
    warnings = json.loads(result.stdout)
    assert warnings == {f: [] for f in FILES}
    forms = _forms()
    for name in FILES:
        before = validate((ROOT / "workflows" / name).read_bytes(), name, forms)
        after = validate((out / name).read_bytes(), name, forms)
        assert [p.key for p in after] == [p.key for p in before]
        for a, b in zip(after, before, strict=True):
            assert a.stages == b.stages
            assert json.loads(a.spec_json) == json.loads(b.spec_json), name
