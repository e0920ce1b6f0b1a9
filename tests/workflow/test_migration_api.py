"""Running instances moved to a newly deployed version (issue 16.5), through the API.

The member activity report, version 1, has an instance waiting for the member's report.
Version 2 adds a filing step after the secretary's approval; version 3 renames the report step.
"""

from __future__ import annotations

from tests.campaign.test_campaign_api import ok
from tests.workflow.test_definitions_api import REPORT, deploy

FILING = """<bpmn:userTask id="FileReport" name="归档活动报告">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="role" value="secretary" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>Flow_approved</bpmn:incoming><bpmn:outgoing>Flow_filed</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_filed" sourceRef="FileReport" targetRef="ReportAccepted" />
    <bpmn:endEvent id="ReportAccepted\""""
V2 = (REPORT.replace('<bpmn:endEvent id="ReportAccepted"', FILING, 1)
      .replace('<bpmn:incoming>Flow_approved</bpmn:incoming>\n    </bpmn:endEvent>',
               '<bpmn:incoming>Flow_filed</bpmn:incoming>\n    </bpmn:endEvent>')
      .replace('sourceRef="Decision" targetRef="ReportAccepted"', 'sourceRef="Decision" targetRef="FileReport"'))
V3 = REPORT.replace('"WriteReport"', '"WriteMonthlyReport"').replace(">WriteReport<", ">WriteMonthlyReport<")


def test_a_migrated_instance_completes_on_the_new_version(as_user):
    m1, sec1, admin, designer = as_user("m1"), as_user("sec1"), as_user("admin"), as_user("designer")
    started = ok(m1.post("/api/process-instances", json={"process_key": "activity_report",
                                                          "org_unit": "demo-branch1"}), 201)
    instance_id = started["id"]
    assert started["version"] == 1
    ok(deploy(designer, V2, "activity_report.bpmn"), 201)
    url = "/api/definitions/activity_report/migrate"
    assert m1.post(url, json={"dry_run": True}).status_code == 403
    dry = ok(admin.post(url, json={"dry_run": True}))
    assert dry["to_version"] == 2 and dry["movable"] == 1 and dry["blocked"] == 0
    assert dry["instances"] == [{**dry["instances"][0], "id": instance_id, "from_version": 1,
                                 "active": ["WriteReport"], "blocked": [], "moved": False}]
    assert ok(admin.get(f"/api/process-instances/{instance_id}"))["version"] == 1
    done = ok(admin.post(url, json={"dry_run": False, "instances": [instance_id]}))
    assert done["instances"][0]["moved"] is True
    assert ok(admin.get(f"/api/process-instances/{instance_id}"))["version"] == 2

    # The member's open task is the same row; the process goes on through the new filing step.
    task = ok(m1.get("/api/tasks?scope=mine"))["items"][0]
    ok(m1.post(f"/api/tasks/{task['id']}/complete", json={"data": {
        "activity": "社区志愿服务", "activity_date": "2026-09-27", "hours": 2}}))
    review = next(t for t in ok(sec1.get("/api/tasks?scope=claimable"))["items"] if t["element_id"] == "ReviewReport")
    ok(sec1.post(f"/api/tasks/{review['id']}/complete", json={"data": {"decision": "approve"}}))
    filing = next(t for t in ok(sec1.get("/api/tasks?scope=claimable"))["items"] if t["element_id"] == "FileReport")
    assert filing["instance_id"] == instance_id
    finished = ok(sec1.post(f"/api/tasks/{filing['id']}/complete", json={"data": {}}))
    assert finished["instance"]["state"] == "completed"
    history = ok(admin.get(f"/api/process-instances/{instance_id}"))["history"]
    [moved] = [h for h in history if h["action"] == "instance.migrated"]
    assert moved["actor"] == "admin" and moved["details"]["from_version"] == 1 and moved["details"]["to_version"] == 2


def test_an_instance_whose_active_element_is_gone_cannot_move(as_user):
    m1, admin, designer = as_user("m1"), as_user("admin"), as_user("designer")
    started = ok(m1.post("/api/process-instances", json={"process_key": "activity_report",
                                                          "org_unit": "demo-branch1"}), 201)
    ok(deploy(designer, V3, "activity_report.bpmn"), 201)
    report = ok(admin.post("/api/definitions/activity_report/migrate", json={"dry_run": False}))
    assert report["blocked"] == 1 and report["instances"][0]["blocked"] == ["WriteReport"]
    assert report["instances"][0]["moved"] is False
    assert ok(admin.get(f"/api/process-instances/{started['id']}"))["version"] == 1
    res = admin.post("/api/definitions/activity_report/migrate", json={"to_version": 9})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "to_version"
