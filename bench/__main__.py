"""``python -m bench [--smoke] [--scenarios a,b] [--sizes ...]``: run the benchmarks, write results.

Results go to ``bench/results/<name>.json`` and ``.md`` (``latest`` for a
full run, ``smoke`` for ``--smoke``; ``--out`` and ``--name`` change that).
See docs/benchmarks.md for what each scenario measures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import activities, orgchanges, report, scale_inbox, scale_launch, scale_quota, scale_rollup, scenarios
from bench import db as bdb
from bench.harness import SCENARIOS, Bench, Options
from bench.server import ROOT

RUNNERS = {
    "complete": scenarios.complete,
    "naive": scenarios.naive_baseline,
    "throughput": scenarios.throughput,
    "launch": scenarios.launch,
    "inbox": scenarios.inbox,
    "org": orgchanges.org,
    "activities": activities.activities,
    "scale-launch": scale_launch.scale_launch,
    "scale-quota": scale_quota.scale_quota,
    "scale-inbox": scale_inbox.scale_inbox,
    "scale-rollup": scale_rollup.scale_rollup,
}


def scale(bench: Bench) -> None:
    """Every registered ``scale-*`` scenario, one after the other (each writes its own results)."""
    for name in [n for n in RUNNERS if n.startswith("scale-")]:
        bench.log(f"- {name} (scale)")
        bench.scenario = name
        RUNNERS[name](bench)


RUNNERS["scale"] = scale


def _ints(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]


def parse(argv: list[str]) -> Options:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds each (the test suite runs this)")
    p.add_argument("--scenarios", default=None, help=f"comma-separated, of {', '.join(SCENARIOS)}")
    p.add_argument("--sizes", type=_ints, help="campaign sizes (members) for 'complete'")
    p.add_argument("--naive-sizes", type=_ints, help="campaign sizes for the naive baseline")
    p.add_argument("--org-sizes", type=_ints, help="roster rows imported by 'org' (default 10000,100000)")
    p.add_argument("--duration", type=float, help="seconds of each throughput run (floor: a third of it)")
    p.add_argument("--inbox-rows", help="backend=rows,…, e.g. postgresql=1000000,sqlite=200000")
    p.add_argument("--scale-inbox", help="rows,open,members of 'scale-inbox' (default 10000000,100000,100000)")
    p.add_argument("--rollup-sizes", type=_ints, help="members for 'scale-rollup' (default 100000,1000000)")
    p.add_argument("--rollup-api-max", type=int, help="'scale-rollup' sizes up to this launch through the API "
                                                       "(default 100000); larger ones get SQL-written branch runs")
    p.add_argument("--backends", help="backends for 'complete' (sqlite,postgresql)")
    p.add_argument("--launch-branches", type=_ints, help="district sizes (branches) for 'scale-launch' (400,2000)")
    p.add_argument("--launch-workers", type=_ints, help="Celery workers for 'scale-launch' in scale-out (1,2)")
    p.add_argument("--launch-rounds", type=int, help="launches per size and per worker count in 'scale-launch' (3)")
    p.add_argument("--no-postgres", action="store_true", help="skip everything that needs PostgreSQL")
    p.add_argument("--out", type=Path, help="folder for the results (default bench/results)")
    p.add_argument("--name", help="file name of the results without extension")
    p.add_argument("--merge", action="store_true",
                   help="keep the other scenarios' results already in the output file (re-run a few)")
    p.add_argument("--keep", action="store_true", help="keep the databases and server logs (printed at the end)")
    p.add_argument("--wait-quiet", type=float, default=None, metavar="SECONDS",
                   help="first wait up to SECONDS for the machine's load average to fall below 1 "
                        "(default: 180 for a full run, 0 for --smoke)")
    a = p.parse_args(argv)
    o = Options.smoke_options() if a.smoke else Options()
    # Without --scenarios: every scenario; the scale-* ones (long) only with --smoke, else by name or 'scale'.
    default = ",".join(s for s in SCENARIOS if s != "scale" and (a.smoke or not s.startswith("scale-")))
    o.scenarios = [s.strip() for s in (a.scenarios or default).split(",") if s.strip()]
    if "scale" in o.scenarios:  # the scale-* ones once, even if also named
        o.scenarios = [s for s in o.scenarios if not s.startswith("scale-")]
    unknown = set(o.scenarios) - set(SCENARIOS)
    if unknown:
        p.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if a.sizes:
        o.sizes = a.sizes
    if a.naive_sizes:
        o.naive_sizes = a.naive_sizes
    if a.org_sizes:
        o.org_sizes = a.org_sizes
    if a.duration:
        o.duration, o.floor_duration = a.duration, max(1.0, a.duration / 3)
    if a.inbox_rows:
        o.inbox_rows = {k: int(v.replace("_", "")) for k, v in (x.split("=") for x in a.inbox_rows.split(","))}
    if a.scale_inbox:
        o.scale_inbox_rows, o.scale_inbox_open, o.scale_inbox_members = _ints(a.scale_inbox)
    if a.rollup_sizes:
        o.rollup_sizes = a.rollup_sizes
    if a.rollup_api_max is not None:
        o.rollup_api_launch_max = a.rollup_api_max
    if a.backends:
        o.complete_backends = a.backends.split(",")
    if a.launch_branches:
        o.scale_launch_branches = a.launch_branches
    if a.launch_workers:
        o.scale_launch_workers = a.launch_workers
    if a.launch_rounds:
        o.scale_launch_rounds = a.launch_rounds
    o.out = a.out or ROOT / "bench" / "results"
    o.name = a.name or o.name
    o.keep = a.keep
    o.merge = a.merge
    o.wait_quiet = a.wait_quiet if a.wait_quiet is not None else (0.0 if a.smoke else 180.0)
    o.pg = not a.no_postgres and bdb.pg_available()
    return o


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _load() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0


def wait_quiet(seconds: float) -> float:
    """Wait until the 1-minute load average is below 1 (other work on a 2-core machine skews every figure)."""
    deadline = time.monotonic() + seconds
    while _load() >= 1.0 and time.monotonic() < deadline:
        time.sleep(5)
    return _load()


def _merge_previous(bench: Bench, path: Path) -> None:
    """Take the results of the scenarios not run now from an earlier results file."""
    if not path.exists():
        return
    old = json.loads(path.read_text(encoding="utf-8"))
    ran = set(bench.options.scenarios)
    for name, result in old.get("results", {}).items():
        if name not in ran and name != "errors" and name not in bench.results:
            bench.results[name] = result
    for server, memory in old.get("memory", {}).items():
        if memory.get("scenario") not in ran and server not in bench.memory:
            bench.memory[server] = memory
    for note in old.get("notes", []):
        if note not in bench.notes and not any(note.startswith(f"scenario {n} ") for n in ran):
            bench.notes.append(note)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="vanguard-bench-"))
    options.workdir = workdir
    bench = Bench(options, log=lambda line: print(line, flush=True))
    if not options.pg:
        bench.notes.append("PostgreSQL was not reachable: its scenarios were skipped")
    if options.wait_quiet > 0 and _load() >= 1.0:
        print(f"bench: load average {_load()}, waiting up to {options.wait_quiet:.0f} s for a quieter machine",
              flush=True)
    load_before = wait_quiet(options.wait_quiet) if options.wait_quiet > 0 else _load()
    started, started_at = time.perf_counter(), datetime.now(UTC)
    print(f"bench: {', '.join(options.scenarios)} ({'smoke' if options.smoke else 'full'}), "
          f"PostgreSQL {'yes' if options.pg else 'no'}, work in {workdir}", flush=True)
    failed: list[str] = []
    for name in options.scenarios:
        print(f"- {name}", flush=True)
        t0, load0 = time.perf_counter(), _load()
        bench.scenario = name
        try:
            RUNNERS[name](bench)
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not hide the others
            failed.append(name)
            traceback.print_exc()
            bench.results.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
            bench.notes.append(f"scenario {name} failed: {type(exc).__name__}: {str(exc)[:300]}")
        if isinstance(bench.results.get(name), dict):
            bench.results[name]["run"] = {
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "seconds": round(time.perf_counter() - t0, 1),
                "load_average_before": load0,
                "load_average_after": _load(),
            }
        print(f"  {name} took {time.perf_counter() - t0:.1f} s", flush=True)
    if options.merge:
        _merge_previous(bench, options.out / f"{options.name}.json")
    report.attach_ratios(bench.results)
    doc: dict[str, Any] = {
        "meta": {
            "started": started_at.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - started, 1),
            "smoke": options.smoke,
            "argv": argv,
            "scenarios": [n for n in RUNNERS if n in bench.results],
            "commit": _git("rev-parse", "--short", "HEAD"),
            "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "postgresql": options.pg,
            "load_average_before": load_before,
            "load_average_after": _load(),
        },
        "results": bench.results,
        "memory": bench.memory,
        "targets": report.targets(bench.results, bench.memory, options.smoke),
        "notes": bench.notes,
    }
    json_path, md_path = report.write(doc, options.out, options.name)
    print(f"bench: wrote {json_path} and {md_path} in {doc['meta']['duration_s']} s", flush=True)
    if options.keep:
        print(f"bench: databases and logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
