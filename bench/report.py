"""Targets of issue 8 checked against the results, and the results as JSON and markdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import scale_quota
from bench.stats import ratio

RSS_LIMIT_MB = 300


def _target(name: str, goal: str, value: Any, met: bool | None, note: str = "") -> dict[str, Any]:
    return {"target": name, "goal": goal, "measured": value, "met": met, "note": note}


def targets(results: dict[str, Any], memory: dict[str, Any], smoke: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    complete = results.get("complete", {}).get("by_backend", {})
    for backend, sizes in complete.items():
        p95 = {int(n): s["p95_ms"] for n, s in sizes.items()}
        worst = max(p95.items(), key=lambda kv: kv[1]) if p95 else None
        if worst:
            rows.append(_target(f"complete p95, every size ({backend})", "≤ 25 ms",
                                f"{worst[1]} ms (worst, at {worst[0]})", worst[1] <= 25))
        if 100 in p95 and 10000 in p95:
            r = ratio(p95[10000], p95[100])
            rows.append(_target(f"complete p95 10,000 / 100 ({backend})", "≤ 1.5", r, r is not None and r <= 1.5))
    for key, mode in results.get("throughput", {}).get("modes", {}).items():
        r = mode.get("ours_per_floor")
        rows.append(_target(f"throughput ours / floor ({key})", "≥ 0.33",
                            f"{r} ({mode['ours']['per_s']}/s vs {mode['floor']['per_s']}/s)",
                            r is not None and r >= 1 / 3))
    launch = results.get("launch")
    if launch:
        real = "stand-in" not in launch.get("variant", "")
        full = real and launch.get("members") == 10000
        rows.append(_target(f"launch of {launch.get('members'):,} members", "≤ 15 s (at 10,000)",
                            f"{launch.get('seconds')} s", (launch.get("seconds", 1e9) <= 15) if full else None,
                            "" if full else "the real launch at 10,000 members was not measured: see launch"))
    scale = results.get("scale-launch", {})
    for branches, row in scale.get("embedded", {}).items():
        rows.append(_target(f"launch, embedded SQLite, {int(branches):,} branches", "≥ 400 branches/s",
                            f"{row['median_per_s']}/s (median)", row["median_per_s"] >= 400 if not smoke else None))
    if scale.get("scale_out", {}).get("two_per_one") is not None:
        two_per_one = scale["scale_out"]["two_per_one"]
        rows.append(_target("launch, scale-out: 2 Celery workers / 1", "> 1 (scales)", two_per_one, two_per_one > 1))
    for backend, inbox in results.get("inbox", {}).get("backends", {}).items():
        for key in ("secretary_claimable", "org_admin_subtree"):
            q = inbox.get(key)
            if q:
                rows.append(_target(f"inbox {key} p95 ({backend}, {inbox['task_rows']:,} rows)", "≤ 30 ms",
                                    f"{q['p95_ms']} ms", q["p95_ms"] <= 30))
    if "scale-quota" in results:
        rows += [_target(*t) for t in scale_quota.targets(results["scale-quota"])]
    ours = {k: v for k, v in memory.items() if v.get("ours")}
    if ours:
        name, peak = max(((k, v["peak_total_mb"]) for k, v in ours.items()), key=lambda kv: kv[1])
        rows.append(_target("server peak RSS (master + workers)", f"≤ {RSS_LIMIT_MB} MB", f"{peak} MB ({name})",
                            peak <= RSS_LIMIT_MB))
    naive = results.get("naive", {}).get("sizes", {})
    for n, row in naive.items():
        r = row.get("naive_per_ours_p50")
        if int(n) == 5000 or smoke:
            rows.append(_target(f"naive / ours at {int(n):,} members (p50)", "≥ 20", r, r is not None and r >= 20))
    return rows


def attach_ratios(results: dict[str, Any]) -> None:
    """naive/ours per naive size, against ours at the same size (or the nearest larger one)."""
    naive = results.get("naive", {}).get("sizes", {})
    complete = results.get("complete", {}).get("by_backend", {}).get("sqlite", {})
    for n, row in naive.items():
        sizes = sorted(int(k) for k in complete)
        match = next((s for s in sizes if s >= int(n)), sizes[-1] if sizes else None)
        if match is None:
            continue
        ours = complete[str(match)]
        row["ours_members"] = match
        row["ours_p50_ms"], row["ours_p95_ms"] = ours["p50_ms"], ours["p95_ms"]
        row["naive_per_ours_p50"] = ratio(row["p50_ms"], ours["p50_ms"], 1)
        row["naive_per_ours_p95"] = ratio(row["p95_ms"], ours["p95_ms"], 1)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _run_line(result: dict[str, Any]) -> list[str]:
    run = result.get("run")
    if not run:
        return []
    return [f"Run {run['finished']}, {run['seconds']} s, load average {run['load_average_before']} → "
            f"{run['load_average_after']}.", ""]


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return lines + [""]


def markdown(doc: dict[str, Any]) -> str:
    meta, res = doc["meta"], doc["results"]
    out = [f"# Benchmark results ({'smoke' if meta['smoke'] else 'full'} run)", ""]
    out.append(f"{meta['finished']} · commit `{meta['commit']}`{' + local changes' if meta['dirty'] else ''} · "
               f"{meta['cpus']} CPUs · Python {meta['python']} · {meta['duration_s']} s · load average "
               f"{meta.get('load_average_before')} before, {meta.get('load_average_after')} after · "
               f"`python -m bench {' '.join(meta['argv'])}`".rstrip())
    out.append("")
    out.append("## Targets")
    out.append("")
    met = {True: "met", False: "**missed**", None: "not measured"}
    out += _table(["target", "goal", "measured", "", "note"],
                  [[t["target"], t["goal"], t["measured"], met[t["met"]], t["note"]] for t in doc["targets"]])
    if "complete" in res:
        c = res["complete"]
        out += ["## complete: one task completed while every member has one open", "", f"Variant: {c['variant']}.", ""]
        out += _run_line(c)
        for backend, sizes in c["by_backend"].items():
            out += _table([f"members ({backend}, embedded)", "branches", "open tasks", "p50 ms", "p95 ms", "max ms",
                           "n", "set-up s"],
                          [[int(n), s["branches"], s["open_tasks"], s["p50_ms"], s["p95_ms"], s["max_ms"], s["n"],
                            s.get("setup_s")] for n, s in sizes.items()])
    if "naive" in res:
        nv = res["naive"]
        out += ["## naive: the campaign as one SpiffWorkflow instance in one blob", "",
                f"Diagram `{nv['bpmn']}`, one instance over all members, {nv['backend']}, same server stack.", ""]
        out += _run_line(nv)
        out += _table(["members", "blob MB", "naive p50 ms", "naive p95 ms", "ours p50 ms", "naive/ours p50",
                       "naive/ours p95", "n"],
                      [[int(n), s["blob_mb"], s["p50_ms"], s["p95_ms"], s.get("ours_p50_ms"),
                        s.get("naive_per_ours_p50"), s.get("naive_per_ours_p95"), s["n"]]
                       for n, s in nv["sizes"].items()])
    if "throughput" in res:
        t = res["throughput"]
        out += [f"## throughput: {t['clients']} clients, {t['seconds']:g} s (floor and light: "
                f"{t.get('floor_seconds', 0):g} s)", "", f"ours: {t['variant']}; light: {t.get('light_variant')}.", ""]
        out += _run_line(t)
        rows = []
        for k, m in t["modes"].items():
            light = m.get("light") or {}
            rows.append([k, m["workers"], m["ours"]["per_s"], m["ours"]["latency"]["p95_ms"],
                         m["ours"]["errors"] + m["ours"]["conflicts"], light.get("per_s"),
                         m["floor"]["per_s"], m["floor"]["latency"]["p95_ms"], m["ours_per_floor"],
                         m.get("light_per_floor")])
        out += _table(["mode", "workers", "ours /s", "ours p95 ms", "errors", "light /s", "floor /s",
                       "floor p95 ms", "ours/floor", "light/floor"], rows)
    if "launch" in res:
        la = res["launch"]
        out += ["## launch", "", f"Variant: {la['variant']}.", ""]
        out += _run_line(la)
        out += _table(["members", "branches", "launch s", "tasks created", "first task s", "half s", "all s",
                       "tasks/s"],
                      [[la.get("members"), la.get("branches"), la.get("seconds"), la.get("tasks_created"),
                        la.get("first_task_s"), la.get("half_tasks_s"), la.get("all_tasks_s"),
                        la.get("tasks_per_s")]])
        mob = la.get("mobilise")
        if mob:
            out += ["Then every secretary mobilises his branch and the pledge tasks appear:", ""]
            out += _table(["branches", "seconds", "tasks created", "half s", "all s", "tasks/s"],
                          [[mob["branches"], mob["seconds"], mob["tasks_created"], mob["half_tasks_s"],
                            mob["all_tasks_s"], mob["tasks_per_s"]]])
    if "inbox" in res:
        rows = []
        for backend, b in res["inbox"]["backends"].items():
            for key in ("secretary_claimable", "org_admin_subtree", "member_mine"):
                if key in b:
                    q = b[key]
                    rows.append([backend, b["task_rows"], b["open_rows"], f"{key} `{q['path']}`", q["total"],
                                 q["p50_ms"], q["p95_ms"]])
        out += ["## inbox", ""] + _run_line(res["inbox"])
        out += _table(["backend", "task rows", "open", "query", "total", "p50 ms", "p95 ms"], rows)
    if "org" in res:
        imports = res["org"]["imports"].values()
        out += ["## org: roster import and a secretary change (issue 15)", ""] + _run_line(res["org"])
        out += _table(["backend", "rows", "file MB", "dry run s", "import s", "rows/s", "again s", "server peak MB"],
                      [[i["backend"], i["rows"], i["file_mb"], i["dry_run_s"], i["import_s"], i["import_rows_per_s"],
                        i["reimport_s"], i.get("server_peak_mb")] for i in imports])
        out += _table(["backend", "claimed tasks returned per change", "changes", "p50 ms", "p95 ms"],
                      [[b, s["returned_per_change"][0], s["n"], s["p50_ms"], s["p95_ms"]]
                       for b, s in res["org"]["secretary_change"].items()])
    if "activities" in res:
        rows = []
        for backend, b in res["activities"]["backends"].items():
            for key in ("branch_year", "branch_month", "district_year", "district_quarter"):
                if key in b:
                    q = b[key]
                    before, after = q.get("no_records") or {}, q.get("year_of_records") or {}
                    rows.append([backend, f"{key} `{q['path']}`", after.get("members"), before.get("p50_ms"),
                                 before.get("p95_ms"), b.get("records"), after.get("p50_ms"), after.get("p95_ms")])
        out += ["## activities: quota views and a photo's upload", ""] + _run_line(res["activities"])
        out += _table(["backend", "view", "members", "no records p50 ms", "p95 ms", "records",
                       "year of records p50 ms", "p95 ms"], rows)
        out += _table(["backend", "photo", "upload p50 ms", "upload p95 ms", "thumbnail p50 ms", "thumbnail p95 ms"],
                      [[backend, f"{b['upload']['pixels']}, {b['upload']['photo_bytes'] // 1024} KB",
                        b["upload"]["p50_ms"], b["upload"]["p95_ms"], b["thumbnail"]["p50_ms"],
                        b["thumbnail"]["p95_ms"]] for backend, b in res["activities"]["backends"].items()])
    if "scale-launch" in res:
        sl = res["scale-launch"]
        out += ["## scale-launch: branch runs created per second by a campaign launch", "",
                f"Variant: {sl['variant']}.", ""] + _run_line(sl)
        rows = [["embedded SQLite (thread)", int(n), "", r["median_per_s"], r["best_per_s"],
                 r.get("median_cpu_ms_per_branch"),
                 ", ".join(f"{x['per_s']} (load {x['load_before']})" for x in r["runs"])]
                for n, r in sl["embedded"].items()]
        scale_out = sl.get("scale_out") or {}
        rows += [["scale-out PostgreSQL (Celery)", scale_out["branches"], int(w), r["median_per_s"], r["best_per_s"],
                  r.get("median_cpu_ms_per_branch"),
                  ", ".join(f"{x['per_s']} (load {x['load_before']})" for x in r["runs"])]
                 for w, r in scale_out.get("workers", {}).items()]
        out += _table(["mode", "branches", "workers", "median /s", "best /s", "CPU ms / branch (median)",
                       "rounds /s (load average before)"], rows)
        if scale_out.get("two_per_one") is not None:
            out += [f"2 workers / 1 worker (medians): {scale_out['two_per_one']}", ""]
    if "scale-quota" in res:
        out += scale_quota.markdown(res["scale-quota"])
    if "scale-rollup" in res:
        rows = []
        for members, r in res["scale-rollup"]["sizes"].items():
            for key in ("rollup_district", "rollup_committee", "rollup_branch"):
                q = r[key]
                rows.append([members, r["branches"], f"{key} `{q['unit']}`", q["rows"], q["p50_ms"], q["p95_ms"]])
            rows.append([members, r["branches"], "board of the district", "", r["board_district"]["p50_ms"],
                         r["board_district"]["p95_ms"]])
            rows.append([members, r["branches"], "xlsx of the district (s, slowest)", "",
                         "", r["xlsx_district"]["max_s"]])
        out += ["## scale-rollup: the stage roll-up from counters (issue 20)", ""] + _run_line(res["scale-rollup"])
        out += _table(["members", "branches", "request", "rows", "p50 ms", "p95 ms"], rows)
    if doc.get("memory"):
        out += ["## memory: peak RSS per server (gunicorn master + workers, sampled every 0.2 s)", ""]
        out += _table(["server", "ours", "mode", "peak RSS total MB", "peak PSS total MB", "largest process MB"],
                      [[k, v.get("ours"), v.get("mode"), v.get("peak_total_mb"), v.get("peak_total_pss_mb"),
                        v.get("peak_process_hwm_mb")] for k, v in doc["memory"].items()])
    if doc.get("notes"):
        out += ["## notes", ""] + [f"- {n}" for n in doc["notes"]] + [""]
    return "\n".join(out)


def write(doc: dict[str, Any], out_dir: Path, name: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{name}.json", out_dir / f"{name}.md"
    json_path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown(doc), encoding="utf-8")
    return json_path, md_path
