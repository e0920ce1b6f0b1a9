"""``python -m bench.capacity``: the province capacity model (issue 20), from measured inputs.

1. **Measures**, on a fresh PostgreSQL database behind a real server (``bench.harness``), a
   workload driven through the API on a district of ``--members`` (default 1,000, 20 branches):
   the campaign's pledge stage (launch, every branch mobilised, every member's pledge), then
   ``--activities`` activity records (recorded by the member, confirmed by the secretary), then
   ``--talks`` talks (started and recorded by the secretary). After each phase: the rows and
   ``pg_total_relation_size`` of every table, so rows per operation and bytes per row per table
   are measured, not guessed.
2. **Models** a province (``--province-members`` 5,000,000, ``--province-branches`` 200,000, a
   campaign a year, activity records and talks weekly): the rows a year per table, the PostgreSQL
   size, the write rate (average, the pledge week's peak, the weekly peak) and the workers needed,
   from the completions per second per worker of ``bench/results/latest.json`` (``throughput``) and
   of this run. ``--from FILE`` recomputes the model from a saved measurement without measuring.

Writes ``bench/results/capacity.json`` and ``capacity.md``; the table is in docs/benchmarks.md
("Province scale", "Capacity model"), every figure named with the measurement it comes from.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench import campaign
from bench import db as bdb
from bench.activities import _programmes
from bench.harness import Bench, Env, Options
from bench.scenarios import login_all
from bench.server import ROOT

YEAR_S = 365 * 24 * 3600
PEAK_HOURS = 12 * 7
"""A week's writes are taken to fall into its 84 daytime hours ..."""
PEAK_FACTOR = 3.0
"""... with the busiest hour three times the mean of those hours."""
WORKER_HEADROOM = 0.5
"""A worker is planned at half the completions per second it reached flat out."""


def _snapshot(env: Env) -> dict[str, dict[str, int]]:
    with env.engine.connect() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"))]
        out = {}
        for table in tables:
            rows = conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            size = conn.execute(text("SELECT pg_total_relation_size(:t)"), {"t": f'public."{table}"'}).scalar_one()
            out[table] = {"rows": int(rows), "bytes": int(size)}
    return out


def _delta(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]], ops: int) -> dict[str, float]:
    """Rows added per operation, per table (none when no operation went through: see its errors)."""
    out: dict[str, float] = {}
    if ops <= 0:
        return out
    for table, now in after.items():
        added = now["rows"] - before.get(table, {"rows": 0})["rows"]
        if added:
            out[table] = round(added / ops, 3)
    return out


def _parallel(work: list[Any], step: Any, threads: int = 4) -> tuple[float, list[str]]:
    lock, errors = threading.Lock(), []

    def run() -> None:
        while True:
            with lock:
                if not work:
                    return
                item = work.pop()
            problem = step(item)
            if problem:
                errors.append(problem)

    started = time.perf_counter()
    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - started, errors


def _campaign(env: Env) -> dict[str, Any]:
    admin = env.client(env.org.admin)
    launched = campaign.launch(env, admin)
    admin.close()
    mobilised = campaign.mobilise(env)
    tasks = campaign.open_pledges(env)
    cookies = login_all(env, sorted(tasks))
    form = campaign.pledge_form()

    def pledge(username: str) -> str | None:
        client = env.client()
        client.cookies = dict(cookies[username])
        status, body = client.call("POST", f"/api/tasks/{tasks[username]}/complete", {"data": form})
        client.close()
        return None if status == 200 else f"{status}: {str(body)[:200]}"

    seconds, errors = _parallel(sorted(tasks), pledge)  # a copy: tasks stays
    return {"launch_s": launched["done_s"], "branches": mobilised["branches"], "mobilise_s": mobilised["seconds"],
            "pledges": len(tasks) - len(errors), "pledge_s": round(seconds, 1),
            "pledges_per_s": round((len(tasks) - len(errors)) / seconds, 1), "errors": errors[:3]}


