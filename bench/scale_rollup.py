"""Issue 20's roll-up at province scale: the stage roll-up of the district, a party committee
and a branch, the district's board and its xlsx export, at 100,000 and 1,000,000 members.

**100,000 members** (2,000 branches): the organisation is inserted with ``bench/org.py``; the
campaign is launched through ``POST /api/campaigns`` (every branch run made by the server, its
counters written by the launch's own saves) and ``MOBILISED`` branches are mobilised through the
API (their members' pledge tasks open, due on ``timetable.pledge``).

**1,000,000 members** (20,000 branches): launching 20,000 branch instances through the API
would take the run minutes that measure nothing of the roll-up, so the campaign is launched
through the API at one party committee (its 20 branches are real runs) and the other 19,980
branch runs are written with SQL: a minimal ``process_instance`` row each (no engine state: the
roll-up never reads it), its ``campaign_branch`` ledger row and its counters with varied stages
and counts (two due-date rows per branch, one passed), then the campaign is moved to the
district. The roll-up reads only the counters, so what it costs is what it would cost after a
real launch of that size.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bench import campaign as bcampaign
from bench import db as bdb
from bench.harness import Bench, Env, timed_calls
from bench.stats import summary_ms
from server.campaign import recount, rollup
from server.org.models import OrgUnit

MOBILISED = 100
STAGES = ("mobilise", "pledge", "fulfil", "review", "appraisal", "commendation")


def _bulk_runs(env: Env, campaign_id: int) -> dict[str, Any]:
    """Branch runs of ``campaign_id`` for every branch without one, written with SQL."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    past, future = (bdb.stamp(env.backend, now + timedelta(days=d)) for d in (-2, 5))
    stage = "CASE u.id % 6 " + " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(STAGES)) + " END"
    with env.engine.begin() as conn:
        template = conn.execute(text("SELECT min(instance_id) FROM campaign_branch WHERE campaign_id = :c"),
                                {"c": campaign_id}).scalar_one()
        base = conn.execute(text("SELECT max(id) FROM process_instance")).scalar_one()
        new = "u.type = 'branch' AND u.id NOT IN (SELECT org_unit_id FROM campaign_branch WHERE campaign_id = :c)"
        made = conn.execute(text(
            "INSERT INTO process_instance (id, definition_id, org_unit_id, parent_id, state, stage, stage_label, "
            "main_stage, title, started_by_id, started_at, updated_at, engine_state, lock_version) "
            f"SELECT :base + u.id, t.definition_id, u.id, t.parent_id, 'running', {stage}, t.stage_label, "
            f"t.main_stage, t.title, t.started_by_id, t.started_at, t.updated_at, '{{}}', 1 "
            f"FROM org_unit u, process_instance t WHERE t.id = :template AND {new}"),
            {"base": base, "template": template, "c": campaign_id}).rowcount
        conn.execute(text(
            "INSERT INTO campaign_branch (instance_id, campaign_id, org_unit_id, member_count, rater_count, "
            "review_member_comments) SELECT :base + u.id, :c, u.id, 50, 50, '[]' FROM org_unit u "
            f"WHERE {new}"), {"base": base, "c": campaign_id})
        conn.execute(text(
            "INSERT INTO campaign_branch_count (branch_instance_id, campaign_id, org_unit_id, state, stage, members, "
            "pledged, approved, fulfilled, rated, appraised, raters_done) "
            f"SELECT b.instance_id, :c, b.org_unit_id, CASE WHEN b.org_unit_id % 17 = 0 THEN 'completed' "
            f"ELSE 'running' END, {stage.replace('u.id', 'b.org_unit_id')}, 50, 40 + b.org_unit_id % 11, "
            "35 + b.org_unit_id % 11, 20 + b.org_unit_id % 31, 10 + b.org_unit_id % 41, b.org_unit_id % 51, "
            "b.org_unit_id % 49 FROM campaign_branch b WHERE b.campaign_id = :c AND b.instance_id > :base"),
            {"base": base, "c": campaign_id})
        for due, share in ((past, 0), (future, 1)):
            conn.execute(text(
                "INSERT INTO campaign_branch_due (branch_instance_id, due_at, campaign_id, org_unit_id, tasks, "
                "pledges) SELECT b.instance_id, :due, :c, b.org_unit_id, 1 + b.org_unit_id % 7, "
                f"(b.org_unit_id + {share}) % 5 FROM campaign_branch b WHERE b.campaign_id = :c "
                "AND b.instance_id > :base"), {"due": due, "base": base, "c": campaign_id})
        conn.execute(text("UPDATE campaign SET org_unit_id = :d WHERE instance_id = :c"),
                     {"d": env.org.district_id, "c": campaign_id})
    bdb.reset_sequences(env.engine, ["process_instance"])
    bdb.analyze(env.engine)
    return {"bulk_runs": made, "bulk_s": round(time.perf_counter() - started, 1)}


