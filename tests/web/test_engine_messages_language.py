"""What the engine and the checks below it say reaches a Chinese user in Chinese (``localized``
beside the English ``message``, in each detail too), with the element id, the field and the
value kept: a step failing in a script (the task's error, the incident), a BPMN file refused
by the designer's validation, a form's JSON-Schema errors, the activity pages' refusals."""

from __future__ import annotations

import io

import pytest

from tests.activitykit import record
from tests.talkkit import ok, request_talk
from tests.timers_support import start
from tests.workflow.test_incidents import PROCESS, deploy, my_task

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
BAD_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="Defs_bad" targetNamespace="http://vanguard.example/bpmn/tests">
  <bpmn:process id="bad" name="bad" isExecutable="true">
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Compute"><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
      <bpmn:script>import os</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="Choose"><bpmn:incoming>F2</bpmn:incoming>
      <bpmn:outgoing>F3</bpmn:outgoing><bpmn:outgoing>F4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="Done"><bpmn:incoming>F3</bpmn:incoming><bpmn:incoming>F4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Compute" />
    <bpmn:sequenceFlow id="F2" sourceRef="Compute" targetRef="Choose" />
    <bpmn:sequenceFlow id="F3" sourceRef="Choose" targetRef="Done" />
    <bpmn:sequenceFlow id="F4" sourceRef="Choose" targetRef="Done" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize(("script", "said"), [
    ("total = 10 // divisor", "脚本中出现了除以零（ZeroDivisionError）。"),
    ("total = nothing + 1", "脚本用到了 nothing，它既不是任务数据，也不是脚本可用的函数（NameError）。"),
])
def test_a_failing_script_is_told_in_chinese_on_the_task_and_the_incident(as_user, script, said):
    deploy(as_user("designer"), script)
    m1, sec1 = as_user("m1"), as_user("sec1")
    instance = start(m1, "divide")
    task = my_task(m1, instance["id"])
    res = m1.post(f"/api/tasks/{task['id']}/complete", json={"data": {"divisor": 0}}, headers=ZH)
    body = res.get_json()
    assert res.status_code == 422 and body["message"].startswith("the process cannot continue at element 'Compute'")
    assert body["localized"] == f"流程在元素 Compute 处无法继续：{said}", body
    assert body["details"][0]["element_id"] == "Compute" and body["details"][0]["localized"] == said
    [incident] = sec1.get("/api/incidents", headers=ZH).get_json()["items"]
    assert incident["localized"] == said and incident["message"].split(":")[0] in said
    [shown] = sec1.get(f"/api/process-instances/{instance['id']}", headers=ZH).get_json()["incidents"]
    assert shown["localized"] == said


def test_the_designer_is_told_in_chinese_why_a_file_cannot_be_deployed(as_user):
    designer = as_user("designer")
    token = designer.get("/api/me").get_json()["csrf_token"]
    res = designer.post("/api/process-definitions/validate", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(BAD_BPMN.encode()), "bad.bpmn")},
                        headers={"X-CSRFToken": token, **ZH})
    body = res.get_json()
    assert res.status_code == 422, body
    assert body["localized"] == f"bad.bpmn：有 {len(body['details'])} 个问题，无法部署。"
    said = {d["element_id"]: d["localized"] for d in body["details"]}
    assert said["Compute"] == "script：脚本不能使用 import。", said
    assert said["F3"] == "连线 F3 从网关 Choose 引出，既没有条件，也不是默认连线。", said
    assert all("localized" in d for d in body["details"]), body["details"]


def test_the_parsers_own_words_are_kept_in_a_chinese_frame(as_user):
    designer = as_user("designer")
    token = designer.get("/api/me").get_json()["csrf_token"]
    broken = PROCESS.format(script="x = 1").replace("<bpmn:endEvent", "<bpmn:endEvent><oops", 1)
    res = designer.post("/api/process-definitions/validate", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(broken.encode()), "divide.bpmn")},
                        headers={"X-CSRFToken": token, **ZH})
    [detail] = res.get_json()["details"]
    words = detail["message"].removeprefix("not well-formed XML: ")  # the parser's own, kept
    assert detail["localized"] == f"文件不是格式正确的 XML：{words}", detail


def test_form_errors_name_their_field_and_value_in_chinese(as_user, fake_clock):
    requested = request_talk(as_user("m1"))
    contact1 = as_user("contact1")
    [task] = [t for t in ok(contact1.get("/api/tasks?scope=claimable&process=talk_request"))["items"]
              if t["instance_id"] == requested["instance_id"]]
    res = contact1.post(f"/api/tasks/{task['id']}/complete", headers=ZH, json={"data": {
        "scheduled_at": "next tuesday", "place": "x", "talker": "sec1", "way": "by pigeon", "mood": "fine"}})
    body = res.get_json()
    assert res.status_code == 422, body
    assert body["localized"].startswith("请修改标出的字段：") and "place" in body["localized"], body
    said = {d["field"]: d["localized"] for d in body["details"]}
    assert said["scheduled_at"] == "'next tuesday' 不是有效日期（date-time），或超出系统支持的年份。", said
    assert said["place"] == "'x' 太短。"
    assert said["way"].startswith("'by pigeon' 不在可选项") and "face_to_face" in said["way"]
    assert said[None] == "此表单没有字段 'mood'。"


def test_activity_refusals_in_chinese(as_user, fake_clock):
    m1 = as_user("m1")
    m1.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH["Accept-Language"]
    res = record(m1, activity_date="2026-12-30")
    body = res.get_json()
    assert res.status_code == 422, body
    assert body["localized"] == "活动完成后才能记录：日期不能晚于今天。", body
    res = m1.get("/api/activities/records?state=lost")
    assert res.get_json()["localized"] == "状态应为已提交、已确认或已退回。"


def test_an_english_user_gets_no_localized_details(as_user, fake_clock):
    requested = request_talk(as_user("m1"))
    contact1 = as_user("contact1")
    contact1.patch("/api/me", json={"locale": "en"})
    [task] = [t for t in ok(contact1.get("/api/tasks?scope=claimable&process=talk_request"))["items"]
              if t["instance_id"] == requested["instance_id"]]
    body = contact1.post(f"/api/tasks/{task['id']}/complete", json={"data": {"place": "x"}}).get_json()
    assert "localized" not in body and not any("localized" in d for d in body["details"]), body
