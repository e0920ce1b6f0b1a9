"""Monitoring on the diagram: one instance's elements, and the heat map of a process over a subtree."""

from __future__ import annotations

import io
from datetime import date

import pytest

from server.database import db
from server.org.models import OrgUnit, Person, Position

REPORT = {"activity": "社区志愿服务", "activity_date": "2026-09-20", "hours": 2}


def start(client, unit="demo-branch1"):
    res = client.post("/api/process-instances", json={"process_key": "activity_report", "org_unit": unit})
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def my_task(client, instance_id):
    items = client.get("/api/tasks?scope=mine").get_json()["items"]
    return next(t for t in items if t["instance_id"] == instance_id)


def complete(client, task_id, data):
    res = client.post(f"/api/tasks/{task_id}/complete", json={"data": data})
    assert res.status_code == 200, res.get_json()


def make_org_admin(username, unit_code):
    from sqlalchemy import select

    with db.transaction() as session:
        person = session.scalar(select(Person).where(Person.username == username))
        unit = session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code))
        session.add(Position(person_id=person.id, org_unit_id=unit.id, role="org_admin", start=date(2020, 1, 1)))


def test_instance_view_marks_completed_active_and_overdue(as_user, fake_clock):
    m1, admin = as_user("m1"), as_user("admin")
    instance = start(m1)
    view = admin.get(f"/api/monitoring/instances/{instance['id']}").get_json()
    assert view["elements"]["WriteReport"]["state"] == "active"
    assert view["elements"]["StartReport"]["state"] == "completed"  # from the engine: no task row for events
    assert view["bpmn_url"] == "/api/process-definitions/activity_report/versions/1/bpmn"

    fake_clock.advance(hours=3)
    complete(m1, my_task(m1, instance["id"])["id"], REPORT)
    fake_clock.advance(days=30)
    view = admin.get(f"/api/monitoring/instances/{instance['id']}").get_json()
    elements = view["elements"]
    assert elements["WriteReport"]["state"] == "completed"
    assert elements["WriteReport"]["tasks"][0]["assignee"] == "王伟"
    assert elements["ReviewReport"]["state"] == "overdue"
    assert elements["ReviewReport"]["tasks"][0]["overdue"] is True
    assert "Decision" not in elements and "ReportAccepted" not in elements
    assert view["counts"] == {"completed": 2, "active": 0, "overdue": 1, "cancelled": 0}
    assert [h["action"] for h in view["history"]][:2] == ["instance.started", "task.created"]
    assert view["instance"]["org_unit"]["code"] == "demo-branch1"


@pytest.mark.parametrize("username", ["m1", "sec1", "designer", "leader1"])
def test_only_org_admins_monitor(as_user, username):
    instance = start(as_user("m1"))
    client = as_user(username)
    assert client.get(f"/api/monitoring/instances/{instance['id']}").status_code == 403
    assert client.get("/api/monitoring/processes/activity_report/heatmap").status_code == 403
    assert client.get("/api/monitoring/units").get_json()["items"] == []


