"""What task and instance pages are given to speak the business's language: the people a
task's declared summary names (by display name), who started the instance, and a history in
task names without element ids, with repeated creations folded into one entry."""

from __future__ import annotations

from tests.talkkit import ok, request_talk


def _task(client, element_id, scope="claimable"):
    items = ok(client.get(f"/api/tasks?scope={scope}&limit=100"))["items"]
    return next(t for t in items if t["element_id"] == element_id)


def test_the_contact_is_told_who_asked(as_user):
    request_talk(as_user("m1"))
    contact1 = as_user("contact1")
    detail = ok(contact1.get(f"/api/tasks/{_task(contact1, 'AnswerRequest')['id']}"))
    assert detail["started_by_name"] == "王伟"
    assert detail["people"] == {"m1": "王伟"}
    assert [e if isinstance(e, str) else e["field"] for e in detail["form_schema"]["x-summary"]][0] == "started_by"


def test_history_in_names_and_words(as_user):
    requested = request_talk(as_user("m1"))
    instance = ok(as_user("m1").get(f"/api/process-instances/{requested['instance_id']}"))
    created = [h for h in instance["history"] if h["action"] == "task.created"]
    assert created and created[0]["task_name"] == "答复约谈时间和地点"
    assert all("element_id" not in (h["details"] or {}) for h in instance["history"])
    assert instance["started_by_name"] == "王伟"
