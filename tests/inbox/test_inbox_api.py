"""The inbox through the HTTP API: a two-lane process driven by the people who hold the roles."""

from __future__ import annotations


def start_report(as_user, username="m1", unit="demo-branch1"):
    res = as_user(username).post("/api/process-instances",
                                 json={"process_key": "activity_report", "org_unit": unit, "data": {}})
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def mine(client, **params):
    query = "&".join(f"{k}={v}" for k, v in {"scope": "mine", **params}.items())
    return client.get(f"/api/tasks?{query}").get_json()


REPORT = {"activity": "为孤寡老人打扫卫生", "activity_date": "2026-09-20", "hours": 2}


def test_member_report_reaches_secretary_and_back(as_user):
    instance = start_report(as_user)
    assert instance["stage"] == "report" and instance["state"] == "running"
    m1 = as_user("m1")
    tasks = mine(m1)
    assert tasks["total"] == 1
    task = tasks["items"][0]
    assert task["element_id"] == "WriteReport" and task["assignee"] == "m1"
    assert task["process_key"] == "activity_report" and task["org_unit"]["code"] == "demo-branch1"
    assert task["due_at"] is not None

    assert m1.post(f"/api/tasks/{task['id']}/complete", json={"data": REPORT}).status_code == 200

    sec1 = as_user("sec1")
    claimable = sec1.get("/api/tasks?scope=claimable").get_json()
    assert [t["element_id"] for t in claimable["items"]] == ["ReviewReport"]
    review = claimable["items"][0]
    assert review["role"] == "secretary|deputy_secretary" and review["assignee"] is None
    # Secretaries of other branches and plain members do not see it offered to them.
    assert as_user("sec2").get("/api/tasks?scope=claimable").get_json()["total"] == 0
    assert as_user("m2").get("/api/tasks?scope=claimable").get_json()["total"] == 0

    assert sec1.post(f"/api/tasks/{review['id']}/claim", json={}).status_code == 200
    res = sec1.post(f"/api/tasks/{review['id']}/complete",
                    json={"data": {"decision": "return", "reason": "请补充活动照片"}})
    assert res.status_code == 200

    again = mine(m1)["items"]
    assert [t["element_id"] for t in again] == ["WriteReport"]
    detail = m1.get(f"/api/tasks/{again[0]['id']}").get_json()
    assert detail["data"]["reason"] == "请补充活动照片"
    assert detail["form_schema"]["properties"]["activity"]["title"] == "活动内容"
    m1.post(f"/api/tasks/{again[0]['id']}/complete", json={"data": REPORT})
    review2 = sec1.get("/api/tasks?scope=claimable").get_json()["items"][0]
    res = sec1.post(f"/api/tasks/{review2['id']}/complete", json={"data": {"decision": "approve"}})
    assert res.get_json()["instance"]["state"] == "completed"

    inst = m1.get(f"/api/process-instances/{instance['id']}").get_json()
    assert inst["state"] == "completed" and inst["open_tasks"] == []
    actions = [(h["action"], h["actor"]) for h in inst["history"]]
    assert ("instance.started", "m1") in actions
    assert ("task.claimed", "sec1") in actions
    assert actions.count(("task.completed", "sec1")) == 2
    completed = [h for h in inst["history"] if h["action"] == "task.completed"]
    assert completed[0]["details"]["data"] == REPORT


def test_validation_names_each_bad_field_and_changes_nothing(as_user):
    start_report(as_user)
    m1 = as_user("m1")
    task = mine(m1)["items"][0]
    res = m1.post(f"/api/tasks/{task['id']}/complete",
                  json={"data": {"activity": "x", "hours": 100, "extra": 1}})
    assert res.status_code == 422
    body = res.get_json()
    fields = {d["field"] for d in body["details"]}
    assert {"activity", "hours", "activity_date"} <= fields
    assert "activity_date" in body["message"]
    assert mine(m1)["items"][0]["state"] == "open"
    assert as_user("sec1").get("/api/tasks?scope=claimable").get_json()["total"] == 0


def test_claim_unclaim_delegate(as_user, app):
    from server import database as _  # noqa: F401

    start_report(as_user)
    m1 = as_user("m1")
    m1.post(f"/api/tasks/{mine(m1)['items'][0]['id']}/complete", json={"data": REPORT})
    sec1 = as_user("sec1")
    review = sec1.get("/api/tasks?scope=claimable").get_json()["items"][0]
    # A bound task cannot be given back.
    assert sec1.post(f"/api/tasks/{review['id']}/claim", json={}).status_code == 200
    assert sec1.post(f"/api/tasks/{review['id']}/claim", json={}).status_code == 409
    assert mine(sec1)["total"] == 1
    assert sec1.post(f"/api/tasks/{review['id']}/unclaim", json={}).status_code == 200
    assert sec1.get("/api/tasks?scope=claimable").get_json()["total"] == 1
    # Delegation only to someone who holds the role.
    res = sec1.post(f"/api/tasks/{review['id']}/delegate", json={"to": "m2"})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "to"
    res = sec1.post(f"/api/tasks/{review['id']}/delegate", json={"to": "nobody"})
    assert res.status_code == 422
    # A member cannot claim a secretary's task.
    assert as_user("m2").post(f"/api/tasks/{review['id']}/claim", json={}).status_code == 403


