"""Hostile scripts: refused at deploy with their element id, or failing their step at run time
in the sandbox while everyone else's requests go on (docs/security.md, "Scripts run in a sandbox")."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import pytest

from server.errors import Invalid
from server.workflow.definitions import validate
from server.workflow.engine.sandbox import Limits, Sandbox, ScriptFailed
from tests.livehttp import Client, serve

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Defs_hostile" targetNamespace="http://vanguard.example/bpmn/tests">
  <bpmn:process id="hostile" name="hostile" isExecutable="true">
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Evil" name="evil">
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="Choose" default="F4">
      <bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing><bpmn:outgoing>F4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Evil" />
    <bpmn:sequenceFlow id="F2" sourceRef="Evil" targetRef="Choose" />
    <bpmn:sequenceFlow id="F3" sourceRef="Choose" targetRef="Wait">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F4" sourceRef="Choose" targetRef="Write" />
    <bpmn:intermediateCatchEvent id="Wait">
      <bpmn:incoming>F3</bpmn:incoming><bpmn:outgoing>F5</bpmn:outgoing>
      <bpmn:timerEventDefinition id="WaitTimer">
        <bpmn:timeDuration>{timer}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="F5" sourceRef="Wait" targetRef="Write" />
    <bpmn:userTask id="Write" name="write">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="assignee" value="started_by" />
        </spiffworkflow:properties>
        <spiffworkflow:preScript>{prescript}</spiffworkflow:preScript>
      </bpmn:extensionElements>
      <bpmn:incoming>F4</bpmn:incoming><bpmn:incoming>F5</bpmn:incoming><bpmn:outgoing>F6</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End1"><bpmn:incoming>F6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F6" sourceRef="Write" targetRef="End1" />
  </bpmn:process>
</bpmn:definitions>
"""
HARMLESS = {"script": "checked = len(started_by) &gt; 0", "condition": "checked and False",
            "timer": "working_days(1)", "prescript": "note = 'ok'"}


def hostile(**parts: str) -> str:
    return PROCESS.format(**{**HARMLESS, **parts})