def _activities(env: Env, count: int) -> dict[str, Any]:
    deed = next(p for p in _programmes(env) if p["code"] == "good_deed")
    day = (date.today() - timedelta(days=1)).isoformat()
    members = [(b, m) for b in env.org.branches for m in b.members[1:]][:count]

    def one(item: tuple[Any, str]) -> str | None:
        branch, username = item
        member = env.client(username)
        status, body = member.call("POST", "/api/activities/records", {
            "activity": "为社区孤寡老人打扫卫生", "activity_date": day, "hours": 2, "programme": deed["id"]})
        member.close()
        if status != 201:
            return f"record {status}: {str(body)[:200]}"
        secretary = env.client(branch.secretary)
        status, body = secretary.call("POST", f"/api/activities/records/{body['id']}/review", {"decision": "approve"})
        secretary.close()
        return None if status == 200 else f"review {status}: {str(body)[:200]}"

    count = len(members)
    seconds, errors = _parallel(members, one)  # empties the list
    return {"records": count - len(errors), "seconds": round(seconds, 1), "errors": errors[:3]}


def _talks(env: Env, count: int) -> dict[str, Any]:
    pairs = [(b, m) for b in env.org.branches for m in b.members[2:]][:count]
    day = date.today().isoformat()

    def one(item: tuple[Any, str]) -> str | None:
        branch, username = item
        secretary = env.client(branch.secretary)
        status, talk = secretary.call("POST", "/api/talks", {
            "org_unit": branch.code, "kind": "periodic", "member": username, "talker": branch.secretary,
            "scheduled_at": f"{day}T10:00:00+08:00", "place": "支部活动室", "way": "face_to_face"})
        if status != 201:
            secretary.close()
            return f"talk {status}: {str(talk)[:200]}"
        task = next(t for t in talk["open_tasks"] if t["element_id"] == "RecordTalk")
        status, body = secretary.call("POST", f"/api/tasks/{task['id']}/complete", {"data": {
            "held_on": day, "way": "face_to_face", "main_content": "交流了近期思想、工作和生活情况。",
            "measures": "按期整改，支部跟踪督促。", "problems": [
                {"description": "学习教育参加不够经常", "owner": username, "measure": "每月参加支部集中学习",
                 "deadline": (date.today() + timedelta(days=20)).isoformat()}]}})
        secretary.close()
        return None if status == 200 else f"record {status}: {str(body)[:200]}"

    count = len(pairs)
    seconds, errors = _parallel(pairs, one)  # empties the list
    return {"talks": count - len(errors), "seconds": round(seconds, 1), "errors": errors[:3]}


