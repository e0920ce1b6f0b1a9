"""Scale-out mode for real: two Celery workers (Redis broker) on a fresh PostgreSQL database.

200 timers fall due at the same moment and each fires exactly once; then, with 200 more, one
worker is killed with SIGKILL mid-run and the other finishes the job, still exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, text

from server import clock
from server.app import create_app
from server.audit import AuditEvent
from server.database import db
from server.ops.schema import migrate as upgrade
from server.workflow.instances import start_instance
from server.workflow.models import ProcessInstance, TimerJob
from server.workflow.runs import load_run
from tests.conftest import IN_CI, PG_BASE, _pg_available
from tests.timers_support import deploy_test_bpmn

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("VANGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
N = 200

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping())
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


@pytest.fixture
def services() -> None:
    missing = [name for name, ok in (("PostgreSQL", _pg_available()), ("Redis", _redis_available())) if not ok]
    if missing:
        message = f"{' and '.join(missing)} not reachable (VANGUARD_TEST_POSTGRES_URL / VANGUARD_TEST_REDIS_URL)"
        if IN_CI:
            pytest.fail(message + " and CI=true")
        pytest.skip(message)


@pytest.fixture
def fresh_pg(services: None) -> Iterator[str]:
    name = f"vanguard_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_BASE.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Worker:
    def __init__(self, name: str, env: dict[str, str], tmp_path: Path) -> None:
        self.name = name
        self.log_path = tmp_path / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "server.worker", "worker", "--loglevel=INFO",
             "--concurrency=2", "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self) -> bool:
        return " ready." in self.log()

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def _wait(predicate, timeout: float, workers: list[Worker], what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    logs = "\n".join(f"--- {w.name}\n{w.log()[-2500:]}" for w in workers)
    pytest.fail(f"timed out waiting for {what}\n{logs}")


def _scalar(stmt) -> int:
    with db.transaction() as session:
        return session.scalar(stmt) or 0


def _fired(batch: str) -> int:
    return _scalar(select(func.count(TimerJob.id)).join(ProcessInstance, ProcessInstance.id == TimerJob.instance_id)
                   .where(TimerJob.state == "fired", ProcessInstance.title == batch))


def _start_batch(batch: str, fire_at: datetime, work_seconds: float) -> None:
    """N instances each waiting for ``fire_at``.

    One instance is started the ordinary way (by this process's clock, an hour earlier);
    the other N-1 are copies of its saved state with their own timer rows, written in one
    statement each: starting 200 instances one by one would take longer than firing them.
    """
    started = datetime.now(UTC) - timedelta(hours=1)
    clock.set_source(lambda: started)
    try:
        with db.transaction() as session:
            first = start_instance(session, process_key="timer_wait_test", org_unit="demo-branch1", actor=None,
                                   title=batch, data={"fire_at": fire_at.isoformat(), "ticks": 0,
                                                      "work_seconds": work_seconds})
            [job] = session.scalars(select(TimerJob).where(TimerJob.instance_id == first.id)).all()
            columns = {c: getattr(first, c) for c in ("definition_id", "org_unit_id", "state", "title",
                                                      "started_at", "updated_at", "engine_state", "lock_version")}
            ids = session.scalars(insert(ProcessInstance).returning(ProcessInstance.id),
                                  [dict(columns) for _ in range(N - 1)]).all()
            session.execute(insert(TimerJob), [
                {"key": f"bpmn:{i}:{job.engine_task_id}", "kind": "bpmn_timer", "instance_id": i,
                 "engine_task_id": job.engine_task_id, "element_id": job.element_id, "due_at": job.due_at,
                 "state": "waiting", "attempts": 0, "created_at": started}
                for i in ids
            ])
    finally:
        clock.set_source(None)
    jobs = _scalar(select(func.count(TimerJob.id)).join(ProcessInstance, ProcessInstance.id == TimerJob.instance_id)
                   .where(TimerJob.state == "waiting", ProcessInstance.title == batch, TimerJob.due_at == fire_at))
    assert jobs == N


def _check_exactly_once(batch: str) -> set[str]:
    with db.transaction() as session:
        instances = session.scalars(select(ProcessInstance).where(ProcessInstance.title == batch)).all()
        ids = [i.id for i in instances]
        assert len(instances) == N and {i.state for i in instances} == {"completed"}
        # The step after the timer ran once per instance (its effect committed once) ...
        assert [load_run(i).snapshot().data.get("ticks") for i in instances] == [1] * N
        # ... each timer row fired once, with one audit row each.
        jobs = session.scalars(select(TimerJob).where(TimerJob.instance_id.in_(ids))).all()
        assert len(jobs) == N and {j.state for j in jobs} == {"fired"}
        audits = session.scalars(select(AuditEvent).where(AuditEvent.action == "timer.fired",
                                                          AuditEvent.instance_id.in_(ids))).all()
        assert len(audits) == N
        assert sorted(a.details["job_id"] for a in audits) == sorted(j.id for j in jobs)
        return {j.fired_by or "" for j in jobs}


def test_two_celery_workers_fire_200_simultaneous_timers_exactly_once(fresh_pg, tmp_path):
    create_app({"database_url": fresh_pg, "instance_dir": tmp_path / "instance", "secret_key": "t",
                "demo": True, "scheduler": "off", "TESTING": True})
    deploy_test_bpmn("timer_wait.bpmn")
    queue = f"vanguard-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "VANGUARD_DATABASE_URL": fresh_pg, "VANGUARD_BROKER_URL": REDIS_URL,
           "VANGUARD_CELERY_QUEUE": queue, "VANGUARD_DISPATCH_INTERVAL": "0.5", "VANGUARD_DISPATCH_LEASE": "3",
           "VANGUARD_SCHEDULER": "off", "VANGUARD_DEMO": "0", "VANGUARD_SECRET_KEY": "t",
           "VANGUARD_INSTANCE_DIR": str(tmp_path / "instance"), "PYTHONPATH": str(ROOT)}
    workers = [Worker("w1", env, tmp_path), Worker("w2", env, tmp_path)]
    try:
        _wait(lambda: all(w.ready() for w in workers), 60, workers, "both workers to be ready")

        # 1. 200 timers due at the same moment, two workers: each fires exactly once.
        _start_batch("first", datetime.now(UTC) + timedelta(seconds=2), 0.0)
        _wait(lambda: _fired("first") == N, 90, workers, "200 timers to fire")
        time.sleep(1.0)  # a duplicate would show up now
        fired_by = _check_exactly_once("first")
        assert len({who for who in fired_by}) >= 2, f"only {fired_by} fired anything"

        # 2. 200 more; one worker is killed with SIGKILL in the middle of the run.
        _start_batch("second", datetime.now(UTC) + timedelta(seconds=1), 0.03)
        _wait(lambda: _fired("second") >= 20, 60, workers, "the second run to be under way")
        workers[0].kill()
        at_kill = _fired("second")
        assert at_kill < N, "the run ended before the kill"
        _wait(lambda: _fired("second") == N, 90, workers[1:], "the surviving worker to fire the rest")
        time.sleep(1.0)
        _check_exactly_once("second")
    finally:
        for w in workers:
            w.stop()
        try:
            import redis

            r = redis.Redis.from_url(REDIS_URL)
            r.delete(queue, f"_kombu.binding.{queue}")
        except Exception:  # noqa: BLE001 - cleanup only
            pass