def test_heatmap_counts_and_mean_times_over_a_subtree(as_user, fake_clock):
    m1, m11, m21, admin = as_user("m1"), as_user("m11"), as_user("m21"), as_user("admin")
    first = start(m1)
    start(m1)
    start(m11, "demo-branch2")
    start(m21, "demo-branch3")
    fake_clock.advance(hours=2)
    complete(m1, my_task(m1, first["id"])["id"], REPORT)

    whole = admin.get("/api/monitoring/processes/activity_report/heatmap").get_json()
    assert whole["org_unit"]["code"] == "demo-district"
    assert whole["version"] == 1 and whole["versions"] == [1]
    assert whole["instances"] == {"running": 4, "completed": 0, "total": 4}
    write, review = whole["elements"]["WriteReport"], whole["elements"]["ReviewReport"]
    assert (write["open"], write["completed"], write["overdue"]) == (3, 1, 0)
    assert write["mean_seconds"] == pytest.approx(7200, abs=1)
    assert write["mean_open_seconds"] == pytest.approx(7200, abs=1)
    assert (review["open"], review["completed"]) == (1, 0)
    assert review["mean_seconds"] is None and review["mean_open_seconds"] == pytest.approx(0, abs=1)
    assert whole["max_open"] == 3
    assert len(whole["recent"]) == 4

    pc1 = admin.get("/api/monitoring/processes/activity_report/heatmap?org_unit=demo-pc1").get_json()
    assert pc1["elements"]["WriteReport"]["open"] == 2 and pc1["elements"]["ReviewReport"]["open"] == 1
    pc2 = admin.get("/api/monitoring/processes/activity_report/heatmap?org_unit=demo-pc2").get_json()
    assert pc2["elements"]["WriteReport"]["open"] == 1 and "ReviewReport" not in pc2["elements"]

    fake_clock.advance(days=30)
    late = admin.get("/api/monitoring/processes/activity_report/heatmap").get_json()
    assert late["elements"]["WriteReport"]["overdue"] == 3 and late["elements"]["ReviewReport"]["overdue"] == 1


def test_heatmap_per_version(as_user):
    m1, admin, designer = as_user("m1"), as_user("admin"), as_user("designer")
    start(m1)
    from tests.workflow.test_definitions_api import REPORT as XML
    from tests.workflow.test_definitions_api import deploy

    assert deploy(designer, XML.replace('name="填写活动报告"', 'name="填写本月活动报告"'), "a.bpmn").status_code == 201
    start(m1)
    start(m1)
    latest = admin.get("/api/monitoring/processes/activity_report/heatmap").get_json()
    assert latest["version"] == 2 and latest["versions"] == [1, 2]
    assert latest["elements"]["WriteReport"]["open"] == 2
    assert latest["elements"]["WriteReport"]["name"] == "填写本月活动报告"
    old = admin.get("/api/monitoring/processes/activity_report/heatmap?version=1").get_json()
    assert old["elements"]["WriteReport"]["open"] == 1
    assert admin.get("/api/monitoring/processes/activity_report/heatmap?version=9").status_code == 404
    assert admin.get("/api/monitoring/processes/nothing/heatmap").status_code == 404


def test_an_org_admin_below_sees_only_its_subtree(as_user):
    make_org_admin("leader1", "demo-pc1")
    leader, m1, m21 = as_user("leader1"), as_user("m1"), as_user("m21")
    mine = start(m1)
    theirs = start(m21, "demo-branch3")
    units = [u["code"] for u in leader.get("/api/monitoring/units").get_json()["items"]]
    assert units == ["demo-pc1", "demo-branch1", "demo-branch2"]
    own = leader.get("/api/monitoring/processes/activity_report/heatmap").get_json()
    assert own["org_unit"]["code"] == "demo-pc1" and own["elements"]["WriteReport"]["open"] == 1
    assert leader.get("/api/monitoring/processes/activity_report/heatmap?org_unit=demo-branch1").status_code == 200
    assert leader.get("/api/monitoring/processes/activity_report/heatmap?org_unit=demo-district").status_code == 403
    assert leader.get("/api/monitoring/processes/activity_report/heatmap?org_unit=demo-pc2").status_code == 403
    assert leader.get(f"/api/monitoring/instances/{mine['id']}").status_code == 200
    assert leader.get(f"/api/monitoring/instances/{theirs['id']}").status_code == 403
    assert leader.get("/api/monitoring/instances/999999").status_code == 404


