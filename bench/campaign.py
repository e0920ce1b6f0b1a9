"""Driving the real vanguard campaign through its API: launch, mobilise every branch, open pledges.

Used when the campaign has landed (``available()``); the scenarios fall back
to ``activity_report`` completions otherwise.
"""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from bench.client import Client
from bench.harness import Env
from bench.server import ROOT

FILES = ("activity_report.bpmn", "vanguard_campaign.bpmn", "vanguard_campaign_branch.bpmn")
STAGES = ("mobilise", "pledge", "fulfil", "review", "appraisal", "commendation")


def available() -> bool:
    return all((ROOT / "workflows" / f).exists() for f in FILES) and (ROOT / "server" / "campaign.py").exists()


def timetable(today: date | None = None) -> dict[str, str]:
    start = today or date.today()
    return {stage: (start + timedelta(days=10 * (i + 1))).isoformat() for i, stage in enumerate(STAGES)}


def plan(unit_code: str) -> dict[str, Any]:
    return {"org_unit": unit_code, "title": "争做先锋活动（基准）", "theme": "亮身份、作表率", "carrier": "志愿服务",
            "timetable": timetable(), "target_unit_types": ["branch"]}


def pledge_form() -> dict[str, Any]:
    return {"content": "每月至少参加一次社区志愿服务", "deadline": (date.today() + timedelta(days=25)).isoformat()}


def mobilise_form() -> dict[str, Any]:
    return {"theme": "亮身份、作表率", "carrier": "志愿服务", "meeting_date": date.today().isoformat(),
            "meeting_place": "党员活动室", "attendance": 50}


def launch(env: Env, admin: Client, unit_code: str = "bench-district", poll: float = 0.05) -> dict[str, Any]:
    """POST /api/campaigns, then poll the launch until it is done; timings from the client's side."""
    started = time.perf_counter()
    body = admin.ok("POST", "/api/campaigns", plan(unit_code))
    accepted = time.perf_counter() - started
    url = body["launch"]["url"]
    while True:
        state = admin.ok("GET", url)
        if state["state"] in ("done", "failed"):
            break
        time.sleep(poll)
    if state["state"] != "done":
        raise RuntimeError(f"campaign launch failed: {state.get('error')}")
    return {"campaign_id": body["campaign"]["id"], "accepted_s": round(accepted, 3),
            "done_s": round(time.perf_counter() - started, 2), "launch": state}


def _open_tasks(env: Env, element: str) -> list[tuple[int, str, str]]:
    """(task id, unit code, assignee username or '') of the open tasks of one element."""
    with env.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT t.id, u.code, COALESCE(p.username, '') FROM task t JOIN org_unit u ON u.id = t.org_unit_id "
            "LEFT JOIN person p ON p.id = t.assignee_id WHERE t.element_id = :e AND t.state = 'open' ORDER BY t.id"
        ), {"e": element}).all()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def mobilise(env: Env, threads: int = 4, limit: int | None = None) -> dict[str, Any]:
    """Every branch secretary (or the first ``limit``) completes his branch's mobilisation, so that
    every member gets a pledge."""
    by_code = {b.code: b for b in env.org.branches}
    work = _open_tasks(env, "Mobilise")[:limit]
    lock = threading.Lock()
    errors: list[str] = []

    def run() -> None:
        while True:
            with lock:
                if not work:
                    return
                task_id, code, _ = work.pop()
            client = env.client(by_code[code].secretary)
            status, body = client.call("POST", f"/api/tasks/{task_id}/complete", {"data": mobilise_form()})
            client.close()
            if status != 200:
                errors.append(f"{status}: {body}")

    count = len(work)
    started = time.perf_counter()
    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise RuntimeError(f"mobilisation failed {len(errors)} times, e.g. {errors[0]}")
    return {"branches": count, "seconds": round(time.perf_counter() - started, 1)}


def open_pledges(env: Env) -> dict[str, int]:
    """username → id of his open pledge task."""
    return {user: task_id for task_id, _, user in _open_tasks(env, "DraftPledge")}
