"""Scenario ``org`` (issue 15): importing a roster, and a secretary change with open work.

* **import**: a roster workbook of N new members (``--org-sizes``, default 10,000 and 100,000),
  spread over the generated branches, uploaded to the running server as its org_admin would:
  ``POST /api/people/import`` with ``dry_run=true``, then ``false``. Measured: the seconds of
  each (upload, read, check, write), the rows per second, and the server's peak RSS while it
  works (the server's memory phase ``import-N``).
* **secretary change**: a branch whose secretary has claimed ``--org-open-tasks`` (50) review
  tasks offered to the secretary; ``POST /api/org-units/{branch}/appointments`` appoints a
  member; the old appointment ends and the 50 claims go back to the pool in the same request.
  The new secretary claims them again and the old one is appointed back: ``--org-rounds`` times
  each way, every change timed. It runs on the server of the first import size, after the import.
"""

from __future__ import annotations

import time
from typing import Any

from bench.harness import REPORT, Bench, Env, open_reports
from bench.stats import summary_ms
from server.orgadmin.roster import HEADER
from server.spreadsheets import Sheet, workbook


def roster_bytes(branch_codes: list[str], n: int) -> bytes:
    rows = [[f"r{i:06d}", f"导入党员{i}", branch_codes[i % len(branch_codes)], "党员", None, None] for i in range(n)]
    return workbook(Sheet("花名册", HEADER, rows))


def org(bench: Bench) -> None:
    o = bench.options
    out: dict[str, Any] = {"imports": {}, "secretary_change": {}}
    for backend in bench.backends(o.org_backends):
        for n in o.org_sizes:
            name = f"org-import-{backend}-{n}"
            with bench.server(name, backend, o.org_members) as env:
                codes = [b.code for b in env.org.branches]
                started = time.perf_counter()
                content = roster_bytes(codes, n)
                built = time.perf_counter() - started
                client = env.client(env.org.admin)
                row: dict[str, Any] = {"rows": n, "file_mb": round(len(content) / 2**20, 2),
                                       "build_file_s": round(built, 2)}
                for dry_run in (True, False):
                    phase = f"import-{n}-{'dry' if dry_run else 'write'}"
                    env.server.phase(phase)
                    fields = {"dry_run": str(dry_run).lower()}
                    dt, status, body = client.timed_upload("/api/people/import", content, fields)
                    if status != 200 or body.get("errors_total"):
                        raise RuntimeError(f"import of {n} rows -> {status}: {str(body)[:300]}")
                    key = "dry_run" if dry_run else "import"
                    row[f"{key}_s"] = round(dt, 2)
                    row[f"{key}_rows_per_s"] = round(n / dt)
                    row["created"] = body["created"]
                env.server.phase("again")
                dt, status, body = client.timed_upload("/api/people/import", content, {"dry_run": "false"})
                row["reimport_s"], row["reimport_unchanged"] = round(dt, 2), body.get("unchanged")
                client.close()
                if n == o.org_sizes[0]:  # the same server, after its import: one server start fewer
                    out["secretary_change"][backend] = _secretary_change(bench, env)
                out["imports"][f"{backend}-{n}"] = {"backend": backend, **row}
                bench.log(f"    {backend} import {n:,} rows: dry run {row['dry_run_s']} s, import {row['import_s']} s, "
                          f"again {row['reimport_s']} s")
            out["imports"][f"{backend}-{n}"]["server_peak_mb"] = bench.memory.get(name, {}).get("peak_total_mb")
    bench.results["org"] = out


def _secretary_change(bench: Bench, env: Env) -> dict[str, Any]:
    o = bench.options
    backend = env.backend
    branch = env.org.branches[0]
    members = [m for m in branch.members if m != branch.secretary]
    writers = open_reports(env, [members[i % len(members)] for i in range(o.org_open_tasks)])
    for cloned in writers:
        c = env.client(cloned.username)
        c.ok("POST", f"/api/tasks/{cloned.task_ids[0]}/complete", {"data": REPORT})
        c.close()
    holders = [branch.secretary, members[0]]
    clients = {u: env.client(u) for u in holders}
    admin = env.client(env.org.admin)
    env.server.phase("appoint")
    durations: list[float] = []
    returned: list[int] = []
    for k in range(2 * o.org_rounds):
        old, new = holders[k % 2], holders[(k + 1) % 2]
        claimable = clients[old].ok("GET", "/api/tasks?scope=claimable&limit=500")["items"]
        for task in claimable:
            clients[old].ok("POST", f"/api/tasks/{task['id']}/claim", {})
        dt, status, body = admin.timed("POST", f"/api/org-units/{branch.code}/appointments",
                                       {"person": new, "reason": "换届（基准测试）"})
        if status != 201:
            raise RuntimeError(f"appointment -> {status}: {str(body)[:300]}")
        durations.append(dt)
        returned.append(len(body["returned_tasks"]))
    for c in [*clients.values(), admin]:
        c.close()
    result = {"open_tasks": len(writers), "returned_per_change": returned, **summary_ms(durations)}
    bench.log(f"    {backend} secretary change with {len(writers)} claimed tasks: p50 {result['p50_ms']} ms "
              f"(returned {returned[0]} each)")
    return result
