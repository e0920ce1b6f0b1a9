"""The confidential part of a talk record: every role tries every API that could show it.

Readable by the two participants, the branch secretary and the org_admin above, and by nobody
else; it never enters task data, instance data, the audit history, the ledger or the engine.
"""

from __future__ import annotations

import io

import pytest
from docx import Document
from sqlalchemy import select

from server.audit import AuditEvent
from server.database import db
from server.talks.models import TalkConfidential
from server.workflow.models import ProcessInstance
from tests.talkkit import answer, local, ok, problem, record, request_talk, talk

SECRET = "绝密测试内容-家庭变故细节-7Q"

ENTITLED = {
    "m1": "the member who asked (participant)",
    "sec1": "the talker, who is also the branch secretary",
    "admin": "the org_admin of the district above",
}
NOT_ENTITLED = {
    "m2": "a member of the same branch not involved",
    "contact1": "the branch's contact, who scheduled the talk",
    "sec2": "the secretary of another branch",
    "leader1": "the secretary of the party committee above",
    "m11": "a member of another branch",
    "rep1": "a representative of the masses in the branch",
    "designer": "the process designer",
}


def docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


@pytest.fixture
def recorded(fake_clock, as_user):
    fake_clock.now = local(2026, 9, 30, 10)
    requested = request_talk(as_user("m1"), topic="家里的困难想和书记谈谈")
    answer(as_user("contact1"), requested["id"], talker="sec1")
    fake_clock.now = local(2026, 10, 12, 17)
    record(as_user("sec1"), requested["id"], "2026-10-12", confidential=SECRET,
           problems=[problem("家庭困难需要组织关心", "sec1", "2026-11-30")])
    return talk(as_user("sec1"), requested["id"])


def every_task_id(as_user, instance_id):
    items = as_user("admin").get("/api/tasks?scope=all&state=any&limit=500").get_json()["items"]
    ids = [t["id"] for t in items if t["instance_id"] == instance_id]
    assert len(ids) >= 3  # answer, record, close-out
    return ids


def test_entitled_people_read_the_confidential_part(recorded, as_user):
    for username in ENTITLED:
        client = as_user(username)
        body = ok(client.get(f"/api/talks/{recorded['id']}"))
        assert body["record"]["confidential"] == SECRET, username
        assert body["record"]["confidential_visible"] is True
        res = client.get(f"/api/talks/{recorded['id']}/record.docx")
        assert res.status_code == 200, username
        text = docx_text(res.data)
        assert SECRET in text and "党员谈心谈话记录表" in text


def test_nobody_else_sees_it_through_any_api(recorded, as_user):
    task_ids = every_task_id(as_user, recorded["instance_id"])
    for username, who in NOT_ENTITLED.items():
        client = as_user(username)
        res = client.get(f"/api/talks/{recorded['id']}")
        assert SECRET.encode() not in res.data, who
        if res.status_code == 200:  # the contact: the scheduling only (tests/talks/test_talk_readers.py)
            assert res.get_json()["view"] == "scheduling" and res.get_json()["record"] is None, who
        else:
            assert res.status_code == 403, who
        res = client.get(f"/api/talks/{recorded['id']}/record.docx")
        if res.status_code == 200:
            text = docx_text(res.data)
            assert SECRET not in text and "保密内容" in text and "不予显示" in text, who
        else:
            assert res.status_code == 403, who
        urls = [f"/api/tasks/{tid}" for tid in task_ids] + [
            f"/api/process-instances/{recorded['instance_id']}",
            "/api/process-instances?limit=500",
            "/api/tasks?scope=all&state=any&limit=500",
            "/api/talks?limit=500",
            "/api/talks/problems?org_unit=demo-branch1",
            "/api/talks/ledger.xlsx?org_unit=demo-branch1",
            "/api/talks/reports",
        ]
        for url in urls:
            res = client.get(url)
            assert res.status_code in (200, 403, 404), (who, url, res.status_code)
            assert SECRET.encode() not in res.data, (who, url)


def test_the_confidential_part_is_nowhere_but_its_own_table(recorded, as_user):
    # Not even the entitled get it through task data, instance history or the ledger.
    for username in ENTITLED:
        client = as_user(username)
        for tid in every_task_id(as_user, recorded["instance_id"]):
            res = client.get(f"/api/tasks/{tid}")
            assert SECRET.encode() not in res.data
        res = client.get(f"/api/process-instances/{recorded['instance_id']}")
        assert res.status_code == 200 and SECRET.encode() not in res.data
        completed = [h for h in res.get_json()["history"] if h["action"] == "task.completed"
                     and h["details"].get("element_id") == "RecordTalk"]
        assert completed[0]["details"]["confidential_fields"] == ["confidential"]
        assert "confidential" not in completed[0]["details"]["data"]
    ledger = as_user("sec1").get("/api/talks/ledger.xlsx?org_unit=demo-branch1")
    assert ledger.status_code == 200
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(ledger.data))
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any(SECRET in c for c in cells)
    with db.transaction() as s:
        instance = s.get(ProcessInstance, recorded["instance_id"])
        assert SECRET not in instance.engine_state
        from inbox.models import Task

        for task in s.scalars(select(Task).where(Task.instance_id == instance.id)):
            assert SECRET not in str(task.data)
        for event in s.scalars(select(AuditEvent)):
            assert SECRET not in str(event.details)
        assert s.get(TalkConfidential, recorded["id"]).content == SECRET


def test_confidential_field_without_a_store_is_refused(fake_clock, as_user, app):
    """The generic mechanism: a process whose form flags a field confidential but keeps no store."""
    from pathlib import Path

    bpmn = (Path(__file__).resolve().parents[2] / "workflows" / "activity_report.bpmn").read_text(encoding="utf-8")
    bpmn = bpmn.replace('id="activity_report"', 'id="secret_report"').replace(
        'processRef="activity_report"', 'processRef="secret_report"').replace(
        "activity_report.json", "secret_report.json")
    form = {"type": "object", "properties": {"activity": {"type": "string"},
                                             "secret": {"type": "string", "x-confidential": True}}}
    import json

    designer = as_user("designer")
    res = designer.post("/api/process-definitions", data={
        "file": (io.BytesIO(bpmn.encode()), "secret_report.bpmn"),
        "forms": (io.BytesIO(json.dumps(form).encode()), "secret_report.json"),
    }, content_type="multipart/form-data",
        headers={"X-CSRFToken": designer.get("/api/me").get_json()["csrf_token"]})
    assert res.status_code == 201, res.get_json()
    m1 = as_user("m1")
    ok(m1.post("/api/process-instances", json={"process_key": "secret_report", "org_unit": "demo-branch1"}), 201)
    task = m1.get("/api/tasks?scope=mine").get_json()["items"][0]
    res = m1.post(f"/api/tasks/{task['id']}/complete", json={"data": {"activity": "x", "secret": "s3cr3t"}})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "secret"
    assert m1.post(f"/api/tasks/{task['id']}/complete", json={"data": {"activity": "x"}}).status_code == 200