def deploy(client, xml: str):
    token = client.get("/api/me").get_json()["csrf_token"]
    return client.post("/api/process-definitions", data={"file": (io.BytesIO(xml.encode()), "hostile.bpmn")},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data")


REFUSED = [
    ("script", "Evil", "import os\nos.system('id')", "import is not allowed"),
    ("script", "Evil", "from os import system", "import is not allowed"),
    ("script", "Evil", "x = __import__('os')", "__import__"),
    ("script", "Evil", "secret = open('instance/secret_key').read()", "'open' is not offered"),
    ("script", "Evil", "x = ().__class__.__subclasses__()", "__class__"),
    ("script", "Evil", "x = getattr((), '__class__')", "'getattr' is not offered"),
    ("script", "Evil", "x = '{0.__class__}'.format(1)", "str.format"),
    ("script", "Evil", "x = '{0.real}'.format_map({})", "str.format_map"),
    ("script", "Evil", "x = f'{().__class__}'", "__class__"),
    ("script", "Evil", "raise SystemExit(3)", "'SystemExit' is not offered"),
    ("script", "Evil", "raise KeyboardInterrupt", "'KeyboardInterrupt' is not offered"),
    ("script", "Evil", "exec('x = 1')", "'exec' is not offered"),
    ("script", "Evil", "x = eval('1')", "'eval' is not offered"),
    ("script", "Evil", "f = (i for i in [1]).gi_frame.f_back", "restricted name"),
    ("script", "Evil", "x = vars()", "'vars' is not offered"),
    ("script", "Evil", "class A:\n    pass", "class definition"),
    ("condition", "F3", "__import__('os').system('id') == 0", "__import__"),
    ("condition", "F3", "globals() is None", "'globals' is not offered"),
    ("timer", "Wait", "open('/etc/passwd').read()", "'open' is not offered"),
    ("prescript", "Write", "import subprocess", "import is not allowed"),
]


@pytest.mark.parametrize(("part", "element", "text", "reason"), REFUSED,
                         ids=[f"{p}-{r[:20]}" for p, _, _, r in REFUSED])
def test_hostile_text_is_refused_at_deploy_naming_the_element(as_user, part, element, text, reason):
    res = deploy(as_user("designer"), hostile(**{part: text.replace("<", "&lt;").replace(">", "&gt;")}))
    assert res.status_code == 422, res.get_json()
    details = res.get_json()["details"]
    assert any(d["element_id"] == element and reason in d["message"] for d in details), details
    assert as_user("designer").get("/api/process-definitions/hostile").status_code == 404


def test_a_harmless_process_deploys_and_runs(as_user):
    assert deploy(as_user("designer"), hostile()).status_code == 201
    m1 = as_user("m1")
    res = m1.post("/api/process-instances", json={"process_key": "hostile", "org_unit": "demo-branch1"})
    assert res.status_code == 201, res.get_json()
    [task] = [t for t in m1.get("/api/tasks").get_json()["items"] if t["instance_id"] == res.get_json()["id"]]
    assert task["element_id"] == "Write"


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="D" name="d" namespace="http://x">
  <decision id="grade_feedback" name="d">
    <decisionTable id="Table_grade" hitPolicy="FIRST">
      <input id="Input_grade" label="grade">
        <inputExpression id="InputExpr_grade" typeRef="string"><text>grade</text></inputExpression>
      </input>
      <output id="Output_feedback" label="feedback" name="feedback" typeRef="string" />
      <rule id="Rule_1">
        <inputEntry id="In_1"><text>"excellent"</text></inputEntry>
        <outputEntry id="Out_1"><text>{output}</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def test_dmn_expressions_are_held_to_the_same_policy():
    root = Path(__file__).resolve().parents[1] / "bpmn"
    bpmn = (root / "dmn_feedback.bpmn").read_bytes()
    validate(bpmn, "dmn_feedback.bpmn", {}, {"grade_feedback.dmn": DMN.format(output='"affirmed"').encode()})
    with pytest.raises(Invalid) as refused:
        validate(bpmn, "dmn_feedback.bpmn", {},
                 {"grade_feedback.dmn": DMN.format(output="__import__('os').getcwd()").encode()})
    assert any(d["element_id"] == "Out_1" and "__import__" in d["message"] for d in refused.value.details)


@pytest.fixture(scope="module")
def quick():
    """A sandbox of its own with a short limit, so that the overrunning cases stay quick."""
    return Sandbox(Limits(seconds=0.5, memory_mb=160))


@pytest.mark.parametrize(("script", "context", "error_class"), [
    ("while True:\n    pass", {}, "TimeoutError"),
    ("x = sum(range(10 ** 12))", {}, "TimeoutError"),
    ("x = 10 ** 10 ** 8", {}, "TimeoutError"),
    ("x = 'a' * 10 ** 10", {}, "MemoryError"),
    ("x = [0] * 10 ** 9", {}, "MemoryError"),
    ("x = [[i] * 1000 for i in range(10 ** 8)]", {}, "MemoryError TimeoutError"),  # whichever comes first
    ("def f(n):\n    return f(n + 1)\nx = f(0)", {}, "RecursionError"),
    ("raise boom", {"boom": SystemExit}, "SystemExit"),
    ("raise boom", {"boom": KeyboardInterrupt}, "KeyboardInterrupt"),
    ("raise boom", {"boom": GeneratorExit}, "GeneratorExit"),
    ("import os", {}, "ImportError"),
    ("x = open('/etc/passwd')", {}, "NameError"),
    ("x = ().__class__", {}, "ScriptRefused"),
    ("x = '{0.real}'.format(1)", {}, "NotImplementedError"),
    ("x = (i for i in [1])", {}, "TypeError"),
    ("x = ValueError.mro()", {}, "AttributeError"),
])
def test_what_passes_deploy_still_fails_in_the_sandbox_and_the_sandbox_goes_on(quick, script, context,
                                                                               error_class):
    started = time.monotonic()
    with pytest.raises(ScriptFailed) as failed:
        quick.run("exec", script, context, {})
    assert failed.value.error_class in error_class.split(), failed.value
    assert time.monotonic() - started < 0.5 + 1.5
    assert quick.run("eval", "len(items) + 1", {"items": [1, 2]}, {}) == 3


def test_scripts_see_their_data_and_globals_and_leave_only_data(quick):
    left = quick.run("exec", "f = lambda x: x * 2\nresult = f(n)\nwhen = date(2026, 1, 1) + timedelta(days=n)\n"
                             "del gone\ntimer = working_days(3)", {"n": 2, "gone": 1}, {})
    assert left == {"n": 2, "result": 4, "when": __import__("datetime").date(2026, 1, 3),
                    "timer": "3 working days"}


def test_the_worker_itself_can_open_no_file_and_holds_no_privilege(quick):
    """Defence in depth: even a function smuggled past the policy (here, handed in as data by the
    test itself) finds a process that can open nothing and, under root, is ``nobody``."""
    with pytest.raises(ScriptFailed) as refused:
        quick.run("eval", "opener('/etc/hostname')", {"opener": open}, {})
    assert refused.value.error_class == "OSError" and "Too many open files" in refused.value.message
    with pytest.raises(ScriptFailed) as refused:
        quick.run("eval", "connect(('127.0.0.1', 5432))", {"connect": __import__("socket").create_connection}, {})
    assert refused.value.error_class == "OSError"
    if os.geteuid() == 0:
        assert quick.run("eval", "uid()", {"uid": os.geteuid}, {}) == 65534


def _hostile_process_deployed(as_user, script: str) -> None:
    assert deploy(as_user("designer"), hostile(script=script)).status_code == 201


@pytest.mark.slow
@pytest.mark.parametrize("script", ["while True:\n    pass", "x = 'a' * 10 ** 10",
                                    "def f(n):\n    return f(n + 1)\nx = f(0)"],
                         ids=["endless-loop", "memory-bomb", "deep-recursion"])
def test_a_hostile_step_fails_alone_while_others_are_served(app, as_user, script):
    _hostile_process_deployed(as_user, script)
    with serve(app) as base:
        attacker, other = Client(base).login("m1"), Client(base).login("m2")
        outcome: list = []
        attack = threading.Thread(target=lambda: outcome.append(
            attacker.call("POST", "/api/process-instances", {"process_key": "hostile", "org_unit": "demo-branch1"})))
        attack.start()
        time.sleep(0.2)
        # Another member reads and writes at once: no lock is held while the script runs (replay.py).
        started = time.monotonic()
        assert other.call("GET", "/api/tasks")[0] == 200
        assert time.monotonic() - started < 2.0
        started = time.monotonic()
        status, body = other.call("POST", "/api/process-instances",
                                  {"process_key": "activity_report", "org_unit": "demo-branch1"})
        assert status == 201, body
        assert time.monotonic() - started < 2.0
        attack.join(10)
        [(status, body)] = outcome
        assert status == 422 and body["details"][0]["element_id"] == "Evil", body
        assert other.call("GET", "/api/tasks")[0] == 200
