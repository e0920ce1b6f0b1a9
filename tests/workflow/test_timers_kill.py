"""SIGKILL in the middle of firing (embedded/standalone scheduler on SQLite): on restart every
timer that fell due fires, each exactly once, and nothing is left half-done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server import clock
from server.app import create_app
from server.audit import AuditEvent
from server.database import db
from server.ops.schema import migrate as upgrade
from server.workflow.models import ProcessInstance, TimerJob
from server.workflow.runs import load_run
from tests.timers_support import deploy_test_bpmn

ROOT = Path(__file__).resolve().parents[2]
N = 40


def _scheduler(url: str, tmp_path: Path, log_name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "VANGUARD_DATABASE_URL": url, "VANGUARD_SCHEDULER": "off", "VANGUARD_DEMO": "0",
           "VANGUARD_SECRET_KEY": "test", "VANGUARD_INSTANCE_DIR": str(tmp_path / "instance"),
           "PYTHONPATH": str(ROOT)}
    log = open(tmp_path / log_name, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "server", "scheduler", "--interval", "0.2"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _count(stmt) -> int:
    # A read session: on SQLite a write transaction would queue behind the scheduler's
    # back-to-back jobs and only get in once it has finished them all.
    with db.read_session() as session:
        return session.scalar(stmt) or 0


def _fired() -> int:
    return _count(select(func.count(TimerJob.id)).where(TimerJob.state == "fired"))


def _wait(predicate, timeout: float, proc: subprocess.Popen[bytes], tmp_path: Path, log: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    pytest.fail(f"timed out; scheduler log:\n{(tmp_path / log).read_text(errors='replace')[-3000:]}")


@pytest.mark.slow
def test_sigkill_mid_run_then_restart_fires_everything_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    upgrade(url)
    create_app({"database_url": url, "instance_dir": tmp_path / "instance", "secret_key": "t", "demo": True,
                "scheduler": "off", "TESTING": True})
    try:
        deploy_test_bpmn("timer_wait.bpmn")
        from server.workflow.instances import start_instance

        # Started an hour ago (by this process's clock); due a minute ago (by the wall clock the
        # scheduler processes read): everything fell due "while the server was down".
        real_now = datetime.now(UTC)
        due = (real_now - timedelta(minutes=1)).isoformat()
        clock.set_source(lambda: real_now - timedelta(hours=1))
        try:
            with db.transaction() as session:
                for _ in range(N):
                    start_instance(session, process_key="timer_wait_test", org_unit="demo-branch1",
                                   data={"fire_at": due, "ticks": 0, "work_seconds": 0.1}, actor=None)
        finally:
            clock.set_source(None)
        assert _count(select(func.count(TimerJob.id)).where(TimerJob.state == "waiting")) == N

        first = _scheduler(url, tmp_path, "first.log")
        try:
            _wait(lambda: _fired() >= 8, 60, first, tmp_path, "first.log")
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
        killed_at = _fired()
        assert killed_at < N, "the scheduler finished before it could be killed"
        # Consistent at the moment of the kill: a fired job's instance completed, and only those.
        with db.transaction() as session:
            completed = session.scalar(select(func.count(ProcessInstance.id))
                                       .where(ProcessInstance.state == "completed"))
            assert completed == killed_at
            assert session.scalar(select(func.count(AuditEvent.id))
                                  .where(AuditEvent.action == "timer.fired")) == killed_at

        second = _scheduler(url, tmp_path, "second.log")
        try:
            _wait(lambda: _fired() == N, 60, second, tmp_path, "second.log")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
        with db.transaction() as session:
            assert session.scalar(select(func.count(AuditEvent.id))
                                  .where(AuditEvent.action == "timer.fired")) == N
            instances = session.scalars(select(ProcessInstance)).all()
            assert {i.state for i in instances} == {"completed"} and len(instances) == N
            assert [load_run(i).snapshot().data.get("ticks") for i in instances] == [1] * N
            workers = {j.fired_by for j in session.scalars(select(TimerJob))}
            assert len(workers) == 2  # both runs of the scheduler fired some
    finally:
        db.dispose()
