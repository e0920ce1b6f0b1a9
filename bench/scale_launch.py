"""``scale-launch``: how many branch runs a campaign launch creates per second (issue 20, launch).

``POST /api/campaigns`` at the district until its launch is done, timed from the client, on a
district of ``branches`` branches of 50 members (``bench.org``):

* **embedded** (SQLite, ``python -m server serve``: what ``make run`` does): the launch runs in a
  thread of the web process; sizes ``scale_launch_branches`` (400 and 2,000);
Besides the rate, each launch records the CPU that the processes doing it spent per branch
(user + system time from ``/proc`` of the web server's processes, and of the Celery workers in
scale-out mode; PostgreSQL's own processes are not counted): on a machine shared with other
work the rate follows the load average, the CPU per branch far less.

* **scale-out** (PostgreSQL, gunicorn with ``VANGUARD_SCHEDULER=off VANGUARD_LAUNCHES=celery``,
  as ``make scale-out``): the web process hands each launch to Celery workers
  (``server.worker``, one process each, ``--concurrency 1``, a queue of their own on the
  broker); 1 and 2 workers are measured side by side, alternating (1, 2, 1, 2, …) on the
  same database, at the largest size.

Every round launches a new campaign on the same district (each adds as many branch runs as
the district has branches), so later rounds run on fuller tables; the median is reported with
every round's figure. The machine's load average is recorded before and after each launch.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import text

from bench import campaign
from bench.harness import Bench, Env
from bench.server import PYTHON, ROOT, _children, server_env

PER_BRANCH = 50


def _load() -> float:
    return round(os.getloadavg()[0], 2)


TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(roots: list[int]) -> float:
    """User + system CPU of these processes and their children (from /proc), in seconds."""
    total, seen, todo = 0, set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
        todo.extend(_children(pid))
    return total / TICK


def _launch(env: Env, processes: list[int]) -> dict[str, Any]:
    """One launch; the CPU its processes (the server's, or the Celery workers') spent on it, too:
    on a machine shared with other work the rate follows the load, the CPU per branch much less."""
    admin = env.client(env.org.admin)
    load = _load()
    cpu = _cpu_seconds(processes)
    done = campaign.launch(env, admin, poll=0.02)
    cpu = _cpu_seconds(processes) - cpu
    admin.close()
    created = done["launch"]["created"]
    return {"branches": created, "seconds": done["done_s"], "accepted_s": done["accepted_s"],
            "batches": done["launch"]["batches"], "per_s": round(created / done["done_s"], 1),
            "cpu_ms_per_branch": round(1000 * cpu / created, 2) if created else None,
            "load_before": load, "load_after": _load()}


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    cpu = [r["cpu_ms_per_branch"] for r in runs if r["cpu_ms_per_branch"]]
    return {"median_per_s": round(statistics.median(r["per_s"] for r in runs), 1),
            "best_per_s": max(r["per_s"] for r in runs),
            "median_cpu_ms_per_branch": round(statistics.median(cpu), 2) if cpu else None, "runs": runs}


class Workers:
    """``count`` Celery worker processes (``server.worker``) on a queue of their own."""

    def __init__(self, env: Env, count: int, queue: str, broker: str):
        self.env, self.count, self.queue, self.broker = env, count, queue, broker
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def __enter__(self) -> Workers:
        celery = str(Path(PYTHON).with_name("celery"))
        environment = server_env(self.env.url, self.env.server.workdir / "instance", VANGUARD_SCHEDULER="off",
                                 VANGUARD_BROKER_URL=self.broker, VANGUARD_CELERY_QUEUE=self.queue)
        for i in range(self.count):
            log_path = self.env.server.workdir / f"celery-{self.queue}-{i}.log"
            with log_path.open("wb") as log:
                self.procs.append(subprocess.Popen(
                    [celery, "-A", "server.worker", "worker", "--concurrency", "1", "-n", f"w{i}-{self.queue}@%h",
                     "-Q", self.queue, "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
                    cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            self.logs.append(log_path)
        deadline = time.monotonic() + 90
        while not all(b"ready" in path.read_bytes() for path in self.logs):
            if any(p.poll() is not None for p in self.procs) or time.monotonic() > deadline:
                self.__exit__()
                tail = self.logs[0].read_text(errors="replace")[-2000:]
                raise RuntimeError(f"a celery worker did not start:\n{tail}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.procs = []


def _redis(url: str) -> bool:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


def _branch_runs(env: Env) -> int:
    with env.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM campaign_branch")).scalar_one())


def scale_launch(bench: Bench) -> None:
    o = bench.options
    out: dict[str, Any] = {"variant": "POST /api/campaigns at the district until its launch is done, "
                                      f"{PER_BRANCH} members per branch; branches/s from the client",
                           "embedded": {}, "scale_out": {}}
    for branches in o.scale_launch_branches:
        name = f"scale-launch-sqlite-{branches}"
        with bench.server(name, "sqlite", branches * PER_BRANCH, workflows=campaign.FILES) as env:
            env.server.phase("launch")
            assert env.server.proc is not None
            runs = [_launch(env, [env.server.proc.pid]) for _ in range(o.scale_launch_rounds)]
            assert _branch_runs(env) == branches * len(runs)
        out["embedded"][str(branches)] = _summary(runs)
        bench.log(f"    embedded SQLite, {branches} branches: {out['embedded'][str(branches)]['median_per_s']}/s "
                  f"(rounds: {[r['per_s'] for r in runs]})")
    broker = os.environ.get("VANGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    if not o.pg or not _redis(broker):
        bench.notes.append("scale-launch: scale-out skipped (PostgreSQL or Redis not reachable)")
        bench.results["scale-launch"] = out
        return
    branches = max(o.scale_launch_branches)
    queue = f"bench-launch-{uuid.uuid4().hex[:8]}"
    extra = {"VANGUARD_LAUNCHES": "celery", "VANGUARD_BROKER_URL": broker, "VANGUARD_CELERY_QUEUE": queue}
    with bench.server(f"scale-launch-pg-{branches}", "postgresql", branches * PER_BRANCH, mode="scale-out",
                      workflows=campaign.FILES, env=extra) as env:
        runs: dict[int, list[dict[str, Any]]] = {n: [] for n in o.scale_launch_workers}
        for _ in range(o.scale_launch_rounds):
            for count in o.scale_launch_workers:
                with Workers(env, count, queue, broker) as workers:
                    assert env.server.proc is not None
                    runs[count].append(_launch(env, [env.server.proc.pid, *(p.pid for p in workers.procs)]))
                bench.log(f"    scale-out PostgreSQL, {count} worker(s), {branches} branches: "
                          f"{runs[count][-1]['per_s']}/s")
    out["scale_out"] = {"branches": branches, "workers": {str(n): _summary(r) for n, r in runs.items()}}
    medians = {n: out["scale_out"]["workers"][str(n)]["median_per_s"] for n in runs}
    if 1 in medians and 2 in medians:
        out["scale_out"]["two_per_one"] = round(medians[2] / medians[1], 2)
    bench.results["scale-launch"] = out
