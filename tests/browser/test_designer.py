"""The process designer in headless Chromium: template → roles and forms → validate → deploy → inbox."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from server.workflow.engine import parse_bpmn
from tests.browser.designer_helpers import (
    commit,
    element,
    open_designer,
    open_file,
    problems,
    select,
    wait_property,
)

DATA = Path(__file__).resolve().parent / "data"

pytestmark = pytest.mark.browser


def test_new_process_from_template_to_the_right_inbox(page_as, api_as, shot):
    page = page_as("designer")
    open_designer(page)
    assert [p for p in problems(page) if p["severity"] == "error"] == [], "the template must be clean"
    assert not page.locator("#d-versions").is_visible(), "a new process has no versions yet"

    # The process: key and name.
    commit(page, "#p-process-key", "vg_ui_test")
    commit(page, "#p-process-name", "界面测试流程")
    page.wait_for_function("vgDesigner.key === 'vg_ui_test'")

    # The reviewers' lane: offered to the branch's contact instead of the secretary.
    select(page, "Lane_reviewer")
    page.select_option("select[name=lane-role-0]", "contact")
    page.wait_for_function("vgDesigner.element('Lane_reviewer').name === '支部书记 [contact]'")
    commit(page, "#p-lane-label", "支部联络员")
    page.wait_for_function("vgDesigner.element('Lane_reviewer').name === '支部联络员 [contact]'")
    assert page.inner_text("[data-expr=lane]") == "contact"

    # A new form for the first task, made in the form editor.
    select(page, "Task_fill")
    page.click("#p-form-new")
    page.fill("#f-new-name", "ui_apply")
    page.click("#f-new")
    page.click("#f-add")
    first = page.locator(".ff").nth(0)
    commit(page, ".ff >> nth=0 >> input[name=key]", "reason")
    commit(page, ".ff[data-key=reason] input[name=title]", "申请理由")
    page.check(".ff[data-key=reason] input[name=required]")
    commit(page, ".ff[data-key=reason] input[name=min]", "4")
    page.click("#f-add")
    commit(page, ".ff >> nth=1 >> input[name=key]", "people")
    commit(page, ".ff[data-key=people] input[name=title]", "参加人数")
    page.select_option(".ff[data-key=people] select[name=kind]", "integer")
    commit(page, ".ff[data-key=people] input[name=min]", "1")
    assert first.is_visible()
    assert "申请理由" in page.inner_text(".form-preview")
    schema = page.evaluate("vgDesigner.store.forms['ui_apply.json']")
    assert schema["required"] == ["reason"]
    assert schema["properties"]["reason"] == {"type": "string", "title": "申请理由", "minLength": 4}
    assert schema["properties"]["people"] == {"type": "integer", "title": "参加人数", "minimum": 1}
    shot(page, "designer-form-editor")

    select(page, "Task_fill")
    page.select_option("#p-form", "ui_apply.json")
    wait_property(page, "Task_fill", "form", "ui_apply.json")

    # A due date the engine cannot read: validation names the element and marks it.
    select(page, "Task_review")
    page.select_option("#p-due-mode", "date")
    commit(page, "#p-due-value", "三天以后")
    wait_property(page, "Task_review", "due", "三天以后")
    page.click("#d-validate")
    item = page.locator(".problem.error[data-element=Task_review][data-source=engine]")
    item.wait_for()
    assert "三天以后" in item.inner_text()
    review = page.locator("#d-canvas g.djs-element[data-element-id=Task_review]")
    assert "vg-error" in (review.get_attribute("class") or "")
    assert page.locator(".vg-badge.error[data-element=Task_review]").is_visible()
    shot(page, "designer-validation-error")

    # Deploy is refused while the error remains; nothing is stored.
    page.click("#d-deploy")
    page.wait_for_function("document.querySelector('#d-status').textContent.includes('不能部署')")
    status, _ = api_as("designer").call("GET", "/api/process-definitions/vg_ui_test")
    assert status == 404

    # Fixed: 2 working days. Clicking the problem selects its element.
    item.locator("button.link").click()
    page.wait_for_function("vgDesigner.selected().join() === 'Task_review'")
    page.select_option("#p-due-mode", "workdays")
    commit(page, "#p-due-value", "2")
    wait_property(page, "Task_review", "due", "2 working days")
    page.click("#d-validate")
    page.wait_for_function("document.querySelector('#d-status').textContent.includes('校验通过')")
    assert page.locator("#d-problems .empty.ok").count() == 1 and page.inner_text("#d-problem-count") == "0"
    page.click("#d-deploy")
    page.wait_for_function("document.querySelector('#d-status').textContent.includes('已部署')")
    assert page.url.endswith("/designer/vg_ui_test")
    assert page.locator("#d-versions").is_visible()
    shot(page, "designer-deployed")

    status, definition = api_as("designer").call("GET", "/api/process-definitions/vg_ui_test")
    assert status == 200, definition
    assert definition["version"] == 1 and definition["deployed_by"] == "designer"
    assert definition["name"] == "界面测试流程"
    assert definition["forms"]["ui_apply.json"]["properties"]["people"]["type"] == "integer"

    # The member starts it, fills in the designed form in the inbox...
    status, instance = api_as("m1").call("POST", "/api/process-instances",
                                         {"process_key": "vg_ui_test", "org_unit": "demo-branch1"})
    assert status == 201, instance
    member = page_as("m1")
    row = member.locator(".task-row", has_text="填写")
    row.wait_for()
    row.locator("a.task-name").click()
    member.wait_for_selector("#f-reason")
    assert member.locator("label[for=f-people]").inner_text().startswith("参加人数")
    member.fill("#f-reason", "短")
    member.fill("#f-people", "0")
    member.click("form.task-form button[type=submit]")
    member.wait_for_selector(".banner.error")
    assert member.inner_text("[data-field=reason] .field-error") == "至少 4 个字"
    assert member.inner_text("[data-field=people] .field-error") == "不能小于 1"
    member.fill("#f-reason", "组织一次主题党日活动")
    member.fill("#f-people", "12")
    with member.expect_navigation():
        member.click("form.task-form button[type=submit]")

    # ... and the review lands with the branch contact, not with the secretary.
    _, contact_tasks = api_as("contact1").call("GET", "/api/tasks?scope=claimable")
    assert [t["name"] for t in contact_tasks["items"]] == ["审核"]
    assert contact_tasks["items"][0]["role"] == "contact"
    _, secretary_tasks = api_as("sec1").call("GET", "/api/tasks?scope=claimable")
    assert all(t["process_key"] != "vg_ui_test" for t in secretary_tasks["items"])
    contact = page_as("contact1")
    contact.get_by_role("tab", name="可认领").click()
    contact.locator(".task-row", has_text="审核").wait_for()
    shot(contact, "designer-task-in-contact-inbox")


def test_versions_list_diff_and_downloads(page_as, api_as, shot, tmp_path):
    status, old = api_as("m1").call("POST", "/api/process-instances",
                                    {"process_key": "activity_report", "org_unit": "demo-branch1"})
    assert status == 201
    page = page_as("designer")
    open_designer(page, "/designer/activity_report")
    assert element(page, "WriteReport")["properties"]["form"] == "activity_report.json"
    select(page, "WriteReport")
    commit(page, "#p-name", "填写本月活动报告")
    page.wait_for_function("vgDesigner.element('WriteReport').name === '填写本月活动报告'")
    commit(page, "#p-stage_label", "月度填报")
    wait_property(page, "WriteReport", "stage_label", "月度填报")
    page.click("#d-deploy")
    page.wait_for_function("document.querySelector('#d-status').textContent.includes('版本 2')")

    page.click("#d-versions")
    page.wait_for_selector("#version-table tbody tr[data-version='2']")
    rows = page.locator("#version-table tbody tr")
    assert rows.count() == 2
    v2 = page.inner_text("#version-table tr[data-version='2']")
    v1 = page.inner_text("#version-table tr[data-version='1']")
    assert "流程设计员 (designer)" in v2 and "0 / 0" in v2
    assert "系统" in v1 and "1 / 1" in v1, "the running instance keeps version 1"

    # The diff of v1 → v2 is shown at once: the changed task, marked on the new diagram.
    changed = page.locator("#v-changes li.changed[data-element=WriteReport]")
    changed.wait_for()
    text = changed.inner_text()
    assert "填写本月活动报告" in text and "property:stage_label" in text and "月度填报" in text
    assert page.locator("#v-changes li.changed").count() == 1
    assert "vg-diff-changed" in (page.locator("#v-new g[data-element-id=WriteReport]").get_attribute("class") or "")
    shot(page, "designer-versions-diff")

    with page.expect_download() as info:
        page.click("#version-table tr[data-version='2'] [data-download=svg]")
    svg = (tmp_path / "v2.svg")
    info.value.save_as(svg)
    drawing = svg.read_text(encoding="utf-8")
    assert drawing.lstrip().startswith("<?xml") and "<svg" in drawing
    labels = "".join(re.findall(r">([^<>]+)</tspan>", drawing))  # labels are wrapped over several lines
    assert "填写本月活动报告" in labels, labels
    with page.expect_download() as info:
        page.click("#version-table tr[data-version='1'] [data-download=bpmn]")
    bpmn = tmp_path / "v1.bpmn"
    info.value.save_as(bpmn)
    assert 'name="填写活动报告"' in bpmn.read_text(encoding="utf-8")

    # Running instances keep their version; new ones take the new one.
    _, tasks = api_as("m1").call("GET", "/api/tasks")
    names = {t["instance_id"]: t["name"] for t in tasks["items"]}
    assert names[old["id"]] == "填写活动报告"
    _, new = api_as("m1").call("POST", "/api/process-instances",
                               {"process_key": "activity_report", "org_unit": "demo-branch1"})
    assert new["version"] == 2


def test_only_designers_design(page_as, api_as):
    admin = page_as("admin")
    assert admin.locator("header nav a", has_text="流程监控").is_visible()
    assert admin.locator("header nav a", has_text="流程设计").count() == 0
    response = admin.goto("/designer/new")
    assert response.status == 403 and "只有流程设计员" in admin.inner_text("#denied")
    designer = page_as("designer")
    assert designer.locator("header nav a", has_text="流程设计").is_visible()
    assert designer.goto("/monitor").status == 403
    member = page_as("m1")
    assert member.goto("/designer").status == 403
    assert member.goto("/monitor/instances/1").status == 403
    # The API refuses too, whatever the page shows.
    status, body = api_as("admin").call("GET", "/api/monitoring/processes/activity_report/heatmap")
    assert status == 200, body
    status, _ = api_as("designer").call("GET", "/api/monitoring/processes/activity_report/heatmap")
    assert status == 403


def test_designer_lists_processes_and_opens_one(page_as):
    page = page_as("designer")
    page.click("header nav a:has-text('流程设计')")
    row = page.locator("#process-table tr[data-key=activity_report]")
    row.wait_for()
    row.get_by_role("link", name="编辑").click()
    page.wait_for_selector("#designer[data-state=ready]")
    assert "activity_report" in page.inner_text("#d-title")
    assert json.loads(json.dumps(element(page, "ReviewReport")))["properties"]["form"] == "review_decision.json"


def test_panel_writes_what_the_engine_reads(page_as, api_as, shot):
    """Script, multi-instance over a collection, assignee from the element variable, a working-day timer,
    a condition and a default flow, all set in the side panel, deployed and run."""
    page = page_as("designer")
    open_designer(page)
    open_file(page, DATA / "panel_fixture.bpmn")
    select(page, "Script")
    commit(page, "#p-script", "members = ['m1', 'm2', 'm3']")
    select(page, "Pledge")
    page.select_option("#p-multi", "parallel")
    commit(page, "#p-collection", "members")
    commit(page, "#p-element-variable", "member")
    commit(page, "#p-assignee", "member")
    commit(page, "#p-stage", "pledge")
    commit(page, "#p-stage_label", "公开承诺")
    select(page, "Wait")
    page.select_option("#p-timer-mode", "workdays")
    commit(page, "#p-timer-value", "2")
    select(page, "F5")
    commit(page, "#p-condition", "len(members) > 5")
    select(page, "G")
    page.select_option("#p-gateway-default", "F4")
    page.wait_for_function("vgDesigner.modeler.get('elementRegistry').get('G').businessObject.default?.id === 'F4'")
    shot(page, "designer-panel-gateway")

    xml = page.evaluate("vgDesigner.saveXML()")
    assert '<bpmn:dataObject id="members" />' in xml, "the collection is declared so that it survives saving"
    process = parse_bpmn(xml.encode("utf-8"), "panel.bpmn")[0]
    spec = json.loads(process.spec_json)["spec"]["task_specs"]
    assert spec["Pledge"]["data_input"]["bpmn_id"] == "members"
    assert spec["Pledge"]["input_item"]["bpmn_id"] == "member"
    assert spec["Wait"]["event_definition"]["expression"] == '"2 working days"'
    assert spec["Script"]["script"] == "members = ['m1', 'm2', 'm3']"
    assert process.stages == [{"code": "pledge", "label": "公开承诺"}]

    page.click("#d-deploy")
    page.wait_for_function("document.querySelector('#d-status').textContent.includes('已部署')")
    assert {p["severity"] for p in problems(page)} <= {"warning"}
    status, body = api_as("m1").call("POST", "/api/process-instances",
                                     {"process_key": "vg_panel_test", "org_unit": "demo-branch1"})
    assert status == 201, body
    for username in ("m1", "m2", "m3"):
        _, tasks = api_as(username).call("GET", "/api/tasks?scope=mine")
        assert [(t["name"], t["stage_label"]) for t in tasks["items"]] == [("承诺", "公开承诺")], username
