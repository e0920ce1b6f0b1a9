"""The scenarios of issue 8, all through HTTP against a server started as users start it."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bench import campaign, naive
from bench import db as bdb
from bench.client import Client
from bench.harness import REPORT, Bench, Env, Step, alternate, open_reports, run_clients
from bench.org import BENCH_PASSWORD
from bench.stats import summary_ms

STAND_IN = "activity_report WriteReport (stand-in until the campaign API lands)"
PLEDGE = ("campaign pledge: DraftPledge of vanguard_campaign_branch, launched by POST /api/campaigns "
          "(one branch instance of 50 members per branch), every branch mobilised")
LIGHT = "activity_report WriteReport (a small process: one task per instance)"


def _spread(items: list[str], count: int, seed: int = 8) -> list[str]:
    """``count`` items spread evenly over the list, in a shuffled order."""
    if count >= len(items):
        chosen = list(items)
    else:
        step = len(items) / count
        chosen = [items[int(i * step)] for i in range(count)]
    random.Random(seed).shuffle(chosen)
    return chosen


def _workflows() -> tuple[str, ...]:
    return campaign.FILES if campaign.available() else ("activity_report.bpmn",)


def _open_work(bench: Bench, env: Env) -> tuple[dict[str, int], dict[str, Any], dict[str, Any]]:
    """One open task per member: (username → task id, the form that completes it, how it was set up)."""
    started = time.perf_counter()
    if campaign.available():
        admin = env.client(env.org.admin)
        launched = campaign.launch(env, admin)
        admin.close()
        mobilised = campaign.mobilise(env)
        tasks = campaign.open_pledges(env)
        setup = {"launch_s": launched["done_s"], "mobilise_s": mobilised["seconds"]}
        form = campaign.pledge_form()
    else:
        tasks = {c.username: c.task_ids[0] for c in open_reports(env, env.org.members())}
        setup, form = {}, REPORT
    setup["setup_s"] = round(time.perf_counter() - started, 1)
    return tasks, form, setup


# -- complete --------------------------------------------------------------------------------


def complete(bench: Bench) -> None:
    """p50/p95 of completing one pledge while every member of a campaign of N has one open.

    One server per campaign size, all running at once; the samples are taken in
    turns (one at each size, then the next), so that whatever else the machine
    does weighs on every size alike and the ratio between sizes stays fair.
    """
    o = bench.options
    out: dict[str, Any] = {"variant": PLEDGE if campaign.available() else STAND_IN, "by_backend": {},
                           "order": "interleaved: one sample per size in turn"}
    for backend in bench.backends(o.complete_backends):
        with ExitStack() as stack:
            plans: list[Any] = []
            for n in o.sizes:
                env = stack.enter_context(bench.server(f"complete-{backend}-{n}", backend, n, workflows=_workflows()))
                tasks, form, setup = _open_work(bench, env)
                chosen = _spread(sorted(tasks), o.samples + o.warmup)
                cookies = login_all(env, chosen)
                client = env.client()
                stack.callback(client.close)
                env.server.phase("complete")
                plans.append((n, env, tasks, form, setup, chosen, cookies, client, []))
            for k in range(max(len(p[5]) for p in plans)):
                for n, _env, tasks, form, _, chosen, cookies, client, durations in plans:
                    if k >= len(chosen):
                        continue
                    username = chosen[k]
                    client.cookies = cookies[username]
                    dt, status, body = client.timed("POST", f"/api/tasks/{tasks[username]}/complete", {"data": form})
                    if status != 200:
                        raise RuntimeError(f"complete as {username} at {n} -> {status}: {body}")
                    if k >= o.warmup:
                        durations.append(dt)
            sizes: dict[str, Any] = {}
            for n, env, tasks, _, setup, _, _, _, durations in plans:
                sizes[str(n)] = {"members": env.org.member_count, "branches": len(env.org.branches),
                                 "open_tasks": len(tasks), **setup, **summary_ms(durations)}
                bench.log(f"    {n} members: p50 {sizes[str(n)]['p50_ms']} ms, p95 {sizes[str(n)]['p95_ms']} ms")
        out["by_backend"][backend] = sizes
    bench.results["complete"] = out


# -- naive -----------------------------------------------------------------------------------


def naive_baseline(bench: Bench) -> None:
    """The same campaign as one SpiffWorkflow instance in one blob, completed through the same stack."""
    o = bench.options
    out: dict[str, Any] = {"bpmn": naive.bpmn_path().name, "backend": "sqlite", "sizes": {}}
    for n in o.naive_sizes:
        with bench.server(f"naive-{n}", "sqlite", n, ours=False) as env:
            members = env.org.members()
            started = time.perf_counter()
            blob, pledges = naive.build(members)
            build_s = time.perf_counter() - started
            with env.engine.begin() as conn:
                conn.execute(text("DELETE FROM bench_naive"))
                conn.execute(text("INSERT INTO bench_naive (id, blob, saves) VALUES (1, :blob, 0)"), {"blob": blob})
            by_member = dict((m, t) for t, m in pledges)
            samples = o.naive_samples.get(n, 5)
            chosen = _spread(members, samples + 1)
            client = env.client(env.org.admin)
            durations = []
            size = len(blob)
            for k, username in enumerate(chosen):
                dt, status, body = client.timed("POST", "/bench/naive/1/complete",
                                                {"task_id": by_member[username], "data": naive.PLEDGE})
                if status != 200:
                    raise RuntimeError(f"naive complete -> {status}: {body}")
                size = int(body["blob_bytes"])
                if k >= 1:
                    durations.append(dt)
            out["sizes"][str(n)] = {
                "members": n,
                "pledges_ready": len(pledges),
                "blob_mb": round(size / 1e6, 2),
                "build_s": round(build_s, 1),
                **summary_ms(durations),
            }
            bench.log(f"    naive {n}: p50 {out['sizes'][str(n)]['p50_ms']} ms, blob {size / 1e6:.1f} MB")
    bench.results["naive"] = out


# -- throughput ------------------------------------------------------------------------------


def throughput(bench: Bench) -> None:
    """Completions per second with concurrent clients, against the floor's requests per second."""
    o = bench.options
    out: dict[str, Any] = {"variant": PLEDGE if campaign.available() else STAND_IN, "light_variant": LIGHT,
                           "clients": o.clients, "seconds": o.duration, "floor_seconds": o.floor_duration,
                           "modes": {}}
    for mode, backend in o.throughput_modes:
        if backend not in bench.backends([backend]):
            bench.notes.append(f"throughput {mode}/{backend} skipped: PostgreSQL not reachable")
            continue
        out["modes"][f"{mode}-{backend}"] = _throughput_mode(bench, mode, backend)
    bench.results["throughput"] = out