def test_designer_api_diff_forms_and_version_details(as_user):
    from tests.workflow.test_definitions_api import REPORT as XML
    from tests.workflow.test_definitions_api import deploy

    designer, m1 = as_user("designer"), as_user("m1")
    start(m1)
    changed = (XML.replace('name="填写活动报告"', 'name="填写本月活动报告"')
               .replace('value="3 working days"', 'value="2 working days"')
               .replace('<dc:Bounds x="712" y="282"', '<dc:Bounds x="722" y="282"'))
    assert deploy(designer, changed, "activity_report.bpmn").status_code == 201
    diff = designer.get("/api/process-definitions/activity_report/diff").get_json()
    assert (diff["from"], diff["to"]) == (1, 2)
    assert diff["added"] == [] and diff["removed"] == []
    changes = {c["id"]: {x["field"]: (x["old"], x["new"]) for x in c["changes"]} for c in diff["changed"]}
    assert changes == {
        "WriteReport": {"name": ("填写活动报告", "填写本月活动报告")},
        "ReviewReport": {"property:due": ("3 working days", "2 working days")},
    }
    assert diff["moved"] == ["ReportAccepted"]
    same = designer.get("/api/process-definitions/activity_report/diff?from=2&to=2").get_json()
    assert same["changed"] == [] and same["moved"] == []
    assert designer.get("/api/process-definitions/activity_report/diff?from=7").status_code == 404

    detail = designer.get("/api/process-definitions/activity_report").get_json()
    v1, v2 = detail["versions"]
    assert v1["instances"] == {"running": 1, "total": 1} and v1["deployed_by_name"] is None
    assert v2["instances"] == {"running": 0, "total": 0} and v2["deployed_by_name"] == "流程设计员"

    forms = designer.get("/api/forms").get_json()
    names = {f["name"] for f in forms["items"]}
    assert {"activity_report.json", "review_decision.json"} <= names
    assert next(f for f in forms["items"] if f["name"] == "activity_report.json")["title"] == "活动报告"


def test_diff_sees_added_removed_and_engine_settings(as_user):
    from tests.workflow.test_definitions_api import REPORT as XML
    from tests.workflow.test_definitions_api import deploy

    designer = as_user("designer")
    token = designer.get("/api/me").get_json()["csrf_token"]
    extra = XML.replace(
        '<bpmn:sequenceFlow id="Flow_1" sourceRef="StartReport" targetRef="WriteReport" />',
        '<bpmn:sequenceFlow id="Flow_1" sourceRef="StartReport" targetRef="WriteReport" />\n'
        '<bpmn:dataObject id="members" />',
    ).replace('name="通过" sourceRef', 'name="通过了" sourceRef').replace(
        'decision == "return"', 'decision == "return" and True')
    res = designer.post("/api/process-definitions", data={"file": (io.BytesIO(extra.encode()), "a.bpmn")},
                        headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert res.status_code == 201, res.get_json()
    assert deploy(designer, XML, "a.bpmn").status_code == 201
    diff = designer.get("/api/process-definitions/activity_report/diff?from=1&to=2").get_json()
    assert [(a["id"], a["type"]) for a in diff["added"]] == [("members", "dataObject")]
    assert diff["removed"] == []
    changes = {c["id"]: [x["field"] for x in c["changes"]] for c in diff["changed"]}
    assert changes == {"Flow_approved": ["name"], "Flow_returned": ["condition"]}
    diff = designer.get("/api/process-definitions/activity_report/diff?from=2&to=3").get_json()
    assert [r["id"] for r in diff["removed"]] == ["members"] and diff["added"] == []


def test_heatmap_opens_on_the_newest_version_with_instances(as_user):
    m1, admin, designer = as_user("m1"), as_user("admin"), as_user("designer")
    start(m1)
    from tests.workflow.test_definitions_api import REPORT as XML
    from tests.workflow.test_definitions_api import deploy

    # Version 2 is deployed but nothing runs on it yet: the map opens on version 1, where the work is.
    assert deploy(designer, XML.replace('name="填写活动报告"', 'name="填写本月活动报告"'), "a.bpmn").status_code == 201
    opened = admin.get("/api/monitoring/processes/activity_report/heatmap").get_json()
    assert opened["version"] == 1 and opened["versions"] == [1, 2]
    assert opened["elements"]["WriteReport"]["open"] == 1
    start(m1)
    assert admin.get("/api/monitoring/processes/activity_report/heatmap").get_json()["version"] == 2
