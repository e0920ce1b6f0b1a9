"""``scale-quota`` (issue 20): the district's quota view at province-like sizes, from the counters.

A district of N members (100,000 on PostgreSQL, 20,000 on SQLite, 50 a branch) gets the six
seed-000 programmes through the API and a year of records written in bulk (two a member a month, nine
in ten confirmed, as ``bench/activities.py``); the counters (``activity_tally``) are then counted
once from them, as migration 0020 does. Measured through HTTP as the district's org_admin
(``limit=50``): the year, a quarter and a month of the district, a party committee-less branch's
year, and the same district year through the record-by-record computation that ``missing=1``
still uses (the cost before issue 20). In the bench process, against the same database: what a
confirmation now adds (``tally.count``: lock the counter row, count the member's records in the
period, bump one level).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import db as bdb
from bench.activities import RECORD_COLS, YEAR, _programmes
from bench.harness import Bench, Env, timed_calls
from bench.stats import summary_ms
from server.activities import tally
from server.activities.models import ActivityRecord, ActivityTally


def _rows(env: Env, programmes: list[dict[str, Any]], per_month: int, now: Any) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(20)
    n = 0
    for branch in env.org.branches:
        for username in branch.members:
            pid = env.org.person_ids[username]
            for month in range(1, 13):
                seasonal = [p for p in programmes if not p["season_months"] or month in p["season_months"]]
                for _ in range(per_month):
                    n += 1
                    programme = rng.choice(seasonal)
                    day = rng.randint(1, 4 if month == 12 else 28)
                    yield (n, programme["id"], branch.id, pid, pid, "为民办实事", date(YEAR, month, day).isoformat(),
                           "社区", "居民", 2.0, "confirmed" if rng.random() < 0.9 else "submitted", now, now)


def _fill(env: Env, programmes: list[dict[str, Any]], per_month: int = 2) -> dict[str, Any]:
    started = time.perf_counter()
    now = bdb.stamp(env.backend, datetime.now(UTC))
    count = bdb.bulk_insert(env.engine, "activity_record", RECORD_COLS, _rows(env, programmes, per_month, now),
                            trusted=True)
    bdb.reset_sequences(env.engine, ["activity_record"])
    filled = time.perf_counter() - started
    started = time.perf_counter()
    with Session(env.engine) as s, s.begin():
        tally.rebuild(s)
    rebuilt = time.perf_counter() - started
    bdb.analyze(env.engine)
    with Session(env.engine) as s:
        rows = s.scalar(select(func.count()).select_from(ActivityTally))
    return {"records": count, "fill_s": round(filled, 1), "tally_rebuild_s": round(rebuilt, 1), "tally_rows": rows}


def _confirmations(env: Env, samples: int) -> dict[str, Any]:
    """``tally.count`` on records still submitted (each confirmed in its own transaction)."""
    times = []
    with Session(env.engine) as s:
        ids = list(s.scalars(select(ActivityRecord.id).where(ActivityRecord.state == "submitted")
                             .order_by(ActivityRecord.id).limit(samples)))
    for record_id in ids:
        with Session(env.engine) as s, s.begin():
            record = s.get(ActivityRecord, record_id)
            assert record is not None
            record.state = "confirmed"
            s.flush()
            t0 = time.perf_counter()
            tally.count(s, record)
            times.append(time.perf_counter() - t0)
    return summary_ms(times)


def scale_quota(bench: Bench) -> None:
    o = bench.options
    out: dict[str, Any] = {"backends": {}}
    for backend in bench.backends(["sqlite", "postgresql"]):
        members = o.quota_sizes.get(backend)
        if not members:
            continue
        with bench.server(f"scale-quota-{backend}", backend, members) as env:
            env.server.phase("scale-quota")
            programmes = _programmes(env)
            result: dict[str, Any] = {"members": env.org.member_count, "branches": len(env.org.branches),
                                      **_fill(env, programmes)}
            bench.log(f"    {backend}: {result['records']} records in {result['fill_s']} s, counters "
                      f"({result['tally_rows']} rows) in {result['tally_rebuild_s']} s")
            branch = env.org.branches[len(env.org.branches) // 2]
            district = "/api/activities/quota?org_unit=bench-district&limit=50&period="
            queries = {
                "district_year": (env.org.admin, f"{district}{YEAR}", o.quota_samples),
                "district_quarter": (env.org.admin, f"{district}{YEAR}-Q4", o.quota_samples),
                "district_month": (env.org.admin, f"{district}{YEAR}-11", o.quota_samples),
                "branch_year": (branch.secretary, f"/api/activities/quota?org_unit={branch.code}&period={YEAR}",
                                o.quota_samples),
                "district_year_by_records": (env.org.admin, f"{district}{YEAR}&missing=1", o.quota_old_samples),
            }
            for key, (who, path, samples) in queries.items():
                client = env.client(who)
                stats, body = timed_calls(client, "GET", path, samples, 1)
                client.close()
                result[key] = {"path": path, **stats, "members": body["totals"]["members"],
                               "done": body["totals"]["done"], "due": body["totals"]["due"]}
                bench.log(f"    {key}: p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms "
                          f"({body['totals']['members']} members, done {body['totals']['done']})")
            result["same_totals"] = all(result["district_year_by_records"][k] == result["district_year"][k]
                                        for k in ("members", "done", "due"))
            result["confirmation_tally_count"] = _confirmations(env, o.quota_confirmations)
            bench.log(f"    a confirmation's counter: p50 {result['confirmation_tally_count']['p50_ms']} ms")
            out["backends"][backend] = result
    bench.results["scale-quota"] = out


VIEWS = ("district_year", "district_quarter", "district_month", "branch_year", "district_year_by_records")


def markdown(result: dict[str, Any]) -> list[str]:
    """The scenario's table for ``bench/results/*.md``."""
    rows = []
    for backend, b in result["backends"].items():
        for key in VIEWS:
            if key in b:
                rows.append([backend, b["members"], b["records"], key, b[key]["p50_ms"], b[key]["p95_ms"],
                             b[key]["done"]])
    lines = ["## scale-quota: the district's quota view from the counters (issue 20)", ""]
    lines += ["| backend | members | records | view | p50 ms | p95 ms | done |", "|---|---:|---:|---|---:|---:|---:|"]
    lines += ["| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in row) + " |" for row in rows]
    lines += [""] + [f"- {backend}: counters {b['tally_rows']:,} rows, counted in {b['tally_rebuild_s']} s; a "
                     f"confirmation's counter p50 {b['confirmation_tally_count']['p50_ms']} ms; same totals as "
                     f"record by record: {b['same_totals']}" for backend, b in result["backends"].items()]
    return [*lines, ""]


def targets(result: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, goal, measured, met): the district year p95 ≤ 200 ms at 100,000 members (PostgreSQL)."""
    out = []
    for backend, b in result["backends"].items():
        full = backend == "postgresql" and b["members"] >= 100_000
        out.append((f"quota view, district year p95 ({backend}, {b['members']:,} members)", "≤ 200 ms",
                    f"{b['district_year']['p95_ms']} ms", b["district_year"]["p95_ms"] <= 200 if full else None))
    return out
