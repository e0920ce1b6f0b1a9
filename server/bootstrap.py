"""Wiring the process: settings applied, database bound, every hook installed.

Every entry point calls ``bootstrap`` first — the web app (``server.app.create_app``),
the Celery worker (``server.worker``), the standalone scheduler and the command line
(``server.cli``) — so a worker fires a campaign's timers exactly as the web process
would. Start reading here to see what plugs into the workflow:

* the inbox keeps the task rows (``inbox.rows``);
* the kinds of ``timer_job`` and what firing each does;
* the process families, each a table of start, save and completion hooks
  (``server.workflow.hooks.ProcessFamily``), and the bridges between them.

A new family (an activity ledger, say) adds its ``ProcessFamily`` to ``PROCESS_FAMILIES``.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from inbox import closing, reminders, rows
from server.activities.family import ACTIVITY_FAMILY
from server.attachments import storage as attachment_storage
from server.bridges import appraisal_talks, judged_talks
from server.campaign.family import CAMPAIGN_FAMILY, REVIEW_FAMILY, ROLLUP_FAMILY, SELECTION_FAMILY
from server.config import Settings
from server.database import db
from server.notifications import mail
from server.ops import clock_control
from server.talks.family import TALK_FAMILY, TALK_REPORT_FAMILY
from server.workflow import incidents, jobs, schedules
from server.workflow.engine import set_local_timezone, set_script_limits
from server.workflow.hooks import ProcessFamily, Registry, registry

PROCESS_FAMILIES: tuple[ProcessFamily, ...] = (
    CAMPAIGN_FAMILY,
    SELECTION_FAMILY,
    REVIEW_FAMILY,
    TALK_FAMILY,
    TALK_REPORT_FAMILY,
    appraisal_talks.FAMILY,
    ACTIVITY_FAMILY,
    judged_talks.FAMILY,
    ROLLUP_FAMILY,
)
"""In order: for one process, save hooks run in the order their families are listed."""


def install(target: Registry) -> None:
    """Fill ``target`` with every hook of this server (replacing what it held)."""
    fresh = Registry()
    fresh.use_inbox(rows)
    fresh.on_save(jobs.sync_instance_jobs)
    fresh.on_save(incidents.resolve_on_save)
    fresh.on_job(jobs.BPMN_TIMER, jobs.fire_bpmn_timer)
    fresh.on_job(jobs.TASK_DUE, reminders.fire_task_due)
    fresh.on_job(jobs.REMINDER, reminders.fire_task_due)
    fresh.on_job(jobs.SCHEDULE, schedules.fire_scheduled_start)
    fresh.on_job(jobs.TASK_CLOSE, closing.fire_task_close)
    for family in PROCESS_FAMILIES:
        fresh.install(family)
    target.replace_with(fresh)


def configure(settings: Settings) -> None:
    """The settings every process that runs or saves instances needs."""
    mail.configure(settings.smtp_host, settings.smtp_port, settings.mail_from)
    set_local_timezone(ZoneInfo(settings.timezone))
    set_script_limits(settings.script_seconds, settings.script_memory_mb)
    schedules.set_timezone(settings.timezone)
    reminders.set_timezone(settings.timezone)
    attachment_storage.configure(settings.uploads, settings.max_attachment_bytes)


def bootstrap(settings: Settings) -> Registry:
    """Apply ``settings``, bind the database and install every hook; returns the registry.

    Refuses (``ConfigError``) settings its mode forbids, overrides included (``Settings.check``)."""
    settings.check()
    configure(settings)
    db.init(settings.database_url)
    clock_control.install(settings.clock_control)
    install(registry)
    return registry
