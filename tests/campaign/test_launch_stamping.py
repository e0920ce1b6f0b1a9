"""A launch stamps its branch runs (``server.workflow.stamping``): every row a stamped branch has
must be what an ordinary start (the engine run per branch) writes, and a launch must survive a
batch that died between its claim and its creation, or that met another batch's branches."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from celery import Celery
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from server import startup
from server.campaign import launch as campaign_launch
from server.campaign.models import CampaignLaunch
from server.config import ConfigError, Settings
from server.database import db
from server.workflow import stamping
from tests.campaign.test_campaign_api import PLAN, complete, launch, ok, progress, tasks, wait_for_launch

GONE = {"id", "instance_id", "task_id", "engine_task_id", "key", "parent_id", "engine_state", "part_id"}


def scrub(value: Any, ids: tuple[str, ...] = ("campaign_id", "campaign")) -> Any:
    """Ids that differ between two campaigns by construction, replaced."""
    if isinstance(value, dict):
        return {k: "ID" if k in ids and isinstance(v, int) else scrub(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, ids) for v in value]
    return value


def rows(sql: str, **params: Any) -> list[dict[str, Any]]:
    with db.transaction() as s:
        found = [dict(r._mapping) for r in s.execute(text(sql), params)]
    return [scrub({k: json.loads(v) if k in ("data", "details", "labels_en") and isinstance(v, str) else v
                   for k, v in r.items() if k not in GONE}) for r in found]


def engine_state(instance_id: int) -> Any:
    with db.transaction() as s:
        state = s.execute(text("SELECT engine_state FROM process_instance WHERE id = :i"), {"i": instance_id}).scalar()
    dct = json.loads(state)
    order = [dct["root"]]
    for task_id in order:
        order.extend(dct["tasks"][task_id]["children"])
    state = re.sub(r'"last_state_change": [-+0-9.eE]+', '"last_state_change": 0', state)
    for n, task_id in enumerate(order):
        state = state.replace(task_id, f"{dct['tasks'][task_id]['task_spec']}#{n}")
    return scrub(json.loads(state))


def branch_rows(campaign_id: int) -> dict[int, dict[str, Any]]:
    """Everything a campaign's branch runs wrote, by unit."""
    with db.transaction() as s:
        branches = s.execute(text("SELECT id, org_unit_id FROM process_instance WHERE parent_id = :c"),
                             {"c": campaign_id}).all()
    found = {}
    for instance_id, unit_id in branches:
        found[unit_id] = {
            "instance": rows("SELECT * FROM process_instance WHERE id = :i", i=instance_id),
            "state": engine_state(instance_id),
            "tasks": rows("SELECT * FROM task WHERE instance_id = :i ORDER BY id", i=instance_id),
            "candidates": rows("SELECT c.org_unit_id, c.role FROM task_candidate c JOIN task t ON t.id = c.task_id "
                               "WHERE t.instance_id = :i ORDER BY t.id, c.org_unit_id, c.role", i=instance_id),
            "jobs": rows("SELECT * FROM timer_job WHERE instance_id = :i ORDER BY id", i=instance_id),
            "audit": rows("SELECT action, actor_id, details FROM audit_event WHERE instance_id = :i ORDER BY id",
                          i=instance_id),
            "branch": rows("SELECT * FROM campaign_branch WHERE instance_id = :i", i=instance_id),
            "parts": rows("SELECT * FROM instance_part WHERE instance_id = :i ORDER BY id", i=instance_id),
        }
    return found


def test_a_stamped_branch_is_an_ordinary_one_and_goes_on_alike(as_user, fake_clock, monkeypatch):
    admin = as_user("admin")
    with monkeypatch.context() as patch:
        patch.setattr(stamping, "start_stamp", lambda *a, **k: None)  # every branch runs the engine
        ordinary = launch(as_user)["campaign"]["id"]
    stamped = launch(as_user)["campaign"]["id"]
    before, after = branch_rows(ordinary), branch_rows(stamped)
    assert len(before) == 3 and before.keys() == after.keys()
    for unit_id in before:
        assert before[unit_id] == after[unit_id], unit_id
    ids = ("campaign_id", "campaign", "instance_id")
    rolled_up = [scrub(progress(admin, "demo-district", c), ids) for c in (ordinary, stamped)]
    assert rolled_up[0] == rolled_up[1]
    # Both go on alike: branch 1's secretary mobilises, and every member gets the same pledge task.
    form = {"theme": "亮身份", "carrier": "志愿服务", "meeting_date": "2026-09-30", "meeting_place": "党员活动室",
            "attendance": 12}
    sec1 = as_user("sec1")
    for campaign_id in (ordinary, stamped):
        mobilise = [t for t in tasks(sec1, scope="claimable") if t["element_id"] == "Mobilise"
                    and t["instance_id"] in _branch_ids(campaign_id)]
        assert len(mobilise) == 1
        complete(sec1, mobilise[0], form)
    before, after = branch_rows(ordinary), branch_rows(stamped)
    for unit_id in before:
        assert before[unit_id] == after[unit_id], unit_id
    assert sum(1 for t in before[_unit_of(ordinary, "sec1")]["tasks"] if t["element_id"] == "DraftPledge") == 12


