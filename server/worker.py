"""Scale-out mode: Celery workers fire timers, due dates and recurring starts.

Start any number of workers, on any number of machines, against the same
PostgreSQL database and broker (``VANGUARD_BROKER_URL``, Redis or RabbitMQ)::

    VANGUARD_DATABASE_URL=postgresql+psycopg://... VANGUARD_BROKER_URL=redis://127.0.0.1:6379/0 \\
        celery -A server.worker worker --loglevel=INFO

and serve the web app with ``VANGUARD_SCHEDULER=off`` (gunicorn, any number of
workers). No beat process is needed: every worker runs a small dispatcher (a
Celery bootstep on the worker's timer) that every second leases due jobs with
``SELECT ... FOR UPDATE SKIP LOCKED`` and sends one ``vanguard.fire_job`` task per
job through the broker; the pool processes fire them. Dispatchers on several
workers never hand out the same job twice within its lease, and firing does not
rely on the lease anyway: ``fire_job`` locks the job row, checks it is still
waiting, and marks it fired in the transaction that applies its effect. A worker
killed mid-step (SIGKILL, power cut) rolls back with its connection; its job is
handed out again when the lease ends (``VANGUARD_DISPATCH_LEASE``, default 30 s).

Environment (besides the server's own, ``server/config.py``):

| variable | meaning | default |
| --- | --- | --- |
| ``VANGUARD_CELERY_QUEUE`` | queue the workers consume and the dispatcher sends to | ``vanguard`` |
| ``VANGUARD_DISPATCH_INTERVAL`` | seconds between dispatcher passes | ``1`` |
| ``VANGUARD_DISPATCH_LEASE`` | seconds a handed-out job is not handed out again | ``30`` |
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, bootsteps, signals

from server import clock
from server.bootstrap import bootstrap
from server.campaign import launch
from server.config import Settings
from server.database import db
from server.notifications import mail
from server.notifications import service as notifications
from server.ops import logs
from server.workflow import scheduler

log = logging.getLogger("vanguard.worker")

QUEUE = os.environ.get("VANGUARD_CELERY_QUEUE", "vanguard")
DISPATCH_INTERVAL = float(os.environ.get("VANGUARD_DISPATCH_INTERVAL", "1"))
LEASE = float(os.environ.get("VANGUARD_DISPATCH_LEASE", "30"))

_settings = Settings.from_env()

app = Celery("vanguard", broker=_settings.broker_url)
app.conf.update(
    task_default_queue=QUEUE,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_ignore_result=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    broker_transport_options={"visibility_timeout": 300},
    worker_hijack_root_logger=False,
)

# The same hooks and settings as the web processes (``server.bootstrap``), without the
# start-up work (deploying workflows/, seeding) and without an embedded scheduler.
_settings.scheduler = "off"
bootstrap(_settings)


@signals.setup_logging.connect
def _json_logs(**_: Any) -> None:
    """The same JSON lines as the web processes (``server.ops.logs``) instead of Celery's own format."""
    logs.configure()


@signals.worker_process_init.connect
def _fresh_pool_after_fork(**_: Any) -> None:
    """A forked pool process must not use the parent's database connections."""
    for engine in {db.engine, db.read_engine}:
        if engine is not None:
            engine.dispose(close=False)


@app.task(name="vanguard.fire_job")
def fire_job(job_id: int) -> str:
    """Fire one job if it is still due and waiting (a duplicate message does nothing)."""
    _, outcome = scheduler.fire_one(clock.now(), job_id=job_id)
    return outcome


@app.task(name="vanguard.send_mail")
def send_mail() -> int:
    return scheduler.send_mail()


def _send(job_id: int) -> None:
    fire_job.apply_async((job_id,), queue=QUEUE)


@app.task(name="vanguard.dispatch")
def dispatch() -> int:
    """One dispatcher pass; also usable from ``celery beat`` if the bootstep is not wanted."""
    scheduler.heartbeat_quietly("celery")
    scheduler.run_daily(clock.now())
    ids = scheduler.dispatch_due(_send, lease=LEASE)
    if mail.enabled():
        with db.transaction() as session:
            pending = notifications.pending_mail_count(session)
        if pending:
            send_mail.apply_async(queue=QUEUE)
    return len(ids)


class Dispatcher(bootsteps.StartStopStep):
    """Runs :func:`dispatch` on the worker's timer every ``VANGUARD_DISPATCH_INTERVAL`` seconds."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None

    def start(self, worker: Any) -> None:
        self.tref = worker.timer.call_repeatedly(DISPATCH_INTERVAL, self.tick, (), priority=10)

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def tick(self) -> None:
        try:
            count = dispatch()
            if count:
                log.info("dispatched %s due job(s)", count)
        except Exception:  # noqa: BLE001 - a broker or database hiccup must not stop the timer
            log.exception("dispatch failed")


app.steps["worker"].add(Dispatcher)


@app.task(name="vanguard.run_launch")
def run_launch(launch_id: int) -> None:
    """Create a campaign's branch instances batch by batch (safe to run twice, and several at
    once: each batch claims its own units; ``server.campaign.launch``)."""
    launch.run_launch(launch_id)


def _dispatch_launch(launch_id: int) -> None:
    """``VANGUARD_LAUNCH_TASKS`` tasks per launch: the workers claim its batches side by side."""
    for _ in range(max(1, _settings.launch_tasks)):
        run_launch.apply_async((launch_id,), queue=QUEUE)


@signals.worker_ready.connect
def _resume_launches(**_: Any) -> None:
    """Launches a dead process left half-done are finished by the workers."""
    launch.set_launch_dispatcher(_dispatch_launch)
    resumed = launch.resume_launches()
    if resumed:
        log.info("resumed campaign launches %s", resumed)
celery = app