def test_bound_task_cannot_be_unclaimed_or_taken(as_user):
    start_report(as_user)
    task = mine(as_user("m1"))["items"][0]
    assert as_user("m1").post(f"/api/tasks/{task['id']}/unclaim", json={}).status_code == 409
    # Another member is not told who holds it or whether it is open, in his language too.
    refused = as_user("m2").post(f"/api/tasks/{task['id']}/complete", json={"data": REPORT})
    assert refused.status_code == 403
    assert refused.get_json()["localized"] == "此任务既不是您的，也不在您督办的组织中。"


def test_filters_and_paging(as_user, fake_clock):
    for user in ("m1", "m2", "m3"):
        start_report(as_user, user)
    sec1 = as_user("sec1")
    for user in ("m1", "m2", "m3"):
        c = as_user(user)
        c.post(f"/api/tasks/{mine(c)['items'][0]['id']}/complete", json={"data": REPORT})
    page = sec1.get("/api/tasks?scope=claimable&limit=2").get_json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert sec1.get("/api/tasks?scope=claimable&stage=review").get_json()["total"] == 3
    assert sec1.get("/api/tasks?scope=claimable&stage=report").get_json()["total"] == 0
    assert sec1.get("/api/tasks?scope=claimable&process=nope").get_json()["total"] == 0
    assert sec1.get("/api/tasks?scope=claimable&overdue=true").get_json()["total"] == 0
    fake_clock.advance(days=30)
    assert sec1.get("/api/tasks?scope=claimable&overdue=true").get_json()["total"] == 3
    assert sec1.get("/api/tasks?scope=bogus").status_code == 400
    assert sec1.get("/api/tasks?limit=0").status_code == 400


def test_visibility_by_position(as_user):
    instance = start_report(as_user)
    assert as_user("sec1").get(f"/api/process-instances/{instance['id']}").status_code == 200
    assert as_user("sec2").get(f"/api/process-instances/{instance['id']}").status_code == 403
    assert as_user("admin").get(f"/api/process-instances/{instance['id']}").status_code == 200
    assert as_user("m11").get(f"/api/process-instances/{instance['id']}").status_code == 403
    assert as_user("sec2").get("/api/process-instances").get_json()["total"] == 0
    assert as_user("admin").get("/api/process-instances").get_json()["total"] == 1
    task = mine(as_user("m1"))["items"][0]
    assert as_user("sec2").get(f"/api/tasks/{task['id']}").status_code == 403
    # Starting in a unit where one holds no position is refused.
    res = as_user("m1").post("/api/process-instances",
                             json={"process_key": "activity_report", "org_unit": "demo-branch2", "data": {}})
    assert res.status_code == 403


def test_start_errors_are_specific(as_user):
    c = as_user("m1")
    res = c.post("/api/process-instances", json={"org_unit": "demo-branch1"})
    assert res.status_code == 400 and res.get_json()["details"][0]["field"] == "process_key"
    res = c.post("/api/process-instances", json={"process_key": "nope", "org_unit": "demo-branch1"})
    assert res.status_code == 404
    res = c.post("/api/process-instances", json={"process_key": "activity_report", "org_unit": "nowhere"})
    assert res.status_code == 404


def test_state_survives_a_restart(app_config, as_user):
    from server.app import create_app

    instance = start_report(as_user)
    m1 = as_user("m1")
    m1.post(f"/api/tasks/{mine(m1)['items'][0]['id']}/complete", json={"data": REPORT})
    restarted = create_app(app_config)
    from tests.conftest import login

    sec1 = login(restarted, "sec1")
    review = sec1.get("/api/tasks?scope=claimable").get_json()["items"][0]
    res = sec1.post(f"/api/tasks/{review['id']}/complete", json={"data": {"decision": "approve"}})
    assert res.status_code == 200
    assert sec1.get(f"/api/process-instances/{instance['id']}").get_json()["state"] == "completed"


def test_plain_members_see_only_their_own_work(as_user):
    """Fellow members and masses representatives of the branch do not read a member's tasks."""
    instance = start_report(as_user)
    task = mine(as_user("m1"))["items"][0]
    for outsider in ("m2", "rep1", "contact1"):
        c = as_user(outsider)
        assert c.get(f"/api/process-instances/{instance['id']}").status_code == 403, outsider
        assert c.get(f"/api/tasks/{task['id']}").status_code == 403, outsider
        assert c.get("/api/tasks?scope=all").get_json()["total"] == 0, outsider
    assert as_user("m1").get(f"/api/process-instances/{instance['id']}").status_code == 200
    assert as_user("sec1").get(f"/api/tasks/{task['id']}").status_code == 200
    assert as_user("sec1").get("/api/tasks?scope=all").get_json()["total"] == 1