def _branch_ids(campaign_id: int) -> list[int]:
    with db.transaction() as s:
        return list(s.scalars(text("SELECT id FROM process_instance WHERE parent_id = :c"), {"c": campaign_id}))


def _unit_of(campaign_id: int, secretary: str) -> int:
    with db.transaction() as s:
        return int(s.execute(text(
            "SELECT i.org_unit_id FROM process_instance i JOIN position p ON p.org_unit_id = i.org_unit_id "
            "JOIN person u ON u.id = p.person_id WHERE i.parent_id = :c AND u.username = :s AND p.role = 'secretary'"),
            {"c": campaign_id, "s": secretary}).scalar_one())


def test_a_batch_that_died_after_its_claim_is_made_up_before_the_launch_is_done(as_user, fake_clock, monkeypatch):
    admin = as_user("admin")
    monkeypatch.setattr(campaign_launch, "_dispatcher", lambda launch_id: None)  # nobody runs it yet
    body = ok(admin.post("/api/campaigns", json={"org_unit": "demo-district", **PLAN}), 202)
    launch_id = body["launch"]["id"]
    claim = campaign_launch._claim(launch_id, 2)  # claimed, then the process died
    assert claim is not None and len(claim.unit_ids) == 2
    campaign_launch.run_launch(launch_id, 2)
    done = wait_for_launch(admin, body["launch"]["url"])
    assert (done["state"], done["created"], done["total"]) == ("done", 3, 3)
    assert len(_branch_ids(body["campaign"]["id"])) == 3


def test_a_creation_that_meets_another_batch_s_branches_starts_over_and_skips_them(as_user, fake_clock,
                                                                                   monkeypatch):
    admin = as_user("admin")
    monkeypatch.setattr(campaign_launch, "_dispatcher", lambda launch_id: None)
    body = ok(admin.post("/api/campaigns", json={"org_unit": "demo-district", **PLAN}), 202)
    launch_id = body["launch"]["id"]
    real = campaign_launch._create
    calls = []

    def racing(launch_id: int, claim: Any) -> None:
        calls.append(claim.unit_ids)
        if len(calls) == 1:
            real(launch_id, claim)  # another worker created them and committed first
            raise IntegrityError("INSERT INTO campaign_branch", {}, Exception("unique"))
        real(launch_id, claim)

    monkeypatch.setattr(campaign_launch, "_create", racing)
    assert campaign_launch.run_launch_batch(launch_id, 10) is True
    assert calls[0] == calls[1]
    assert campaign_launch.run_launch_batch(launch_id, 10) is False
    with db.transaction() as s:
        row = s.scalar(select(CampaignLaunch).where(CampaignLaunch.id == launch_id))
        assert row is not None and (row.state, row.created, row.error) == ("done", 3, None)
    assert len(_branch_ids(body["campaign"]["id"])) == 3


def test_in_scale_out_mode_a_launch_goes_to_the_celery_workers_as_several_tasks(monkeypatch):
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(Celery, "send_task", lambda self, name, args=None, queue=None, **kw: sent.append(
        (name, args, queue)))
    monkeypatch.setenv("VANGUARD_CELERY_QUEUE", "launch-test")
    startup.use_launch_runner(Settings(database_url="sqlite://", secret_key="x", launches="celery", launch_tasks=3))
    try:
        campaign_launch.dispatch_launch(42)
    finally:
        startup.use_launch_runner(Settings(database_url="sqlite://", secret_key="x"))
    assert sent == [("vanguard.run_launch", (42,), "launch-test")] * 3
    assert campaign_launch._dispatcher is campaign_launch._thread_dispatcher
    with pytest.raises(ConfigError):
        Settings(database_url="sqlite://", secret_key="x", launches="cron").check()
