"""Helpers for the talk-loop scenario tests (tests/test_talk_*.py): every step through the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    """A moment given as Beijing wall-clock time, as the aware UTC datetime the fake clock holds."""
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI).astimezone(UTC)


def ok(res: Any, status: int = 200) -> Any:
    assert res.status_code == status, (res.status_code, res.get_json())
    return res.get_json()


def request_talk(client: Any, **fields: Any) -> dict[str, Any]:
    body = {"requested_with": "secretary", "topic": "想汇报近期思想和工作情况", "preferred_times": "工作日下午",
            **fields}
    return ok(client.post("/api/talks/requests", json=body), 201)


def start_talk(client: Any, **fields: Any) -> dict[str, Any]:
    body = {"org_unit": "demo-branch1", **fields}
    return ok(client.post("/api/talks", json=body), 201)


def talk(client: Any, talk_id: int) -> dict[str, Any]:
    return ok(client.get(f"/api/talks/{talk_id}"))


def open_task(client: Any, talk_id: int, element_id: str) -> dict[str, Any]:
    tasks = [t for t in talk(client, talk_id)["open_tasks"] if t["element_id"] == element_id]
    assert len(tasks) == 1, talk(client, talk_id)["open_tasks"]
    return tasks[0]


def complete(client: Any, task_id: int, data: dict[str, Any], status: int = 200) -> Any:
    return ok(client.post(f"/api/tasks/{task_id}/complete", json={"data": data}), status)


def answer(client: Any, talk_id: int, talker: str = "sec1", when: str = "2026-10-12T15:00:00+08:00",
           place: str = "支部活动室") -> Any:
    task = open_task(client, talk_id, "AnswerRequest")
    return complete(client, task["id"], {"scheduled_at": when, "place": place, "talker": talker,
                                         "way": "face_to_face"})


def record(client: Any, talk_id: int, held_on: str, problems: list[dict[str, Any]] | None = None,
           confidential: str | None = None, content: str = "交流了近期思想、工作和生活情况。") -> Any:
    task = open_task(client, talk_id, "RecordTalk")
    data: dict[str, Any] = {"held_on": held_on, "way": "face_to_face", "main_content": content,
                            "problems": problems or [], "measures": "按期整改，支部跟踪督促。"}
    if confidential is not None:
        data["confidential"] = confidential
    return complete(client, task["id"], data)


def problem(description: str, owner: str, deadline: str, measure: str = "制定计划逐项落实") -> dict[str, Any]:
    return {"description": description, "owner": owner, "measure": measure, "deadline": deadline}


ALL_CRITERIA = {c: True for c in ("problem_solved", "request_met", "feelings_eased", "work_improved",
                                  "affection_deepened", "member_satisfied")}


def look_back(client: Any, problem_id: int, result: str = "resolved", note: str = "回头看：已落实") -> Any:
    return ok(client.post(f"/api/talks/problems/{problem_id}/follow-ups", json={"result": result, "note": note}), 201)


def close_item(client: Any, problem_id: int, note: str = "问题已解决，党员满意") -> Any:
    return ok(client.post(f"/api/talks/problems/{problem_id}/close", json={"criteria": ALL_CRITERIA, "note": note}))


def fire_timers() -> Any:
    from server.workflow import scheduler

    return scheduler.run_pending()


def periodic_talk(as_user: Any, member: str, held_on: str, *, problems: list[dict[str, Any]] | None = None,
                  kind: str = "periodic", trigger: str | None = None, secretary: str = "sec1",
                  unit: str = "demo-branch1") -> dict[str, Any]:
    """The secretary talks with a member (talker and time given at the start) and records it."""
    sec = as_user(secretary)
    fields: dict[str, Any] = {"org_unit": unit, "kind": kind, "member": member, "talker": secretary,
                              "scheduled_at": f"{held_on}T10:00:00+08:00", "place": "支部活动室",
                              "way": "face_to_face"}
    if trigger:
        fields["trigger"] = trigger
    started = start_talk(sec, **fields)
    record(sec, started["id"], held_on, problems)
    return talk(sec, started["id"])
