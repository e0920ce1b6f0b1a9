"""scale-inbox: the subtree inbox at province scale (issue 20), PostgreSQL only.

A district of 100,000 members in 2,000 branches (``bench.org``) and 10,000,000
task rows written by SQL (``generate_series``), in instances of 50 tasks; the
newest instances are running, one per branch, so that 100,000 tasks are open,
all in the district's subtree. In an instance, every tenth task is a
secretary's review (offered to the branch's secretaries, half of the open ones
claimed), the others are pledges bound to one member; closed tasks were
completed (6 in 7) or cancelled by their holder. Instances are started by the
branch's members in turn.

Measured, in turns, for the district's org_admin (``scope=all`` by every sort,
the first page and pages deep in the list), a branch secretary (claimable,
抄送我, 已处理) and a member (mine, 已处理, 我发起的): p50 and p95 of each, first
with the open-task indexes of migration 0018 and keyset pages
(``next_cursor``), then without those indexes and with ``offset`` pages (what
the inbox did before). The cursors for deep pages come from walking the whole
subtree with ``limit=500``, which also checks that the walk returns every open
task exactly once.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, text

from bench import db as bdb
from bench.harness import Bench, Env
from bench.stats import summary_ms

INDEXES_0018 = {"task": ["ix_task_open_due", "ix_task_open_priority", "ix_task_open_id", "ix_task_open_unit_due",
                         "ix_task_completed_by"],
                "process_instance": ["ix_process_instance_started_by"]}
TABLES = ("process_instance", "task", "task_candidate")
PER_INSTANCE = 50
BUDGET_S = 20.0  # per query and phase: past it, a query is sampled no more (it has shown what it costs)


def _plain_indexes(conn: Any, table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's indexes that no constraint owns."""
    return [(r[0], r[1]) for r in conn.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = :t AND i.schemaname = 'public' "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"), {"t": table})]


