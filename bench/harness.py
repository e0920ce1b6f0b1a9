"""What every scenario needs: options, a prepared server per scenario, clients, memory records."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bench import db as bdb
from bench.client import Client
from bench.clone import Cloned, Target, clone_instance
from bench.floor import ensure_tables
from bench.org import BENCH_PASSWORD, Org, generate
from bench.server import Server, upgrade
from bench.stats import summary_ms

SCENARIOS = ("complete", "naive", "throughput", "launch", "inbox", "org", "activities",
             "scale-inbox", "scale-launch", "scale-quota", "scale-rollup", "scale")
"""``scale`` runs every registered ``scale-*`` scenario (issue 20: province sizes, long); a full run
without ``--scenarios`` leaves them out, ``--smoke`` runs them at tiny sizes."""


@dataclass
class Options:
    smoke: bool = False
    scenarios: list[str] = field(default_factory=lambda: [s for s in SCENARIOS if s != "scale"])
    sizes: list[int] = field(default_factory=lambda: [100, 1000, 5000, 10000])
    naive_sizes: list[int] = field(default_factory=lambda: [1000, 5000])
    complete_backends: list[str] = field(default_factory=lambda: ["sqlite"])
    samples: int = 200
    warmup: int = 10
    naive_samples: dict[int, int] = field(default_factory=lambda: {1000: 20, 5000: 6})
    clients: int = 8
    duration: float = 60.0
    floor_duration: float = 20.0
    tasks_per_client: int = 1500
    pledges_per_client: int = 1300  # 8 clients: 10,400 pledges, more than 60 s at ~170/s
    throughput_modes: list[tuple[str, str]] = field(
        default_factory=lambda: [("embedded", "sqlite"), ("scale-out", "postgresql")])
    launch_members: int = 10000
    inbox_rows: dict[str, int] = field(default_factory=lambda: {"postgresql": 1_000_000, "sqlite": 200_000})
    inbox_members: int = 10000
    inbox_samples: int = 200
    scale_inbox_rows: int = 10_000_000
    scale_inbox_open: int = 100_000
    scale_inbox_members: int = 100_000
    scale_inbox_samples: int = 100
    scale_inbox_depths: list[int] = field(default_factory=lambda: [5_000, 50_000])
    org_sizes: list[int] = field(default_factory=lambda: [10_000, 100_000])
    org_backends: list[str] = field(default_factory=lambda: ["sqlite", "postgresql"])
    org_members: int = 1000
    org_open_tasks: int = 50
    org_rounds: int = 5
    activity_members: int = 10000
    activity_samples: int = 50
    activity_district_samples: int = 12
    activity_uploads: int = 10
    quota_sizes: dict[str, int] = field(default_factory=lambda: {"postgresql": 100_000, "sqlite": 20_000})
    quota_samples: int = 30
    quota_old_samples: int = 2
    quota_confirmations: int = 100
    rollup_sizes: list[int] = field(default_factory=lambda: [100_000, 1_000_000])
    rollup_api_launch_max: int = 100_000
    """Sizes up to this launch through the API; larger ones write their branch runs with SQL."""
    rollup_samples: int = 60
    rollup_xlsx_samples: int = 3
    workers: int = 2
    scale_launch_branches: list[int] = field(default_factory=lambda: [400, 2000])
    scale_launch_rounds: int = 3
    scale_launch_workers: list[int] = field(default_factory=lambda: [1, 2])
    rounds: int = 6
    out: Path = Path("bench/results")
    name: str = "latest"
    workdir: Path = Path("/tmp")
    keep: bool = False
    merge: bool = False
    pg: bool = False
    wait_quiet: float = 0.0

    @classmethod
    def smoke_options(cls) -> Options:
        return cls(
            smoke=True,
            sizes=[50, 100],
            naive_sizes=[50],
            samples=10,
            warmup=2,
            naive_samples={50: 3},
            clients=4,
            duration=2.0,
            floor_duration=1.0,
            tasks_per_client=100,
            pledges_per_client=50,
            launch_members=100,
            inbox_rows={"postgresql": 5_000, "sqlite": 2_000},
            inbox_members=200,
            inbox_samples=10,
            scale_inbox_rows=20_000,
            scale_inbox_open=2_000,
            scale_inbox_members=1_000,
            scale_inbox_samples=3,
            scale_inbox_depths=[500, 1_500],
            org_sizes=[200],
            org_backends=["sqlite"],
            org_members=200,
            org_open_tasks=10,
            org_rounds=1,
            activity_members=100,
            activity_samples=3,
            activity_district_samples=2,
            activity_uploads=2,
            scale_launch_branches=[10],
            scale_launch_rounds=1,
            quota_sizes={"sqlite": 200},
            quota_samples=3,
            quota_old_samples=1,
            quota_confirmations=3,
            rollup_sizes=[200],
            rollup_api_launch_max=100,
            rollup_samples=3,
            rollup_xlsx_samples=1,
            rounds=2,
            name="smoke",
        )


@dataclass
class Env:
    """A running server on a fresh database holding a generated organisation."""

    name: str
    backend: str
    url: str
    engine: Engine
    org: Org
    server: Server

    def client(self, username: str | None = None) -> Client:
        c = Client(self.server.base)
        if username:
            c.login(username, BENCH_PASSWORD)
        return c

    def clients(self, usernames: Sequence[str]) -> list[Client]:
        return [self.client(u) for u in usernames]

    def target(self, username: str) -> Target:
        branch = self.org.branch_of(username)
        return Target(username, self.org.person_ids[username], branch.id, branch.code, branch.name)


class Bench:
    def __init__(self, options: Options, log: Callable[[str], None] = print):
        self.options = options
        self.log = log
        self.results: dict[str, Any] = {}
        self.memory: dict[str, dict[str, Any]] = {}
        self.notes: list[str] = []
        self.scenario = ""

    def backends(self, wanted: Sequence[str]) -> list[str]:
        return [b for b in wanted if b == "sqlite" or (b == "postgresql" and self.options.pg)]

    @contextmanager
    def server(self, name: str, backend: str, members: int, *, mode: str = "embedded", ours: bool = True,
               workflows: Sequence[str] = ("activity_report.bpmn",),
               env: dict[str, str] | None = None) -> Iterator[Env]:
        workdir = self.options.workdir / name
        workdir.mkdir(parents=True, exist_ok=True)
        url = bdb.fresh_database(backend, name, workdir)
        engine: Engine | None = None
        server: Server | None = None
        try:
            started = time.perf_counter()
            upgrade(url, workdir / "instance")
            engine = bdb.engine_for(url)
            org = generate(engine, members)
            ensure_tables(engine)
            server = Server(url, workdir, mode=mode, workers=self.options.workers, name=name, workflows=workflows,
                            env=env)
            server.start()
            self.log(f"  [{name}] {backend} {mode}, {org.member_count} members in {len(org.branches)} branches, "
                     f"ready in {time.perf_counter() - started:.1f} s")
            yield Env(name, backend, url, engine, org, server)
        finally:
            if server is not None:
                summary = server.stop()
                summary.update(ours=ours, backend=backend, mode=mode, scenario=self.scenario)
                self.memory[name] = summary
            if engine is not None:
                engine.dispose()
            if not self.options.keep:
                bdb.drop_database(url)


# -- open tasks in bulk ----------------------------------------------------------------------

REPORT = {"activity": "社区义务劳动", "activity_date": "2026-09-20", "hours": 3}


def open_reports(env: Env, usernames: Sequence[str]) -> list[Cloned]:
    """One open ``activity_report`` WriteReport task per entry of ``usernames`` (repeats allowed).

    The first is started through the API; the others are copies of it (``bench.clone``).
    """
    first = usernames[0]
    client = env.client(first)
    started = client.ok("POST", "/api/process-instances",
                        {"process_key": "activity_report", "org_unit": env.org.branch_of(first).code})
    open_ids = [t["id"] for t in started["open_tasks"]]
    client.close()
    clones = clone_instance(env.engine, started["id"], env.target(first), [env.target(u) for u in usernames[1:]])
    return [Cloned(first, started["id"], open_ids), *clones]


# -- concurrent clients ----------------------------------------------------------------------


Step = Callable[[int, Client], "tuple[bool, bool] | None"]


def run_clients(clients: Sequence[Client], seconds: float, step: Step,
                sink: list[float] | None = None) -> dict[str, Any]:
    """Each client calls ``step`` in a loop until ``seconds`` pass or its step returns None.

    ``step`` returns ``(ok, conflict)`` per request. Returns counts, rate and
    latency; every request's duration is also appended to ``sink``.
    """
    barrier = threading.Barrier(len(clients) + 1)
    latencies: list[list[float]] = [[] for _ in clients]
    counts = [[0, 0, 0] for _ in clients]  # ok, conflict, error
    exhausted = [False for _ in clients]
    deadline = [0.0]

    def loop(i: int, client: Client) -> None:
        barrier.wait()
        while time.perf_counter() < deadline[0]:
            t0 = time.perf_counter()
            try:
                outcome = step(i, client)
            except Exception:  # noqa: BLE001 - counted, the run goes on
                counts[i][2] += 1
                continue
            if outcome is None:
                exhausted[i] = True
                return
            latencies[i].append(time.perf_counter() - t0)
            ok, conflict = outcome
            counts[i][0 if ok else 1 if conflict else 2] += 1

    threads = [threading.Thread(target=loop, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + seconds
    start = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - start
    ok = sum(c[0] for c in counts)
    if sink is not None:
        sink.extend(x for lat in latencies for x in lat)
    return {
        "clients": len(clients),
        "seconds": round(elapsed, 2),
        "ok": ok,
        "conflicts": sum(c[1] for c in counts),
        "errors": sum(c[2] for c in counts),
        "per_s": round(ok / elapsed, 1) if elapsed else None,
        "exhausted_clients": sum(exhausted),
        "latency": summary_ms([x for lat in latencies for x in lat]),
    }


def alternate(clients: Sequence[Client], plan: dict[str, tuple[float, Step]], rounds: int) -> dict[str, Any]:
    """Run each named load for its seconds, in ``rounds`` alternating slices (A B A B …).

    A machine that slows down for a while then slows every load alike, so their
    ratio holds. Returns one summary per name, as ``run_clients`` does.
    """
    totals: dict[str, dict[str, Any]] = {
        name: {"ok": 0, "conflicts": 0, "errors": 0, "seconds": 0.0, "exhausted_clients": 0, "lat": []}
        for name in plan
    }
    for _ in range(rounds):
        for name, (seconds, step) in plan.items():
            t = totals[name]
            if t["exhausted_clients"] >= len(clients):
                continue
            part = run_clients(clients, seconds / rounds, step, sink=t["lat"])
            for key in ("ok", "conflicts", "errors", "seconds"):
                t[key] += part[key]
            t["exhausted_clients"] = max(t["exhausted_clients"], part["exhausted_clients"])
    result = {}
    for name, t in totals.items():
        result[name] = {
            "clients": len(clients), "rounds": rounds, "seconds": round(t["seconds"], 2), "ok": t["ok"],
            "conflicts": t["conflicts"], "errors": t["errors"],
            "per_s": round(t["ok"] / t["seconds"], 1) if t["seconds"] else None,
            "exhausted_clients": t["exhausted_clients"], "latency": summary_ms(t["lat"]),
        }
    return result


def timed_calls(client: Client, method: str, path: str, samples: int, warmup: int,
                body: Any = None) -> tuple[dict[str, Any], Any]:
    """Latency summary of ``samples`` identical calls after ``warmup`` untimed ones; and the last body."""
    last: Any = None
    for _ in range(warmup):
        last = client.ok(method, path, body)
    durations = []
    for _ in range(samples):
        dt, status, last = client.timed(method, path, body)
        if status != 200:
            raise RuntimeError(f"{method} {path} -> {status}: {str(last)[:300]}")
        durations.append(dt)
    return summary_ms(durations), last
