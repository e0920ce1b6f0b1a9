"""What happens when the server starts: deploy workflows/, seed the demo, start timers."""

from __future__ import annotations

import logging
import os

from celery import Celery
from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from server import demo
from server.campaign.launch import resume_launches, set_launch_dispatcher
from server.campaign.shipped import ensure_shipped_schedules
from server.config import Settings
from server.database import db
from server.workflow.definitions import deploy_folder
from server.workflow.scheduler import start_embedded

log = logging.getLogger("vanguard")


def on_start(app: Flask, settings: Settings) -> None:
    assert db.engine is not None
    if not inspect(db.engine).has_table("alembic_version"):
        log.warning("the database has no schema yet: run `python -m server upgrade` (make run does)")
        return
    for attempt in (1, 2):
        try:
            with db.transaction() as session:
                if settings.demo and demo.is_empty(session):
                    demo.seed(session)
                    log.info("seeded the demo organisation")
                for definition in deploy_folder(session, settings.workflows_dir):
                    log.info("deployed %s version %s", definition.key, definition.version)
                if settings.shipped_schedules:
                    for schedule in ensure_shipped_schedules(session):
                        log.info("shipped schedule %s: %s in every %s, %s", schedule.id, schedule.process_key,
                                 schedule.unit_type, schedule.cadence)
            return
        except IntegrityError:
            # Another worker process started at the same moment and did it first.
            if attempt == 2:
                raise


def start_background(settings: Settings) -> None:
    """Embedded mode: fire timers, due dates and schedules from a thread of this process.

    ``VANGUARD_SCHEDULER=off`` in scale-out mode (Celery workers do it) and in tests
    (they call ``server.workflow.scheduler.run_pending``). Its first pass fires everything that
    fell due while the server was down.
    """
    if settings.scheduler != "embedded":
        return
    assert db.engine is not None
    if not inspect(db.engine).has_table("timer_job"):
        log.warning("no timer tables yet: run `python -m server upgrade`; timers are not running")
        return
    start_embedded()
    log.info("embedded scheduler running")
    resumed = resume_launches()
    if resumed:
        log.info("resumed campaign launches %s", resumed)


def use_launch_runner(settings: Settings) -> None:
    """Who creates a campaign's branch runs once its launch is recorded (``VANGUARD_LAUNCHES``):
    a thread of this process, or the Celery workers (``server.worker.run_launch``), to which
    ``launch_tasks`` tasks per launch are sent by name so that several workers share it."""
    if settings.launches != "celery":
        set_launch_dispatcher(None)
        return
    sender = Celery("vanguard-web", broker=settings.broker_url)
    queue = os.environ.get("VANGUARD_CELERY_QUEUE", "vanguard")
    tasks = max(1, settings.launch_tasks)

    def dispatch(launch_id: int) -> None:
        for _ in range(tasks):
            sender.send_task("vanguard.run_launch", args=(launch_id,), queue=queue)

    set_launch_dispatcher(dispatch)
