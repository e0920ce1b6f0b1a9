"""Running what fell due: timers, due dates, recurring starts and the e-mail outbox.

Every unit of work that can step an instance runs under ``outside_the_lock``: its scripts are
evaluated with no transaction open (``server/workflow/engine/replay.py``).

Three ways to run it, all on the same functions and the same exactly-once rules
(``server.workflow.jobs``):

* **embedded** (``VANGUARD_SCHEDULER=embedded``, the default, ``make run``): a
  daemon thread in the web process calls :func:`run_pending` every second;
* **standalone loop**: ``python -m server scheduler`` (one or several processes; ``loop`` below);
* **scale-out**: Celery workers (``celery -A server.worker worker``) whose
  dispatcher hands due jobs to the pool through the broker (``server.worker``).

Tests run with ``VANGUARD_SCHEDULER=off`` and call :func:`run_pending` after
moving ``server.clock``. The first pass after a start fires everything that fell
due while the server was down, each job once.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError

from server import clock
from server.calendar.due import SHANGHAI
from server.database import db
from server.errors import StepFailed
from server.notifications import mail
from server.notifications import service as notifications
from server.workflow import incidents, schedules
from server.workflow.engine import outside_the_lock
from server.workflow.hooks import DailyDuty, registry
from server.workflow.jobs import (
    Busy,
    claim_by_id,
    claim_next,
    due_condition,
    fire,
    lease_free,
    limit_lock_waits,
    record_failure,
    worker_id,
)
from server.workflow.models import JOB_FIRED, SchedulerHeartbeat, TimerJob

log = logging.getLogger("vanguard.scheduler")

INTERVAL = 1.0
"""Seconds between passes of the embedded thread and the standalone loop."""
HEARTBEAT_EVERY = 15.0
"""Seconds between two heartbeat rows of one process (a write every pass would be a write a second)."""
HEARTBEAT_KEPT = timedelta(days=1)




@dataclass
class PassResult:
    fired: int = 0
    cancelled: int = 0
    failed: int = 0
    busy: int = 0
    schedules: int = 0
    mails: int = 0
    outcomes: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"fired": self.fired, "cancelled": self.cancelled, "failed": self.failed, "busy": self.busy,
                "schedules": self.schedules, "mails": self.mails}


def expand_schedules(now: datetime, limit: int = 100) -> int:
    """Run every due schedule (one transaction each); returns how many ran."""
    def expand_one() -> bool:
        with db.transaction() as session:
            limit_lock_waits(session)
            return schedules.expand_next_due(session, now) is not None

    count = 0
    while count < limit and outside_the_lock(expand_one):
        count += 1
    return count


def fire_one(now: datetime, *, job_id: int | None = None, skip: set[int] | None = None,
             worker: str | None = None) -> tuple[int | None, str]:
    """Claim one due job (``job_id``, or the earliest free one) and fire it in one transaction.

    Returns ``(job id, outcome)``; outcome ``none`` when nothing was claimable,
    ``busy`` when what it acts on was locked (left waiting), ``error`` when the
    attempt was rolled back and counted.
    """
    worker = worker or worker_id()
    skip = skip if skip is not None else set()
    claimed: int | None = None

    def attempt() -> tuple[int | None, str]:
        nonlocal claimed
        with db.transaction() as session:
            limit_lock_waits(session)
            job = claim_by_id(session, job_id, now) if job_id is not None else claim_next(session, now, skip)
            if job is None:
                return job_id, "none"
            claimed = job.id
            outcome = fire(session, job, now, worker)
            if outcome.state == JOB_FIRED:
                incidents.resolve(session, job_id=job.id)
            job.locked_until = None
        return claimed, outcome.state

    try:
        return outside_the_lock(attempt)
    except Busy:
        if claimed is not None:
            skip.add(claimed)
        return claimed, "busy"
    except OperationalError as exc:  # lock timeout, deadlock, serialisation: try again later
        log.info("job %s: database busy (%s); left for the next pass", claimed, exc.orig)
        if claimed is not None:
            skip.add(claimed)
        return claimed, "busy"
    except Exception as exc:
        if claimed is None:
            raise
        log.exception("job %s failed", claimed)
        skip.add(claimed)
        with db.transaction() as session:
            record_failure(session, claimed, f"{type(exc).__name__}: {exc}", now, worker)
            if isinstance(exc, StepFailed):
                exc.cause, exc.job_id = "timer", claimed
                incidents.record(session, exc)
        return claimed, "error"


def send_mail(limit: int = 100) -> int:
    sent = 0
    while sent < limit:
        with db.transaction() as session:
            batch = notifications.send_pending_mail(session)
        if batch == 0:
            break
        sent += batch
    return sent


def _run_duty(duty: DailyDuty, today: date) -> None:
    with db.transaction() as session:
        duty(session, today)


_daily_lock = threading.Lock()
_last_daily: date | None = None


def run_daily(now: datetime) -> bool:
    """Once per Beijing date and process: the families' daily duties (``registry.daily``: the talk
    loop's reports and reminders), each in a transaction of its own.

    The duties themselves are idempotent, so several processes doing them on the
    same day open and send nothing twice.
    """
    global _last_daily
    today = now.astimezone(SHANGHAI).date()
    with _daily_lock:
        if _last_daily == today:
            return False
        for duty in registry.daily:
            outside_the_lock(partial(_run_duty, duty, today))
        _last_daily = today
    return True


def run_pending(now: datetime | None = None, *, max_jobs: int = 10_000) -> PassResult:
    """One pass: run due schedules, fire every due job (one transaction each), send e-mail."""
    now = now or clock.now()
    worker = worker_id()
    result = PassResult(schedules=expand_schedules(now))
    skip: set[int] = set()
    for _ in range(max_jobs):
        job_id, outcome = fire_one(now, skip=skip, worker=worker)
        if outcome == "none":
            break
        if job_id is not None:
            result.outcomes.append((job_id, outcome))
        if outcome == "fired":
            result.fired += 1
        elif outcome == "cancelled":
            result.cancelled += 1
        elif outcome in ("error", "failed"):
            result.failed += 1
        elif outcome == "busy":
            result.busy += 1
    if mail.enabled():
        result.mails = send_mail()
    return result


def dispatch_due(send: Callable[[int], Any], *, lease: float = 30.0, limit: int = 500) -> list[int]:
    """Scale-out: lease due jobs (``SKIP LOCKED``) and hand their ids to ``send`` (Celery).

    A leased job is not handed out again until the lease ends; if the worker that got
    it dies, the next dispatcher after the lease hands it out again. Firing itself
    does not trust the lease: it locks the row and checks it is still waiting.
    """
    now = clock.now()
    expand_schedules(now)
    me = worker_id()
    with db.transaction() as session:
        limit_lock_waits(session)
        rows = session.scalars(
            select(TimerJob)
            .where(due_condition(now), lease_free(now))
            .order_by(TimerJob.due_at, TimerJob.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.locked_by = me
            row.locked_until = now + timedelta(seconds=lease)
        ids = [row.id for row in rows]
    for job_id in ids:
        send(job_id)
    return ids


_last_beat: dict[str, float] = {}


def heartbeat(mode: str, *, force: bool = False) -> bool:
    """Record that this process's scheduler (``mode``: embedded, loop, celery) is alive; at most
    every ``HEARTBEAT_EVERY`` seconds unless ``force``. Returns whether a row was written."""
    me = worker_id()
    moment = time.monotonic()
    if not force and moment - _last_beat.get(me, -HEARTBEAT_EVERY) < HEARTBEAT_EVERY:
        return False
    now = clock.now()
    with db.transaction() as session:
        row = session.get(SchedulerHeartbeat, me)
        if row is None:
            session.add(SchedulerHeartbeat(worker=me, mode=mode, beat_at=now))
        else:
            row.mode, row.beat_at = mode, now
        session.execute(delete(SchedulerHeartbeat).where(SchedulerHeartbeat.beat_at < now - HEARTBEAT_KEPT))
    _last_beat[me] = moment
    return True


def heartbeat_quietly(mode: str) -> None:
    try:
        heartbeat(mode)
    except Exception:  # noqa: BLE001 - a missing table (not yet migrated) must not stop the timers
        log.warning("scheduler heartbeat not written", exc_info=True)


# -- embedded mode --------------------------------------------------------------------------


class EmbeddedScheduler(threading.Thread):
    """A daemon thread calling :func:`run_pending` every ``interval`` seconds."""

    def __init__(self, interval: float = INTERVAL) -> None:
        super().__init__(name="vanguard-scheduler", daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        log.info("embedded scheduler started (every %.1f s)", self.interval)
        while not self.stopping.is_set():
            try:
                heartbeat_quietly("embedded")
                run_daily(clock.now())
                result = run_pending()
                if result.fired or result.failed or result.schedules:
                    log.info("scheduler pass: %s", result.as_dict())
            except Exception:  # noqa: BLE001 - the loop must survive a bad pass (e.g. database restart)
                log.exception("scheduler pass failed")
            self.stopping.wait(self.interval)

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)


_embedded: EmbeddedScheduler | None = None
_embedded_lock = threading.Lock()


def start_embedded(interval: float = INTERVAL) -> EmbeddedScheduler:
    """Start the process's one embedded scheduler thread (again only if it stopped)."""
    global _embedded
    with _embedded_lock:
        if _embedded is None or not _embedded.is_alive():
            _embedded = EmbeddedScheduler(interval)
            _embedded.start()
        return _embedded


def stop_embedded() -> None:
    global _embedded
    with _embedded_lock:
        if _embedded is not None:
            _embedded.stop()
            _embedded = None


def loop(interval: float = INTERVAL, *, once: bool = False) -> int:
    """The standalone loop (``python -m server scheduler``): a pass every ``interval`` seconds
    until SIGTERM or SIGINT. The caller has bootstrapped the process and bound the database."""
    if once:
        print(run_pending().as_dict())
        return 0
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    log.info("scheduler loop started (every %.1f s) as %s", interval, worker_id())
    while not stopping.is_set():
        try:
            heartbeat_quietly("loop")
            result = run_pending()
            if result.fired or result.failed or result.schedules:
                log.info("pass: %s", result.as_dict())
        except Exception:  # noqa: BLE001 - keep looping through transient errors
            log.exception("scheduler pass failed")
        stopping.wait(interval)
    return 0