def _measure(bench: Bench, env: Env, campaign_id: int, out: dict[str, Any]) -> None:
    o = bench.options
    branch = env.org.branches[len(env.org.branches) // 2]
    admin = env.client(env.org.admin)
    units = {"district": "bench-district", "committee": f"bench-pc{(len(env.org.committees) + 1) // 2:03d}",
             "branch": branch.code}
    for key, code in units.items():
        env.server.phase(f"rollup-{key}")
        stats, body = timed_calls(admin, "GET", f"/api/org-units/{code}/campaign-progress?campaign={campaign_id}",
                                  o.rollup_samples, o.warmup)
        top = body["units"][0]
        out[f"rollup_{key}"] = {**stats, "unit": code, "rows": len(body["units"]), "branches": top["branches"],
                                "members": top["members"]}
        bench.log(f"    roll-up {key} ({code}, {len(body['units'])} rows, {top['branches']} branches): "
                  f"p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms")
    env.server.phase("floor")
    stats, _ = timed_calls(admin, "GET", "/api/me", o.rollup_samples, o.warmup)
    out["floor_me"] = stats
    bench.log(f"    the stack's floor (GET /api/me): p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms")
    out["in_process"] = _in_process(env, campaign_id, units, o.rollup_samples // 3 or 1)
    bench.log(f"    in process (ms, p50/p95): {out['in_process']}")
    env.server.phase("board")
    stats, _ = timed_calls(admin, "GET", f"/api/org-units/bench-district/board?campaign={campaign_id}",
                           o.rollup_samples, o.warmup)
    out["board_district"] = stats
    bench.log(f"    board of the district: p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms")
    env.server.phase("xlsx")
    durations, size = [], 0
    for _ in range(o.rollup_xlsx_samples):
        dt, status, body = admin.timed("GET", f"/api/org-units/bench-district/campaign-progress.xlsx"
                                              f"?campaign={campaign_id}")
        if status != 200:
            raise RuntimeError(f"xlsx -> {status}")
        durations.append(dt)
        size = len(body) if isinstance(body, bytes | str) else 0
    out["xlsx_district"] = {"seconds": [round(d, 2) for d in durations], "max_s": round(max(durations), 2),
                            "bytes": size}
    bench.log(f"    xlsx of the district: {', '.join(f'{d:.2f}' for d in durations)} s")
    env.server.phase("done")
    admin.close()


def _in_process(env: Env, campaign_id: int, units: dict[str, str], rounds: int) -> dict[str, Any]:
    """The roll-up's queries timed in this process on the bench's database, without HTTP, in turns with
    the old aggregate over the whole campaign (``recount``: what every district request ran before)."""
    times: dict[str, list[float]] = {key: [] for key in [*units, "old_aggregate"]}
    with Session(env.engine) as session:
        found = {key: session.scalars(select(OrgUnit).where(OrgUnit.code == code)).one()
                 for key, code in units.items()}
        now = datetime.now(UTC)
        for _ in range(rounds + 1):
            for key, unit in found.items():
                started = time.perf_counter()
                rollup.listing(session, unit, campaign_id, now)
                times[key].append(time.perf_counter() - started)
            started = time.perf_counter()
            recount.recount(session, campaign_id)
            times["old_aggregate"].append(time.perf_counter() - started)
            session.rollback()
    return {key: f"{summary_ms(v[1:])['p50_ms']}/{summary_ms(v[1:])['p95_ms']}" for key, v in times.items()}


def scale_rollup(bench: Bench) -> None:
    """p95 of the roll-up (district, committee, branch), the district's board and xlsx, per size."""
    o = bench.options
    out: dict[str, Any] = {"sizes": {}}
    backend = "sqlite" if o.smoke else "postgresql"
    if backend not in bench.backends([backend]):
        bench.notes.append("scale-rollup needs PostgreSQL: skipped")
        return
    for members in o.rollup_sizes:
        name = f"rollup-{members}"
        with bench.server(name, backend, members, workflows=bcampaign.FILES) as env:
            result: dict[str, Any] = {"members": env.org.member_count, "branches": len(env.org.branches),
                                      "load_before": _load()}
            admin = env.client(env.org.admin)
            if members <= o.rollup_api_launch_max:
                env.server.phase("launch")
                launched = bcampaign.launch(env, admin)
                result["launch_s"] = launched["done_s"]
                mobilised = bcampaign.mobilise(env, limit=min(MOBILISED, len(env.org.branches)))
                result.update(mobilised=mobilised["branches"], seconds=mobilised["seconds"])
            else:
                env.server.phase("launch")
                launched = bcampaign.launch(env, admin, unit_code="bench-pc001")
                result["launch_s"] = launched["done_s"]
                result.update(_bulk_runs(env, launched["campaign_id"]))
            admin.close()
            bench.log(f"    {members} members: campaign {launched['campaign_id']} ready")
            _measure(bench, env, launched["campaign_id"], result)
            result["load_after"] = _load()
            out["sizes"][str(members)] = result
    bench.results["scale-rollup"] = out


def _load() -> list[float]:
    with open("/proc/loadavg", encoding="ascii") as f:
        return [float(x) for x in f.read().split()[:3]]
