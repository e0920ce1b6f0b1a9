"""BPMN timers and due dates as rows, fired by the scheduler exactly once, with a fake clock.

The clock starts on Monday 28 September 2026, 10:00 in Beijing: two working days before the
2026 National Day holiday (1-7 October, with make-up workdays on Sunday 20 September and
Saturday 10 October).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.database import db
from server.notifications.models import Notification
from server.workflow.models import ProcessInstance, TimerJob
from tests.timers_support import audit_count, beijing, deploy_test_bpmn, jobs, run_due, start


@pytest.fixture
def talks(app, fake_clock):
    deploy_test_bpmn("talk_escalation.bpmn", "talk_deadline.bpmn", "timer_wait.bpmn")
    return fake_clock


def claimable(client):
    return client.get("/api/tasks?scope=claimable").get_json()["items"]


def test_non_interrupting_timer_escalates_across_national_day(as_user, talks):
    fake = talks
    instance = start(as_user("contact1"), "talk_escalation_test")
    reply = claimable(as_user("contact1"))[0]
    assert reply["element_id"] == "ReplyTalk"
    # 3 working days from Monday 28 Sept: 29, 30 Sept, then 8 Oct (1-7 Oct are off).
    assert datetime.fromisoformat(reply["due_at"]) == beijing(2026, 10, 8, 23, 59, 59)
    rows = {j["kind"]: j for j in jobs(instance["id"])}
    assert rows["bpmn_timer"]["element_id"] == "ReplyLate" and rows["bpmn_timer"]["state"] == "waiting"
    assert rows["bpmn_timer"]["due_at"] == beijing(2026, 10, 8, 23, 59, 59)
    assert rows["task_due"]["due_at"] == beijing(2026, 10, 8, 23, 59, 59)

    # Through the holiday nothing happens.
    fake.now = beijing(2026, 10, 8, 23, 0)
    assert run_due().fired == 0
    assert claimable(as_user("sec1")) == []

    fake.now = beijing(2026, 10, 9, 0, 0, 30)
    result = run_due()
    assert result.fired == 2  # the boundary timer and the due date
    escalation = claimable(as_user("sec1"))
    assert [t["element_id"] for t in escalation] == ["Escalate"]
    # Non-interrupting: the contact can still answer.
    still = claimable(as_user("contact1"))
    assert [t["element_id"] for t in still] == ["ReplyTalk"] and still[0]["overdue"] is True
    overdue = as_user("contact1").get("/api/tasks?scope=claimable&overdue=true").get_json()
    assert overdue["total"] == 1
    assert audit_count("timer.fired", instance["id"]) == 1
    assert audit_count("task.overdue", instance["id"]) == 1

    # Fired exactly once: later passes do nothing more.
    fake.advance(minutes=5)
    again = run_due()
    assert again.fired == 0
    assert audit_count("timer.fired", instance["id"]) == 1
    assert len(claimable(as_user("sec1"))) == 1

    # The contact answers late; the escalation stays with the secretary until done.
    c1 = as_user("contact1")
    assert c1.post(f"/api/tasks/{reply['id']}/complete", json={"data": {}}).status_code == 200
    sec1 = as_user("sec1")
    res = sec1.post(f"/api/tasks/{escalation[0]['id']}/complete", json={"data": {}})
    assert res.status_code == 200 and res.get_json()["instance"]["state"] == "completed"
    assert all(j["state"] != "waiting" for j in jobs(instance["id"]))


def test_remind_every_counts_the_make_up_saturday(as_user, talks):
    fake = talks
    instance = start(as_user("contact1"), "talk_escalation_test")
    fake.now = beijing(2026, 10, 9, 0, 0, 30)
    run_due()
    reminder = [j for j in jobs(instance["id"]) if j["kind"] == "reminder"]
    # remind_every "1 working day" after Friday 9 Oct: Saturday 10 Oct is a make-up workday.
    assert len(reminder) == 1 and reminder[0]["due_at"] == beijing(2026, 10, 10, 23, 59, 59)
    fake.now = beijing(2026, 10, 11, 9, 0)
    assert run_due().fired == 1
    assert audit_count("task.reminded", instance["id"]) == 1
    kinds = [n["kind"] for n in as_user("contact1").get("/api/notifications").get_json()["items"]]
    assert kinds == ["reminder", "overdue"]
    # The next reminder waits for Monday 12 Oct; answering cancels it.
    nxt = [j for j in jobs(instance["id"]) if j["kind"] == "reminder" and j["state"] == "waiting"]
    assert nxt[0]["due_at"] == beijing(2026, 10, 12, 23, 59, 59)
    reply = claimable(as_user("contact1"))[0]
    as_user("contact1").post(f"/api/tasks/{reply['id']}/complete", json={"data": {}})
    assert [j["state"] for j in jobs(instance["id"]) if j["kind"] == "reminder"] == ["fired", "cancelled"]
    fake.now = beijing(2026, 10, 20)
    assert run_due().fired == 0


def test_interrupting_timer_withdraws_the_task(as_user, talks):
    fake = talks
    instance = start(as_user("contact1"), "talk_deadline_test")
    reply = claimable(as_user("contact1"))[0]
    [timer] = jobs(instance["id"], "bpmn_timer")
    # working_days(2) from Monday 28 Sept: the end of Wednesday 30 Sept.
    assert timer["due_at"] == beijing(2026, 9, 30, 23, 59, 59)
    fake.now = beijing(2026, 10, 1, 0, 0, 1)
    assert run_due().fired == 1
    assert claimable(as_user("contact1")) == []
    res = as_user("contact1").post(f"/api/tasks/{reply['id']}/complete", json={"data": {}})
    assert res.status_code == 409
    cancelled = as_user("contact1").get("/api/tasks?scope=all&state=cancelled").get_json()["items"]
    assert [t["element_id"] for t in cancelled] == ["ReplyTalk"]
    take_over = claimable(as_user("sec1"))
    assert [t["element_id"] for t in take_over] == ["TakeOver"]
    history = [h["action"] for h in as_user("sec1").get(f"/api/process-instances/{instance['id']}")
               .get_json()["history"]]
    assert "timer.fired" in history and "task.cancelled" in history


def test_answering_in_time_cancels_the_timer(as_user, talks):
    fake = talks
    instance = start(as_user("contact1"), "talk_escalation_test")
    reply = claimable(as_user("contact1"))[0]
    fake.now = beijing(2026, 9, 30, 9, 0)
    as_user("contact1").post(f"/api/tasks/{reply['id']}/complete", json={"data": {}})
    assert {j["kind"]: j["state"] for j in jobs(instance["id"])} == {"bpmn_timer": "cancelled",
                                                                     "task_due": "cancelled"}
    fake.now = beijing(2026, 10, 20)
    assert run_due().fired == 0
    assert claimable(as_user("sec1")) == []
    assert as_user("contact1").get(f"/api/process-instances/{instance['id']}").get_json()["state"] == "completed"


def test_timers_due_while_down_fire_once_after_restart(app_config, as_user, talks):
    from server.app import create_app

    fake = talks
    fire_at = beijing(2026, 9, 29, 12, 0).isoformat()
    ids = [start(as_user("sec1"), "timer_wait_test", data={"fire_at": fire_at, "ticks": 0, "work_seconds": 0})["id"]
           for _ in range(3)]
    # "Down" for a week; then a new process starts on the same database.
    fake.now = beijing(2026, 10, 6, 8, 0)
    create_app(app_config)
    assert run_due().fired == 3
    assert run_due().fired == 0
    with db.transaction() as session:
        for instance in session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids))):
            assert instance.state == "completed"
    assert audit_count("timer.fired") == 3
    [fired] = [h for h in as_user("sec1").get(f"/api/process-instances/{ids[0]}").get_json()["history"]
               if h["action"] == "timer.fired"]
    assert fired["details"]["late_seconds"] > 6 * 86400


def test_concurrent_schedulers_fire_each_timer_once(as_user, talks):
    fake = talks
    fire_at = beijing(2026, 9, 28, 11, 0).isoformat()
    for _ in range(12):
        start(as_user("sec1"), "timer_wait_test", data={"fire_at": fire_at, "ticks": 0, "work_seconds": 0})
    fake.now = beijing(2026, 9, 28, 12, 0)
    results = []
    errors = []

    def work():
        try:
            results.append(run_due())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sum(r.fired for r in results) == 12
    assert audit_count("timer.fired") == 12
    with db.transaction() as session:
        fired = session.scalar(select(func.count(TimerJob.id)).where(TimerJob.state == "fired"))
        assert fired == 12
        states = {i.state for i in session.scalars(select(ProcessInstance))}
    assert states == {"completed"}


def test_failing_step_after_timer_rolls_back_and_retries(as_user, talks):
    fake = talks
    instance = start(as_user("sec1"), "timer_wait_test",
                     data={"fire_at": beijing(2026, 9, 28, 11, 0).isoformat(), "ticks": 0, "work_seconds": "x"})
    fake.now = beijing(2026, 9, 28, 12, 0)
    result = run_due()
    assert result.fired == 0 and result.failed == 1
    [job] = jobs(instance["id"], "bpmn_timer")
    assert job["state"] == "waiting" and job["attempts"] == 1 and job["last_error"]
    assert audit_count("timer.fired", instance["id"]) == 0  # rolled back with the failed step
    # Backs off, then gives up after MAX_ATTEMPTS and says so.
    for _ in range(6):
        fake.advance(hours=2)
        run_due()
    [job] = jobs(instance["id"], "bpmn_timer")
    assert job["state"] == "failed" and job["attempts"] == 5
    assert audit_count("timer.failed", instance["id"]) == 1
    with db.transaction() as session:
        assert session.get(ProcessInstance, instance["id"]).error.startswith("timer WaitUntil")


def test_overdue_task_notifies_assignee_only(as_user, fake_clock):
    # activity_report: WriteReport is assigned to the starter and due in 5 working days.
    start(as_user("m1"), "activity_report")
    fake_clock.now = beijing(2026, 10, 12, 9, 0)
    assert run_due().fired == 1
    items = as_user("m1").get("/api/notifications").get_json()
    assert items["unread"] == 1 and items["items"][0]["kind"] == "overdue"
    assert items["items"][0]["title"] == "任务已逾期：填写活动报告"
    assert "2026-10-10 23:59" in items["items"][0]["body"]  # the make-up Saturday is the 5th working day
    for other in ("m2", "sec1", "contact1"):
        assert as_user(other).get("/api/notifications").get_json()["total"] == 0
    with db.transaction() as session:
        assert session.scalar(select(func.count(Notification.id))) == 1


def test_unclaimed_overdue_task_notifies_every_candidate(as_user, fake_clock):
    start(as_user("m1"), "activity_report")
    m1 = as_user("m1")
    task = m1.get("/api/tasks").get_json()["items"][0]
    m1.post(f"/api/tasks/{task['id']}/complete",
            json={"data": {"activity": "为孤寡老人打扫卫生", "activity_date": "2026-09-20", "hours": 2}})
    fake_clock.advance(days=30)
    run_due()
    # ReviewReport is offered to the branch secretary role: sec1 is its only holder.
    assert [n["kind"] for n in as_user("sec1").get("/api/notifications").get_json()["items"]] == ["overdue"]
    assert as_user("m1").get("/api/notifications?unread=true").get_json()["total"] == 0


def test_timer_waits_move_with_the_clock_not_the_wall(as_user, talks):
    fake = talks
    instance = start(as_user("sec1"), "timer_wait_test",
                     data={"fire_at": "2026-09-28T12:00:00", "ticks": 0, "work_seconds": 0})
    [job] = jobs(instance["id"], "bpmn_timer")
    assert job["due_at"] == beijing(2026, 9, 28, 12, 0)  # a naive date is Beijing time
    fake.now = beijing(2026, 9, 28, 11, 59, 59)
    assert run_due().fired == 0
    fake.advance(seconds=1, microseconds=1)
    assert run_due().fired == 1
    assert fake.now - job["due_at"] < timedelta(seconds=1)
