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
    # The card: who asked and the topic (not the choice "secretary", a value of another form's enum).
    assert (detail["subject"], detail["excerpt"]) == ("王伟", "想汇报近期思想和工作情况")
    assert [e if isinstance(e, str) else e["field"] for e in detail["form_schema"]["x-summary"]][0] == "started_by"


def test_history_in_names_and_words(as_user):
    requested = request_talk(as_user("m1"))
    instance = ok(as_user("m1").get(f"/api/process-instances/{requested['instance_id']}"))
    created = [h for h in instance["history"] if h["action"] == "task.created"]
    assert created and created[0]["task_name"] == "答复约谈时间和地点"
    assert created[0]["details"]["element_id"] == "AnswerRequest"  # kept for API readers; pages show the name
    assert instance["started_by_name"] == "王伟"


def test_working_days_left_and_overdue_across_national_day(as_user, fake_clock):
    from tests.talkkit import local

    fake_clock.now = local(2026, 9, 30, 10)
    request_talk(as_user("m1"))
    contact1 = as_user("contact1")
    # Due on the make-up Saturday 10 October: 8, 9 and 10 October are the working days left.
    assert _task(contact1, "AnswerRequest")["due_working_days"] == 3
    fake_clock.now = local(2026, 10, 10, 9)
    assert _task(contact1, "AnswerRequest")["due_working_days"] == 0
    fake_clock.now = local(2026, 10, 12, 9)  # Sunday the 11th is off: one working day late
    task = _task(contact1, "AnswerRequest")
    assert task["due_working_days"] == -1 and task["overdue"] is True
    assert ok(contact1.get(f"/api/tasks/{task['id']}"))["due_working_days"] == -1


def test_english_labels_from_the_process(as_user):
    requested = request_talk(as_user("m1"))
    task = _task(as_user("contact1"), "AnswerRequest")
    assert task["labels_en"]["name"] == "Answer with a time and a place"
    assert task["labels_en"]["stage_label"] == "Talk request"
    assert task["labels_en"]["instructions"].startswith("Answer the member within 3 working days")
    instance = ok(as_user("m1").get(f"/api/process-instances/{requested['instance_id']}"))
    assert instance["stage_label_en"] == "Talk request"
    assert {s["label_en"] for s in instance["stages"]} >= {"Talk request", "Talk record"}
    created = next(h for h in instance["history"] if h["action"] == "task.created")
    assert created["task_name_en"] == "Answer with a time and a place"