def login_all(env: Env, usernames: list[str], threads: int = 4) -> dict[str, dict[str, str]]:
    """username → session cookies, logged in through the API by a few clients (not timed)."""
    cookies: dict[str, dict[str, str]] = {}
    work = list(usernames)
    lock = threading.Lock()

    def run() -> None:
        client = env.client()
        while True:
            with lock:
                if not work:
                    break
                username = work.pop()
            client.cookies = {}
            client.login(username, BENCH_PASSWORD)
            cookies[username] = dict(client.cookies)
        client.close()

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return cookies


def _throughput_mode(bench: Bench, mode: str, backend: str) -> dict[str, Any]:
    o = bench.options
    key = f"{mode}-{backend}"
    real = campaign.available()
    branches_per_client = max(1, -(-o.pledges_per_client // 50)) if real else 1
    members = o.clients * branches_per_client * 50
    result: dict[str, Any] = {"mode": mode, "backend": backend, "workers": 1 if mode == "embedded" else o.workers}
    with bench.server(f"throughput-{key}", backend, members, mode=mode, workflows=_workflows()) as env:
        clients = [env.client() for _ in range(o.clients)]
        plan: dict[str, tuple[float, Step]] = {}
        if real:
            plan["ours"] = (o.duration, _pledge_load(bench, env, clients, result))
        if not real or mode == "embedded":
            light = _light_load(bench, env, clients)
            plan["light" if real else "ours"] = (o.floor_duration if real else o.duration, light)
        plan["floor"] = (o.floor_duration, _floor_load(env, clients))
        env.server.phase("throughput")
        result.update(alternate(clients, plan, o.rounds))
        for c in clients:
            c.close()
    for name in plan:
        run = result[name]
        bench.log(f"    {key}: {name} {run['per_s']}/s (p95 {run['latency']['p95_ms']} ms)")
        if run["exhausted_clients"]:
            bench.notes.append(
                f"throughput {key}: {name} ran out of work after {run['seconds']} s of {plan[name][0]:g} "
                f"({run['exhausted_clients']} of {len(clients)} clients); its rate includes their idle ends")
    floor = result["floor"]["per_s"]
    result["ours_per_floor"] = round(result["ours"]["per_s"] / floor, 3) if floor else None
    if "light" in result and floor:
        result["light_per_floor"] = round(result["light"]["per_s"] / floor, 3)
    return result


def _pledge_load(bench: Bench, env: Env, clients: list[Client], result: dict[str, Any]) -> Step:
    """Pledges of a launched, mobilised campaign; client i takes branches i, i + clients, ….

    Two clients never wait for the same branch instance's lock (the best case:
    members of one branch pledging at once queue on it).
    """
    tasks, form, setup = _open_work(bench, env)
    result["setup"] = setup
    cookies = login_all(env, sorted(tasks))
    queues: list[list[str]] = [[] for _ in clients]
    for b, branch in enumerate(env.org.branches):
        queues[b % len(clients)] += [m for m in branch.members if m in tasks]
    for q in queues:
        random.Random(1).shuffle(q)

    def pledge_next(i: int, client: Client) -> tuple[bool, bool] | None:
        if not queues[i]:
            return None
        username = queues[i].pop()
        client.cookies = cookies[username]
        status, _ = client.call("POST", f"/api/tasks/{tasks[username]}/complete", {"data": form})
        return status == 200, status == 409

    return pledge_next


def _light_load(bench: Bench, env: Env, clients: list[Client]) -> Step:
    """activity_report completions: each client is one member with many open reports."""
    o = bench.options
    users = [b.members[1] for b in env.org.branches[: len(clients)]]
    users = [users[i % len(users)] for i in range(len(clients))]
    todo: dict[int, list[int]] = {i: [] for i in range(len(clients))}
    owner = {u: [i for i, v in enumerate(users) if v == u] for u in set(users)}
    queue = [u for u in users for _ in range(o.tasks_per_client)]
    for n, cloned in enumerate(open_reports(env, queue)):
        slots = owner[cloned.username]
        todo[slots[n % len(slots)]].append(cloned.task_ids[0])
    cookies = login_all(env, sorted(set(users)))

    def complete_next(i: int, client: Client) -> tuple[bool, bool] | None:
        if not todo[i]:
            return None
        client.cookies = cookies[users[i]]
        status, _ = client.call("POST", f"/api/tasks/{todo[i].pop()}/complete", {"data": REPORT})
        return status == 200, status == 409

    return complete_next


def _floor_load(env: Env, clients: list[Client]) -> Step:
    """The floor: each client, logged in as some member, updates its own row of ``bench_floor``."""
    users = [env.org.branches[i % len(env.org.branches)].members[2] for i in range(len(clients))]
    cookies = login_all(env, sorted(set(users)))

    def floor_once(i: int, client: Client) -> tuple[bool, bool] | None:
        client.cookies = cookies[users[i]]
        status, _ = client.call("POST", f"/bench/floor/{i}", {})
        return status == 200, status == 409

    return floor_once


# -- launch ----------------------------------------------------------------------------------


class TaskCounter:
    """Counts task rows every 0.25 s while something creates them."""

    def __init__(self, env: Env):
        self.env = env
        self.series: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.t0 = 0.0

    def count(self) -> int:
        with self.env.engine.connect() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM task")).scalar_one())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.series.append((time.perf_counter() - self.t0, self.count()))
            self._stop.wait(0.25)

    def __enter__(self) -> TaskCounter:
        self.base = self.count()
        self.t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.series.append((time.perf_counter() - self.t0, self.count()))

    def summary(self) -> dict[str, Any]:
        created = [(t, n - self.base) for t, n in self.series]
        total = created[-1][1] if created else 0
        first = next((t for t, n in created if n > 0), None)
        half = next((t for t, n in created if n >= total / 2), None) if total else None
        done = next((t for t, n in created if n >= total), None) if total else None
        step = max(1, len(created) // 40)
        return {
            "tasks_created": total,
            "first_task_s": round(first, 2) if first is not None else None,
            "half_tasks_s": round(half, 2) if half is not None else None,
            "all_tasks_s": round(done, 2) if done is not None else None,
            "tasks_per_s": round(total / done, 1) if done else None,
            "series": [[round(t, 2), n] for t, n in created[::step]],
        }


def launch(bench: Bench) -> None:
    """Time to launch a campaign for N members and the rate at which its tasks appear."""
    o = bench.options
    if not campaign.available():
        _launch_stand_in(bench)
        return
    n = o.launch_members
    out: dict[str, Any] = {"variant": f"POST /api/campaigns at the district, {n} members, then every secretary "
                                      "mobilises (4 clients) and the pledge tasks appear", "members": n}
    with bench.server("launch-sqlite", "sqlite", n, workflows=campaign.FILES) as env:
        admin = env.client(env.org.admin)
        env.server.phase("launch")
        with TaskCounter(env) as counter:
            launched = campaign.launch(env, admin)
        admin.close()
        out.update(seconds=launched["done_s"], accepted_s=launched["accepted_s"],
                   branches=launched["launch"]["created"], batches=launched["launch"]["batches"],
                   **counter.summary())
        out["branches_per_s"] = round(out["branches"] / launched["done_s"], 1) if launched["done_s"] else None
        bench.log(f"    launch {n}: {out['seconds']} s for {out['branches']} branches "
                  f"({out['tasks_created']} tasks)")
        env.server.phase("mobilise")
        with TaskCounter(env) as counter:
            mobilised = campaign.mobilise(env)
        wave = counter.summary()
        out["mobilise"] = {"seconds": mobilised["seconds"], "branches": mobilised["branches"], **wave}
        bench.log(f"    mobilise {mobilised['branches']} branches: {mobilised['seconds']} s, "
                  f"{wave['tasks_created']} tasks at {wave['tasks_per_s']}/s")
    bench.results["launch"] = out


def _launch_stand_in(bench: Bench) -> None:
    """Stand-in: one activity report started per member through the API by four clients."""
    o = bench.options
    n = min(o.launch_members, 100 if o.smoke else 2000)
    out: dict[str, Any] = {"variant": f"stand-in: one activity_report started per member via "
                                      f"POST /api/process-instances, 4 clients, {n} members "
                                      f"(the campaign launch API has not landed)"}
    with bench.server("launch-sqlite", "sqlite", n) as env:
        members = env.org.members()
        clients = env.clients([env.org.admin] * 4)
        work = list(members)
        lock = threading.Lock()

        def start_next(i: int, client: Any) -> tuple[bool, bool] | None:
            with lock:
                if not work:
                    return None
                username = work.pop()
            status, _ = client.call("POST", "/api/process-instances",
                                    {"process_key": "activity_report", "org_unit": env.org.branch_of(username).code})
            return status == 201, status == 409

        env.server.phase("launch")
        started = time.perf_counter()
        with TaskCounter(env) as counter:
            calls = run_clients(clients, 3600, start_next)
        out.update(members=n, seconds=round(time.perf_counter() - started, 2), requests=calls, **counter.summary())
        bench.log(f"    launch stand-in {n}: {out['seconds']} s, {out['tasks_per_s']} tasks/s")
    bench.results["launch"] = out


# -- inbox -----------------------------------------------------------------------------------


def _inbox_rows(env: Env, rows: int, open_every: int = 10) -> Iterator[tuple[str, list[Any]]]:
    """Instances of 50 tasks each, spread over the branches; one instance in ``open_every`` is running.

    In an instance, tasks 0, 10, 20, … are secretary reviews offered to the
    branch's secretaries (half of the open ones claimed), the others pledges
    bound to one member each (a bound task is offered to nobody else: no
    candidate row). Yields (table, row) in insertion order.
    """
    backend = env.backend
    org = env.org
    now = datetime.now(UTC)
    created = bdb.stamp(backend, now - timedelta(days=30))
    no = bdb.flag(backend, False)
    per_instance = 50
    n_instances = -(-rows // per_instance)
    ids = org.person_ids
    n_branches = len(org.branches)
    for j in range(n_instances):
        branch = org.branches[j % n_branches]
        running = (j // n_branches) % open_every == 0
        yield "process_instance", [j + 1, 1, branch.id, None, "running" if running else "completed", "pledge",
                                   "公开承诺", f"争做先锋活动 {branch.name} #{j + 1}", ids[org.admin], created, created,
                                   None if running else created, None, "{}", 0]
        for k in range(per_instance):
            i = j * per_instance + k
            if i >= rows:
                break
            member = branch.members[k % len(branch.members)]
            review = k % 10 == 0
            state = "open" if running else ("completed" if k % 7 else "cancelled")
            due = bdb.stamp(backend, now + timedelta(days=(i % 40) - 10))
            if review:
                assignee = None if (running and k % 20 == 0) else ids[branch.secretary]
                role, name, element = "secretary", "审核党员承诺", "ReviewPledge"
                bound = None
            else:
                assignee = bound = ids[member]
                role, name, element = "member|masses_rep", "撰写公开承诺", "DraftPledge"
            done = None if running else created
            yield "task", [i + 1, str(uuid.UUID(int=i + 1)), j + 1, "vanguard_campaign_branch", element, name, None,
                           "pledge", "公开承诺", None, branch.id, role, assignee, bound, due, no, 0, state,
                           f'{{"member": "{member}"}}', created, created if assignee else None, done,
                           assignee if done else None, 0]
            if review:
                yield "task_candidate", [i + 1, i + 1, branch.id, "secretary"]


INSTANCE_COLS = ["id", "definition_id", "org_unit_id", "parent_id", "state", "stage", "stage_label", "title",
                 "started_by_id", "started_at", "updated_at", "completed_at", "error", "engine_state", "lock_version"]
TASK_COLS = ["id", "engine_task_id", "instance_id", "process_key", "element_id", "name", "instructions", "stage",
             "stage_label", "form", "org_unit_id", "role", "assignee_id", "bound_to_id", "due_at", "due_estimated",
             "priority", "state", "data", "created_at", "claimed_at", "completed_at", "completed_by_id",
             "lock_version"]
CANDIDATE_COLS = ["id", "task_id", "org_unit_id", "role"]


def fill_inbox(env: Env, rows: int) -> dict[str, Any]:
    started = time.perf_counter()
    definition = None
    with env.engine.connect() as conn:
        definition = conn.execute(text("SELECT MIN(id) FROM process_definition")).scalar_one()
    tables: dict[str, list[list[Any]]] = {"process_instance": [], "task": [], "task_candidate": []}
    for table, row in _inbox_rows(env, rows):
        if table == "process_instance":
            row[1] = definition
        tables[table].append(row)
    # Rows are consistent by construction: PostgreSQL may skip the foreign-key triggers.
    bdb.bulk_insert(env.engine, "process_instance", [f'"{c}"' for c in INSTANCE_COLS], tables["process_instance"],
                    trusted=True)
    bdb.bulk_insert(env.engine, "task", [f'"{c}"' for c in TASK_COLS], tables["task"], trusted=True)
    bdb.bulk_insert(env.engine, "task_candidate", CANDIDATE_COLS, tables["task_candidate"], trusted=True)
    bdb.reset_sequences(env.engine, ["process_instance", "task", "task_candidate"])
    bdb.analyze(env.engine)
    with env.engine.connect() as conn:
        total = conn.execute(text("SELECT COUNT(*) FROM task")).scalar_one()
        open_ = conn.execute(text("SELECT COUNT(*) FROM task WHERE state = 'open'")).scalar_one()
    return {"task_rows": int(total), "open_rows": int(open_), "fill_s": round(time.perf_counter() - started, 1)}


def inbox(bench: Bench) -> None:
    """p95 of the claimable query of a secretary and the subtree query of an org_admin."""
    o = bench.options
    out: dict[str, Any] = {"backends": {}}
    for backend, rows in o.inbox_rows.items():
        if backend not in bench.backends([backend]):
            bench.notes.append(f"inbox on {backend} skipped: PostgreSQL not reachable")
            continue
        with bench.server(f"inbox-{backend}", backend, o.inbox_members) as env:
            filled = fill_inbox(env, rows)
            bench.log(f"    {backend}: {filled['task_rows']} task rows ({filled['open_rows']} open) "
                      f"in {filled['fill_s']} s")
            env.server.phase("inbox")
            secretary = env.org.branches[len(env.org.branches) // 2].secretary
            member = env.org.branches[len(env.org.branches) // 2].members[3]
            queries = {
                "secretary_claimable": (secretary, "/api/tasks?scope=claimable"),
                "org_admin_subtree": (env.org.admin, "/api/tasks?scope=all"),
                "member_mine": (member, "/api/tasks?scope=mine"),
            }
            result: dict[str, Any] = dict(filled)
            clients = {key: env.client(who) for key, (who, _) in queries.items()}
            durations: dict[str, list[float]] = {key: [] for key in queries}
            last: dict[str, Any] = {}
            for k in range(o.warmup + o.inbox_samples):
                for key, (_, path) in queries.items():  # in turns, so that noise weighs on each alike
                    dt, status, last[key] = clients[key].timed("GET", path)
                    if status != 200:
                        raise RuntimeError(f"GET {path} -> {status}: {str(last[key])[:300]}")
                    if k >= o.warmup:
                        durations[key].append(dt)
            for key, (who, path) in queries.items():
                clients[key].close()
                body, stats = last[key], summary_ms(durations[key])
                result[key] = {"user": who, "path": path, "total": body["total"],
                               "total_exact": body.get("total_exact"), "items": len(body["items"]), **stats}
                bench.log(f"    {backend} {key}: p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms "
                          f"(total {body['total']})")
            out["backends"][backend] = result
    bench.results["inbox"] = out