def measure(members: int, activities: int, talks: int) -> dict[str, Any]:
    options = Options(pg=bdb.pg_available(), workdir=Path(tempfile.mkdtemp(prefix="vanguard-capacity-")))
    if not options.pg:
        raise SystemExit("bench.capacity measures on PostgreSQL: none reachable (make services)")
    bench = Bench(options, log=lambda line: print(line, flush=True))
    files = (*campaign.FILES, "talk.bpmn")
    out: dict[str, Any] = {"members": members, "load_average_before": round(os.getloadavg()[0], 2)}
    with bench.server("capacity", "postgresql", members, workflows=files) as env:
        base = _snapshot(env)
        out["campaign"] = _campaign(env)
        after_campaign = _snapshot(env)
        out["campaign"]["rows_per_member"] = _delta(base, after_campaign, env.org.member_count)
        out["activities"] = _activities(env, activities)
        after_activities = _snapshot(env)
        out["activities"]["rows_per_record"] = _delta(after_campaign, after_activities, out["activities"]["records"])
        print(f"  campaign {out['campaign']}", flush=True)
        print(f"  activities {out['activities']}", flush=True)
        out["talks"] = _talks(env, talks)
        after_talks = _snapshot(env)
        out["talks"]["rows_per_talk"] = _delta(after_activities, after_talks, out["talks"]["talks"])
        print(f"  talks {out['talks']}", flush=True)
        out["snapshots"] = [base, after_campaign, after_activities, after_talks]
        out["tables"] = after_talks
    out["load_average_after"] = round(os.getloadavg()[0], 2)
    out["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                   text=True).stdout.strip()
    return out


def _throughput() -> dict[str, Any]:
    """Completions per second per worker from the last full bench run (``throughput``)."""
    path = ROOT / "bench" / "results" / "latest.json"
    if not path.exists():
        return {}
    doc = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for key, mode in doc.get("results", {}).get("throughput", {}).get("modes", {}).items():
        run = mode.get("run") or doc.get("results", {}).get("throughput", {}).get("run", {})
        out[key] = {"per_s": mode["ours"]["per_s"], "workers": mode.get("workers", 1),
                    "per_worker_s": round(mode["ours"]["per_s"] / max(1, mode.get("workers", 1)), 1),
                    "finished": run.get("finished"), "load": run.get("load_average_before"),
                    "commit": doc.get("meta", {}).get("commit")}
    launch = doc.get("results", {}).get("launch", {})
    if launch.get("branches_per_s"):
        out["launch"] = {"branches_per_s": launch["branches_per_s"], "branches": launch.get("branches"),
                         "load": (launch.get("run") or {}).get("load_average_before")}
    return out


SETUP_TABLES = {"activity_programme", "activity_tally"}
"""Rows a phase writes once (programmes) or per unit and period, not per operation: modelled apart."""
TALLY_PERIODS_A_YEAR = 64
"""``activity_tally`` rows a branch a year with the seed-000 programmes: five monthly (12) + one quarterly (4)."""
TALLY_BYTES = 108
"""``activity_tally`` bytes per row, measured by ``scale-quota`` on PostgreSQL: 98,000 rows, 10.6 MB."""


def _bytes_per_row(snapshots: list[dict[str, dict[str, int]]]) -> dict[str, float]:
    """Marginal bytes per row per table: Σ size added / Σ rows added over the phases in which the table
    gained at least 100 rows (so a table's fixed pages, 8 KB per relation and index, do not count)."""
    added: dict[str, list[int]] = {}
    for before, after in zip(snapshots, snapshots[1:], strict=False):
        for table, now in after.items():
            rows = now["rows"] - before.get(table, {"rows": 0})["rows"]
            if rows >= 100:
                sums = added.setdefault(table, [0, 0])
                sums[0] += now["bytes"] - before.get(table, {"bytes": 0})["bytes"]
                sums[1] += rows
    return {t: b / r for t, (b, r) in added.items() if r}


def model(m: dict[str, Any], a: argparse.Namespace) -> dict[str, Any]:
    """The province's rows, size, write rates and workers from the measured slopes."""
    members, branches = a.province_members, a.province_branches
    ops = {  # operations a year, and HTTP writes per operation
        "campaign (pledge stage, per member)": (members * a.campaigns, m["campaign"]["rows_per_member"], 1),
        "activity record (recorded + confirmed)": (members * a.activities_per_member_week * 52,
                                                  m["activities"]["rows_per_record"], 2),
        "talk (started + recorded)": (branches * a.talks_per_branch_week * 52, m["talks"]["rows_per_talk"], 2),
    }
    stage_factor = a.stages
    per_row = _bytes_per_row(m["snapshots"])
    rows_year: dict[str, float] = {"activity_tally": branches * TALLY_PERIODS_A_YEAR}
    per_row["activity_tally"] = TALLY_BYTES
    kb_per_op = {}
    for name, (count, per_op, _) in ops.items():
        factor = stage_factor if name.startswith("campaign") else 1
        kb_per_op[name] = round(sum(n * per_row.get(t, 0) for t, n in per_op.items() if t not in SETUP_TABLES)
                                * factor / 1024, 1)
        for table, n in per_op.items():
            if table not in SETUP_TABLES:
                rows_year[table] = rows_year.get(table, 0.0) + count * n * factor
    size_year = {t: rows_year[t] * per_row.get(t, 0) for t in rows_year}
    writes_year = sum(count * writes * (stage_factor if name.startswith("campaign") else 1)
                      for name, (count, _, writes) in ops.items())
    pledge_week_peak = members / (PEAK_HOURS * 3600) * PEAK_FACTOR
    weekly = sum(count * writes for name, (count, _, writes) in ops.items() if not name.startswith("campaign")) / 52
    weekly_peak = weekly / (PEAK_HOURS * 3600) * PEAK_FACTOR
    measured = _throughput()
    pg = measured.get("scale-out-postgresql", {})
    per_worker = pg.get("per_worker_s") or m["campaign"]["pledges_per_s"]
    peak = pledge_week_peak + weekly_peak
    launch = measured.get("launch", {})
    return {
        "inputs": {"members": members, "branches": branches, "campaigns_a_year": a.campaigns,
                   "campaign_stages_as_pledge": stage_factor,
                   "activities_per_member_week": a.activities_per_member_week,
                   "talks_per_branch_week": a.talks_per_branch_week, "peak_hours_a_week": PEAK_HOURS,
                   "peak_factor": PEAK_FACTOR, "worker_headroom": WORKER_HEADROOM},
        "throughput": measured,
        "bytes_per_row": {t: round(v) for t, v in sorted(per_row.items())},
        "kb_per_operation": kb_per_op,
        "rows_a_year": {t: round(v) for t, v in sorted(rows_year.items(), key=lambda kv: -kv[1])},
        "gb_a_year": {t: round(v / 1e9, 2) for t, v in sorted(size_year.items(), key=lambda kv: -kv[1])},
        "total_gb_a_year": round(sum(size_year.values()) / 1e9, 1),
        "writes_a_year": round(writes_year),
        "average_writes_per_s": round(writes_year / YEAR_S, 2),
        "pledge_week_peak_per_s": round(pledge_week_peak, 1),
        "weekly_peak_per_s": round(weekly_peak, 1),
        "peak_per_s": round(peak, 1),
        "completions_per_worker_s": per_worker,
        "workers_for_peak": math.ceil(peak / (per_worker * WORKER_HEADROOM)),
        "launch_branches_per_s": launch.get("branches_per_s"),
        "launch_hours_one_worker": round(branches / launch["branches_per_s"] / 3600, 2) if launch else None,
    }


def markdown(m: dict[str, Any], result: dict[str, Any]) -> str:
    i = result["inputs"]
    out = [f"# Capacity model: {i['members']:,} members, {i['branches']:,} branches", "",
           f"Measured on PostgreSQL at commit `{m['commit']}`, a district of {m['members']:,} members, load average "
           f"{m['load_average_before']}–{m['load_average_after']}: campaign pledge stage "
           f"{m['campaign']['pledges']:,} pledges ({m['campaign']['pledges_per_s']}/s, 4 clients), "
           f"{m['activities']['records']:,} activity records, {m['talks']['talks']:,} talks.", "",
           "| table | bytes/row (measured) | rows a year | GB a year |", "|---|---:|---:|---:|"]
    for table, rows in result["rows_a_year"].items():
        out.append(f"| {table} | {result['bytes_per_row'].get(table, 'not measured (< 100 rows)')} | {rows:,} | "
                   f"{result['gb_a_year'][table]} |")
    out += ["", "Stored per operation (rows × measured bytes):"]
    out += [f"- {name}: {kb} KB" + (" (all its stages)" if name.startswith("campaign") else "")
            for name, kb in result["kb_per_operation"].items()]
    out += ["", f"- total: **{result['total_gb_a_year']} GB a year** (tables with their indexes and TOAST)",
            f"- writes: {result['writes_a_year']:,} a year, average {result['average_writes_per_s']}/s; peak "
            f"{result['peak_per_s']}/s (pledge week {result['pledge_week_peak_per_s']}/s + weekly "
            f"{result['weekly_peak_per_s']}/s)",
            f"- workers: {result['workers_for_peak']} at {result['completions_per_worker_s']} completions/s per "
            f"worker planned at {int(WORKER_HEADROOM * 100)} %",
            f"- launch: {result['launch_branches_per_s']} branches/s → {result['launch_hours_one_worker']} h on one "
            "worker", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.splitlines()[0])
    p.add_argument("--members", type=int, default=1000, help="district measured (50 a branch)")
    p.add_argument("--activities", type=int, default=500, help="activity records measured")
    p.add_argument("--talks", type=int, default=300, help="talks measured")
    p.add_argument("--from", dest="source", type=Path, help="a capacity.json: model again, do not measure")
    p.add_argument("--province-members", type=int, default=5_000_000)
    p.add_argument("--province-branches", type=int, default=200_000)
    p.add_argument("--campaigns", type=int, default=1, help="campaigns a year")
    p.add_argument("--stages", type=float, default=6.0,
                   help="the campaign's member steps as multiples of the measured pledge stage")
    p.add_argument("--activities-per-member-week", type=float, default=1.0)
    p.add_argument("--talks-per-branch-week", type=float, default=1.0)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    a = p.parse_args(argv)
    measured = (json.loads(a.source.read_text(encoding="utf-8"))["measured"] if a.source
                else measure(a.members, a.activities, a.talks))
    result = model(measured, a)
    a.out.mkdir(parents=True, exist_ok=True)
    doc = {"measured": measured, "model": result}
    (a.out / "capacity.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    md = markdown(measured, result)
    (a.out / "capacity.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
