"""Deploying BPMN through the API: validation with element ids, versions, nothing stored on error."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIWG = ROOT.parent / "shared" / "bpmn-corpus" / "miwg"
REPORT = (ROOT / "workflows" / "activity_report.bpmn").read_text(encoding="utf-8")


def deploy(client, xml: str, name: str = "x.bpmn"):
    token = client.get("/api/me").get_json()["csrf_token"]
    return client.post(
        "/api/process-definitions",
        data={"file": (io.BytesIO(xml.encode("utf-8")), name)},
        headers={"X-CSRFToken": token},
        content_type="multipart/form-data",
    )


def versions(client, key):
    return [v["version"] for v in client.get(f"/api/process-definitions/{key}").get_json()["versions"]]


def test_workflows_folder_is_deployed_at_start(as_user):
    keys = {d["key"] for d in as_user("m1").get("/api/process-definitions").get_json()["items"]}
    assert "activity_report" in keys


def test_only_designers_deploy(as_user):
    res = deploy(as_user("admin"), REPORT)
    assert res.status_code == 403


def test_redeploy_makes_a_new_version_and_running_instances_keep_theirs(as_user):
    designer = as_user("designer")
    m1 = as_user("m1")
    old = m1.post("/api/process-instances", json={"process_key": "activity_report", "org_unit": "demo-branch1"})
    assert old.get_json()["version"] == 1
    changed = REPORT.replace('name="填写活动报告"', 'name="填写本月活动报告"')
    res = deploy(designer, changed, "activity_report.bpmn")
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["key"] == "activity_report" and res.get_json()["version"] == 2
    assert versions(designer, "activity_report") == [1, 2]
    new = m1.post("/api/process-instances", json={"process_key": "activity_report", "org_unit": "demo-branch1"})
    assert new.get_json()["version"] == 2
    names = {t["instance_id"]: t["name"] for t in m1.get("/api/tasks").get_json()["items"]}
    assert names[old.get_json()["id"]] == "填写活动报告"
    assert names[new.get_json()["id"]] == "填写本月活动报告"
    xml = designer.get("/api/process-definitions/activity_report/versions/1/bpmn")
    assert xml.status_code == 200 and "填写活动报告" in xml.get_data(as_text=True)


def test_raw_xml_body_is_accepted(as_user):
    designer = as_user("designer")
    token = designer.get("/api/me").get_json()["csrf_token"]
    res = designer.post("/api/process-definitions?name=r.bpmn", data=REPORT.encode(),
                        content_type="application/xml", headers={"X-CSRFToken": token})
    assert res.status_code == 201


@pytest.mark.parametrize(
    ("mutation", "element", "words"),
    [
        (('name="支部书记、副书记 [secretary|deputy_secretary]"', 'name="支部书记、副书记 [chairman]"'), "ReviewReport",
         "unknown role"),
        (('value="review_decision.json"', 'value="missing.json"'), "ReviewReport", "not found"),
        (('value="3 working days"', 'value="three days"'), "ReviewReport", "three days"),
        (("decision == \"return\"</bpmn:conditionExpression>", "</bpmn:conditionExpression>"),
         "Flow_returned", "without a condition"),
        (('id="StartReport"', 'id="Start"'), "Start", "reserved"),
        (('name="支部书记、副书记 [secretary|deputy_secretary]"', 'name="支部书记 [secretary@galaxy]"'), "ReviewReport",
         "unknown scope"),
    ],
)
def test_invalid_file_is_refused_with_element_ids_and_nothing_stored(as_user, mutation, element, words):
    designer = as_user("designer")
    broken = REPORT.replace(*mutation)
    if mutation[1] == 'id="Start"':
        broken = broken.replace("StartReport", "Start")
    if "without a condition" in words:
        broken = re.sub(r"<bpmn:conditionExpression[^>]*></bpmn:conditionExpression>", "", broken)
    res = deploy(designer, broken)
    assert res.status_code == 422, res.get_json()
    body = res.get_json()
    assert body["error"] == "invalid"
    hits = [d for d in body["details"] if d["element_id"] == element]
    assert hits, body["details"]
    assert any(words in d["message"] for d in hits), body["details"]
    assert versions(designer, "activity_report") == [1]


def test_xsd_problems_are_all_listed(as_user):
    broken = REPORT.replace('<bpmn:userTask id="WriteReport"', '<bpmn:userTask bogus="1" id="WriteReport"')
    broken = broken.replace('<bpmn:endEvent id="ReportAccepted"', '<bpmn:endEvent wrong="2" id="ReportAccepted"')
    res = deploy(as_user("designer"), broken)
    assert res.status_code == 422
    ids = {d["element_id"] for d in res.get_json()["details"]}
    assert {"WriteReport", "ReportAccepted"} <= ids


def test_garbage_is_refused_clearly(as_user):
    res = deploy(as_user("designer"), "this is not xml")
    assert res.status_code == 422
    assert "not well-formed" in res.get_json()["details"][0]["message"]


@pytest.mark.parametrize("path", sorted(MIWG.glob("*.bpmn")), ids=lambda p: p.name)
def test_miwg_models_never_cause_a_server_error(as_user, path):
    res = deploy(as_user("designer"), path.read_text(encoding="utf-8"), path.name)
    assert res.status_code in (201, 422), res.get_data(as_text=True)[:500]
    body = res.get_json()
    if res.status_code == 422:
        assert body["details"], body
        assert all(d["message"] for d in body["details"])


def test_dmn_decision_deployed_with_its_process(as_user):
    designer = as_user("designer")
    token = designer.get("/api/me").get_json()["csrf_token"]
    here = Path(__file__).resolve().parents[1] / "bpmn"
    res = designer.post(
        "/api/process-definitions",
        data={"file": (io.BytesIO((here / "dmn_feedback.bpmn").read_bytes()), "dmn_feedback.bpmn"),
              "dmn": (io.BytesIO((here / "grade_feedback.dmn").read_bytes()), "grade_feedback.dmn")},
        headers={"X-CSRFToken": token}, content_type="multipart/form-data",
    )
    assert res.status_code == 201, res.get_json()
    sec1 = as_user("sec1")
    for grade, feedback in (("excellent", "affirmed"), ("qualified", "problems_named")):
        started = sec1.post("/api/process-instances", json={
            "process_key": "dmn_feedback", "org_unit": "demo-branch1", "data": {"grade": grade}})
        assert started.status_code == 201, started.get_json()
        task = started.get_json()["open_tasks"][0]
        assert sec1.get(f"/api/tasks/{task['id']}").get_json()["data"]["feedback"] == feedback


def test_process_without_its_dmn_is_refused(as_user):
    here = Path(__file__).resolve().parents[1] / "bpmn"
    res = deploy(as_user("designer"), (here / "dmn_feedback.bpmn").read_text(encoding="utf-8"))
    assert res.status_code == 422
    assert res.get_json()["details"][0]["message"]


def test_a_process_without_a_start_form_takes_only_a_few_small_values(as_user):
    """Issue 14 item 4: start data of a formless process is bounded (keys, size, depth)."""
    m1 = as_user("m1")

    def start(data):
        return m1.post("/api/process-instances", json={"process_key": "activity_report",
                                                       "org_unit": "demo-branch1", "data": data})

    assert start({"title": "三月活动", "note": "x" * 1000}).status_code == 201
    nested = {"a": {"b": {"c": {"d": {"e": 1}}}}}
    for data, field in (({"x" * 65: 1}, "data." + "x" * 65), ({"a b": 1}, "data.a b"), ({"名字": 1}, "data.名字"),
                        ({f"k{i}": i for i in range(21)}, "data"), ({"text": "长" * 6000}, "data"),
                        (nested, "data")):
        res = start(data)
        assert res.status_code == 422, res.get_json()
        assert field[:80] in [d["field"] for d in res.get_json()["details"]], res.get_json()