def fill(env: Env, rows: int, open_tasks: int) -> dict[str, Any]:
    """Insert the instances, tasks and candidates by SQL: indexes dropped first and built after (faster)."""
    started = time.perf_counter()
    org = env.org
    n_branches = len(org.branches)
    n_instances = -(-rows // PER_INSTANCE)
    running_from = n_instances - open_tasks // PER_INSTANCE + 1
    params = {"rows": rows, "n_instances": n_instances, "nb": n_branches, "running_from": running_from}
    with env.engine.begin() as conn:
        definition = conn.execute(text("SELECT MIN(id) FROM process_definition")).scalar_one()
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        conn.execute(text("CREATE TEMP TABLE bench_branch (idx int PRIMARY KEY, unit_id int, pid0 int, size int)"))
        conn.execute(text("INSERT INTO bench_branch VALUES (:i, :u, :p, :s)"), [
            {"i": i, "u": b.id, "p": org.person_ids[b.members[0]], "s": len(b.members)}
            for i, b in enumerate(org.branches)])
        # Members of a branch have consecutive person ids (bench.org), the first being its secretary.
        assert all(org.person_ids[b.members[-1]] == org.person_ids[b.members[0]] + len(b.members) - 1
                   for b in org.branches)
        saved = {t: _plain_indexes(conn, t) for t in TABLES}
        for table in TABLES:
            for name, _ in saved[table]:
                conn.execute(text(f'DROP INDEX "{name}"'))
        t0 = time.perf_counter()
        conn.execute(text(
            "INSERT INTO process_instance (id, definition_id, org_unit_id, parent_id, state, stage, stage_label, "
            "title, started_by_id, started_at, updated_at, completed_at, error, engine_state, lock_version) "
            "SELECT j, :definition, b.unit_id, NULL, CASE WHEN j >= :running_from THEN 'running' ELSE 'completed' END,"
            " 'pledge', '公开承诺', '争做先锋活动 #' || j, b.pid0 + ((j - 1) / :nb) % b.size, "
            " now() - (:n_instances - j) * interval '2 minutes' - interval '7 days', now(), "
            " CASE WHEN j >= :running_from THEN NULL ELSE now() - (:n_instances - j) * interval '2 minutes' END, "
            " NULL, '{}', 0 "
            "FROM generate_series(1, :n_instances) j JOIN bench_branch b ON b.idx = (j - 1) % :nb"),
            {**params, "definition": definition})
        conn.execute(text(
            "INSERT INTO task (id, engine_task_id, instance_id, process_key, element_id, name, stage, stage_label,"
            " org_unit_id, role, assignee_id, bound_to_id, due_at, due_estimated, priority, state, data,"
            " created_at, claimed_at, completed_at, completed_by_id, lock_version) "
            "SELECT x.i, '00000000-0000-4000-8000-' || lpad(to_hex(x.i), 12, '0'), x.j, 'vanguard_campaign_branch',"
            " CASE WHEN x.review THEN 'ReviewPledge' ELSE 'DraftPledge' END,"
            " CASE WHEN x.review THEN '审核党员承诺' ELSE '撰写公开承诺' END, 'pledge', '公开承诺', b.unit_id,"
            " CASE WHEN x.review THEN 'secretary' ELSE 'member|masses_rep' END, h.holder,"
            " CASE WHEN x.review THEN NULL ELSE h.holder END,"
            " CASE WHEN x.running THEN now() + ((x.i % 40) - 10) * interval '1 day'"
            "      ELSE x.created + interval '7 days' END,"
            " false, x.i % 3, CASE WHEN x.running THEN 'open' WHEN x.k % 7 = 0 THEN 'cancelled' ELSE 'completed' END,"
            " '{}', x.created, CASE WHEN h.holder IS NULL THEN NULL ELSE x.created END,"
            " CASE WHEN x.running THEN NULL ELSE x.created + interval '3 days' END,"
            " CASE WHEN x.running OR x.k % 7 = 0 THEN NULL ELSE h.holder END, 0 "
            "FROM (SELECT i, (i - 1) / 50 + 1 AS j, (i - 1) % 50 AS k, (i - 1) % 10 = 0 AS review,"
            "             (i - 1) / 50 + 1 >= :running_from AS running,"
            "             now() - (:n_instances - (i - 1) / 50 - 1) * interval '2 minutes' - interval '7 days'"
            "             AS created"
            "      FROM generate_series(1, :rows) i) x"
            " JOIN bench_branch b ON b.idx = (x.j - 1) % :nb"
            " CROSS JOIN LATERAL (SELECT CASE WHEN NOT x.review THEN b.pid0 + x.k % b.size"
            "   WHEN x.running AND x.k % 20 = 0 THEN NULL ELSE b.pid0 END AS holder) h"), params)
        conn.execute(text(
            "INSERT INTO task_candidate (id, task_id, org_unit_id, role) "
            "SELECT t.id, t.id, t.org_unit_id, 'secretary' FROM task t WHERE t.element_id = 'ReviewPledge'"))
        insert_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for table in TABLES:
            for _, definition_sql in saved[table]:
                conn.execute(text(definition_sql))
        index_s = time.perf_counter() - t0
    bdb.reset_sequences(env.engine, list(TABLES))
    t0 = time.perf_counter()
    bdb.analyze(env.engine)
    analyze_s = time.perf_counter() - t0
    with env.engine.connect() as conn:
        total = conn.execute(text("SELECT COUNT(*) FROM task")).scalar_one()
        open_ = conn.execute(text("SELECT COUNT(*) FROM task WHERE state = 'open'")).scalar_one()
        size = conn.execute(text("SELECT pg_total_relation_size('task')")).scalar_one()
    return {"task_rows": int(total), "open_rows": int(open_), "insert_s": round(insert_s, 1),
            "index_s": round(index_s, 1), "vacuum_analyze_s": round(analyze_s, 1),
            "fill_s": round(time.perf_counter() - started, 1), "task_table_mb": round(size / 2**20)}


def _walk(client: Any, path: str) -> tuple[int, int, dict[int, str], float]:
    """Every page of ``path`` by cursor, 500 at a time: (tasks, distinct, cursor after each depth, seconds)."""
    seen: set[int] = set()
    n, cursors, cursor, started = 0, {}, "", time.perf_counter()
    while True:
        body = client.ok("GET", f"{path}&limit=500" + (f"&cursor={quote(cursor)}" if cursor else ""))
        n += len(body["items"])
        seen.update(t["id"] for t in body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return n, len(seen), cursors, time.perf_counter() - started
        cursors[n] = cursor


def _measure(env: Env, bench: Bench, queries: dict[str, tuple[str, str]], samples: int) -> dict[str, Any]:
    clients = {who: env.client(who) for who, _ in queries.values()}
    durations: dict[str, list[float]] = {key: [] for key in queries}
    last: dict[str, Any] = {}
    spent = {key: 0.0 for key in queries}
    for k in range(bench.options.warmup + samples):
        for key, (who, path) in queries.items():  # in turns, so that noise weighs on each alike
            if spent[key] > BUDGET_S and len(durations[key]) >= 3:
                continue  # a query of seconds (before the indexes) is sampled a few times, not a hundred
            dt, status, last[key] = clients[who].timed("GET", path)
            spent[key] += dt
            if status != 200:
                raise RuntimeError(f"GET {path} -> {status}: {str(last[key])[:300]}")
            if k >= bench.options.warmup:
                durations[key].append(dt)
    for client in clients.values():
        client.close()
    out: dict[str, Any] = {}
    for key, (who, path) in queries.items():
        stats = summary_ms(durations[key])
        body = last[key]
        out[key] = {"user": who, "path": path, "total": body.get("total"), "total_exact": body.get("total_exact"),
                    "items": len(body.get("items", [])), **stats}
        shown = (f"{len(body['items'])} of {body['total']}{'' if body['total_exact'] else '+'}"
                 if "items" in body else str(body))
        bench.log(f"    {key}: p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms ({shown})")
    return out


def _queries(env: Env, deep: dict[str, dict[int, str]], depths: list[int], keyset: bool) -> dict[str, tuple[str, str]]:
    branch = env.org.branches[len(env.org.branches) // 2]
    secretary, admin = branch.secretary, env.org.admin
    with env.engine.connect() as conn:  # the member who started the branch's running instance
        starter = conn.execute(text("SELECT started_by_id FROM process_instance WHERE org_unit_id = :u "
                                    "AND state = 'running' LIMIT 1"), {"u": branch.id}).scalar_one()
    member = next(m for m in branch.members if env.org.person_ids[m] == starter)
    out: dict[str, tuple[str, str]] = {}
    for sort in ("due", "-priority", "-created", "created"):
        path = f"/api/tasks?scope=all&sort={quote(sort)}&limit=50"
        out[f"org_admin all {sort} first page"] = (admin, path)
        for depth in depths:
            cursor = deep[sort].get(depth)
            if keyset and cursor:
                out[f"org_admin all {sort} page at {depth:,}"] = (admin, f"{path}&cursor={quote(cursor)}")
            elif not keyset:
                out[f"org_admin all {sort} page at {depth:,}"] = (admin, f"{path}&offset={depth}")
    out["secretary claimable"] = (secretary, "/api/tasks?scope=claimable&limit=50")
    out["secretary cc"] = (secretary, "/api/tasks?scope=cc&limit=50")
    out["secretary done"] = (secretary, "/api/tasks?scope=done&state=completed&sort=-created&limit=50")
    out["member mine"] = (member, "/api/tasks?scope=mine&limit=50")
    # The starter's pledges were cancelled (k % 7 == 0): 已处理 is measured for a member whose were completed.
    doer = next(m for m in branch.members[1:] if m != member and branch.members.index(m) % 7)
    out["member done"] = (doer, "/api/tasks?scope=done&state=completed&sort=-created&limit=50")
    out["member started"] = (member, "/api/tasks?scope=started&limit=50")
    out["member counts"] = (member, "/api/tasks/counts")
    return out


def _drop_0018(engine: Engine) -> None:
    with engine.begin() as conn:
        for names in INDEXES_0018.values():
            for name in names:
                conn.execute(text(f'DROP INDEX IF EXISTS "{name}"'))
    bdb.analyze(engine)


def scale_inbox(bench: Bench) -> None:
    o = bench.options
    if "postgresql" not in bench.backends(["postgresql"]):
        bench.notes.append("scale-inbox skipped: PostgreSQL not reachable")
        return
    out: dict[str, Any] = {}
    with bench.server("scale-inbox-postgresql", "postgresql", o.scale_inbox_members) as env:
        filled = fill(env, o.scale_inbox_rows, o.scale_inbox_open)
        bench.log(f"    {filled['task_rows']:,} task rows ({filled['open_rows']:,} open) in {filled['fill_s']} s "
                  f"(insert {filled['insert_s']} s, indexes {filled['index_s']} s, "
                  f"VACUUM ANALYZE {filled['vacuum_analyze_s']} s), task table {filled['task_table_mb']} MB")
        out.update(filled)
        env.server.phase("scale-inbox")
        admin = env.client(env.org.admin)
        deep: dict[str, dict[int, str]] = {}
        for sort in ("due", "-priority", "-created", "created"):
            n, distinct, cursors, seconds = _walk(admin, f"/api/tasks?scope=all&sort={quote(sort)}")
            deep[sort] = cursors
            out.setdefault("walks", {})[sort] = {"tasks": n, "distinct": distinct, "seconds": round(seconds, 1),
                                                 "pages_of_500": -(-n // 500)}
            bench.log(f"    walk {sort}: {n:,} tasks ({distinct:,} distinct) in {seconds:.1f} s")
            if n != distinct or n != filled["open_rows"]:
                raise RuntimeError(f"walk {sort}: {n} tasks, {distinct} distinct, {filled['open_rows']} open")
        admin.close()
        depths = [d for d in o.scale_inbox_depths if d in deep["due"]]
        bench.log("    after (open-task indexes, keyset pages):")
        out["after"] = _measure(env, bench, _queries(env, deep, depths, keyset=True), o.scale_inbox_samples)
        _drop_0018(env.engine)
        bench.log("    before (without migration 0018's indexes, offset pages):")
        out["before"] = _measure(env, bench, _queries(env, deep, depths, keyset=False), o.scale_inbox_samples)
    bench.results["scale-inbox"] = out
