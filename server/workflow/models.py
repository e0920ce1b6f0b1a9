"""Tables of the workflow: deployed definitions, instances and their parts, timer jobs, schedules, comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database import Base, UTCDateTime, utcnow
from server.org.models import OrgUnit, Person


class ProcessDefinition(Base):
    """One deployed version of one BPMN process (its key is the BPMN process id)."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    source_name: Mapped[str] = mapped_column(String(200))
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    checksum: Mapped[str] = mapped_column(String(64))
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    stages: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)  # definitions.form_schema
    starter: Mapped[str | None] = mapped_column(String(200))
    start_form: Mapped[str | None] = mapped_column(String(200))
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    deployed_by: Mapped[Person | None] = relationship()


class ProcessInstance(Base):
    """A running or finished process in one org unit.

    ``engine_state`` is the engine's serialized workflow *without* the process
    spec (specs are kept once per definition), so its size follows this
    instance alone. ``lock_version`` rises with every save: a writer that read
    an older version lost a race and must not overwrite.
    """

    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_process_instance_unit_state", "org_unit_id", "state"),
        Index("ix_process_instance_started_by", "started_by_id"),  # migration 0018: 我发起的
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="running")
    stage: Mapped[str | None] = mapped_column(String(64))
    stage_label: Mapped[str | None] = mapped_column(String(200))
    # The earliest stage open in the main workflow alone: with the parts' stages it gives
    # ``stage`` when only a part was stepped.
    main_stage: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(300))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    # Deferred: a step inside a detached part never reads the main workflow's state.
    engine_state: Mapped[str] = mapped_column(Text, deferred=True)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)

    definition: Mapped[ProcessDefinition] = relationship()
    org_unit: Mapped[OrgUnit] = relationship()
    started_by: Mapped[Person | None] = relationship()


PART_RUNNING = "running"
PART_COMPLETED = "completed"
PART_CANCELLED = "cancelled"


class InstancePart(Base):
    """One detached multi-instance body of an instance (``server.workflow.engine.parts._DetachedBody``).

    ``engine_task_id`` is the task the body stands for in the instance's main workflow;
    ``engine_state`` the body's own serialized workflow; ``stage`` the earliest stage with
    an open task in it, from which the instance's stage is worked out with the main
    workflow's. Writers lock the instance row first, so a part needs no version of its own.
    """

    __tablename__ = "instance_part"
    __table_args__ = (
        UniqueConstraint("instance_id", "engine_task_id"),
        Index("ix_instance_part_instance_state", "instance_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    engine_task_id: Mapped[str] = mapped_column(String(36))
    spec_name: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default=PART_RUNNING)
    stage: Mapped[str | None] = mapped_column(String(64))
    engine_state: Mapped[str] = mapped_column(Text, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- time: timers, due dates, schedules, notifications (docs/timers.md) -----------------------

JOB_KINDS = ("bpmn_timer", "task_due", "reminder", "schedule")
JOB_WAITING = "waiting"
JOB_FIRED = "fired"
JOB_CANCELLED = "cancelled"
JOB_FAILED = "failed"
JOB_HELD = "held"
"""A job of a suspended instance: it waits, unseen by the schedulers, until the instance is resumed."""


class TimerJob(Base):
    """One thing that must happen at a time: a BPMN timer, a due date, a reminder, a scheduled start.

    Written in the same transaction as the change that makes it wait (the instance save,
    the schedule's run) and marked ``fired`` in the same transaction as its effect, so it
    fires exactly once. ``key`` names what it waits for, so writing it twice is harmless.
    A ``held`` job belongs to a suspended instance. ``locked_by``/``locked_until`` are a
    dispatch lease in scale-out mode (a job handed to Celery is not handed out again until
    the lease ends); the database row lock, not the lease, is what keeps two workers from
    firing it.
    """

    __tablename__ = "timer_job"
    __table_args__ = (Index("ix_timer_job_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(Integer, index=True)
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedule.id"), index=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    engine_task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(128))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=JOB_WAITING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fired_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Schedule(Base):
    """Start ``process_key`` in every unit of ``unit_type`` under ``org_unit`` at each period.

    ``cadence``: ``quarterly``, ``half_yearly``, a five-field cron expression, or ``bpmn``
    (the timer cycle of the process's own start event). A run missed while the server was
    down runs once, then ``next_run_at`` jumps to the first period after now.
    """

    __tablename__ = "schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(128))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_type: Mapped[str] = mapped_column(String(32))
    cadence: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()
    created_by: Mapped[Person | None] = relationship()


class InstanceComment(Base):
    """A comment written on a process instance's page; readable by whoever may see the instance."""

    __tablename__ = "instance_comment"
    __table_args__ = (Index("ix_instance_comment_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Person] = relationship()


class SchedulerHeartbeat(Base):
    """When each scheduler process (embedded thread, standalone loop, Celery dispatcher) last ran a pass.

    ``GET /readyz`` reads the newest row: no fresh row means nobody fires timers. One row per
    ``host:pid``, rewritten at most every ``scheduler.HEARTBEAT_EVERY`` seconds; rows a day
    old are dropped by the next beat.
    """

    __tablename__ = "scheduler_heartbeat"

    worker: Mapped[str] = mapped_column(String(120), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Incident(Base):
    """A step of an instance that failed in a script or expression (docs/security.md, incidents).

    The step itself was rolled back; this row, written in a transaction of its own, says
    where (``element_id``), what (``error_class``, ``message``) and how it came
    (``cause``: ``task`` for a completion, ``timer`` for a fired timer, ``step`` for a retry).
    The same failure again at the same element counts ``occurrences``; a later successful
    save of the instance resolves it.
    """

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_state_instance", "state", "instance_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    element_id: Mapped[str | None] = mapped_column(String(128))
    error_class: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(String(16))
    task_id: Mapped[int | None] = mapped_column(Integer)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("timer_job.id"))
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="open")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    instance: Mapped[ProcessInstance] = relationship()
