"""Tables of the organisation, process definitions, instances and the audit trail.

The inbox's own tables (tasks and their candidates) live in ``inbox.models``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database import Base, UTCDateTime, utcnow

UNIT_TYPES = ("district", "party_committee", "general_branch", "branch", "party_group")
ROLES = (
    "member",
    "activist",
    "secretary",
    "deputy_secretary",
    "committee_member",
    "group_leader",
    "contact",
    "org_admin",
    "masses_rep",
    "designer",
)


class OrgUnit(Base):
    """A node of the organisation tree.

    ``path`` is the materialised path of ids (``/1/4/9/``) so that a subtree is
    one indexed prefix query, whatever its depth.
    """

    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    path: Mapped[str] = mapped_column(String(512), index=True, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this unit, itself included."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(16), default="zh_Hans_CN")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    positions: Mapped[list[Position]] = relationship(back_populates="person")


class Position(Base):
    """A person holding a role in an org unit, from ``start`` until ``end`` (open if null)."""

    __tablename__ = "position"
    __table_args__ = (Index("ix_position_unit_role", "org_unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    role: Mapped[str] = mapped_column(String(32))
    start: Mapped[date | None]
    end: Mapped[date | None]

    person: Mapped[Person] = relationship(back_populates="positions")
    org_unit: Mapped[OrgUnit] = relationship()


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

    ``engine_state`` is the SpiffWorkflow serialization *without* the process
    spec (specs are kept once per definition), so its size follows this
    instance alone. ``lock_version`` rises with every save: a writer that read
    an older version lost a race and must not overwrite.
    """

    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_unit_state", "org_unit_id", "state"),)

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
    """One detached multi-instance body of an instance (``server.engine._DetachedBody``).

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


class AuditEvent(Base):
    """Who did what and when; never updated, never deleted."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    action: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(Integer, index=True)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[Person | None] = relationship()


class CalendarOverride(Base):
    """An administrator's word on one day: working or not, overriding the library."""

    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(primary_key=True)
    working: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")
    official: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


# -- time: timers, due dates, schedules, notifications (docs/timers.md) -----------------------

JOB_KINDS = ("bpmn_timer", "task_due", "reminder", "schedule")
JOB_WAITING = "waiting"
JOB_FIRED = "fired"
JOB_CANCELLED = "cancelled"
JOB_FAILED = "failed"


class TimerJob(Base):
    """One thing that must happen at a time: a BPMN timer, a due date, a reminder, a scheduled start.

    Written in the same transaction as the change that makes it wait (the instance save,
    the schedule's run) and marked ``fired`` in the same transaction as its effect, so it
    fires exactly once. ``key`` names what it waits for, so writing it twice is harmless.
    ``locked_by``/``locked_until`` are a dispatch lease in scale-out mode (a job handed to
    Celery is not handed out again until the lease ends); the database row lock, not the
    lease, is what keeps two workers from firing it.
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


class Notification(Base):
    """A message to one person (an overdue task, an escalation), read in the app or by e-mail.

    ``job_id`` is the firing that wrote it: one notification per person per firing
    (unique), however often a crashed firing is retried. ``email_state``: ``None`` (no
    e-mail wanted or possible), ``pending``, ``sent`` or ``failed``.
    """

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_person_read", "person_id", "read_at"),
        Index("ix_notification_email_state", "email_state"),
        UniqueConstraint("job_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[int | None] = mapped_column(Integer)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("timer_job.id"))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_state: Mapped[str | None] = mapped_column(String(16))
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()


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
