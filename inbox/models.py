"""The inbox tables: one row per human task, and who may claim it.

Rows are written by ``inbox.rows`` (called by the workflow through ``registry.tasks``)
in the same transaction that saves the engine state, so the inbox is always a plain
SQL query and never reads engine blobs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database import Base, UTCDateTime, utcnow
from server.org.models import OrgUnit, Person
from server.workflow.models import ProcessInstance

OPEN = "open"
# The predicate of the open tasks' partial indexes (migration 0018): a query uses them only when it says
# ``state = 'open'`` in its text (SQLite never matches a bound parameter), see ``inbox.cursor.state_is``.
OPEN_ONLY = text("state = 'open'")
COMPLETED = "completed"
CANCELLED = "cancelled"


class Task(Base):
    __tablename__ = "task"
    __table_args__ = (
        # Migration 0005: both also give the inbox's order (due date, then id) from the index alone.
        Index("ix_task_state_assignee_due", "state", "assignee_id", "due_at", "id"),
        Index("ix_task_unit_state", "org_unit_id", "state"),
        Index("ix_task_state_due_id", "state", "due_at", "id"),
        # Migration 0018: the open tasks only, one index per order of the inbox (closed ones never walked).
        Index("ix_task_open_due", "due_at", "id", postgresql_where=OPEN_ONLY, sqlite_where=OPEN_ONLY),
        Index("ix_task_open_priority", text("priority DESC"), "id", postgresql_where=OPEN_ONLY,
              sqlite_where=OPEN_ONLY),
        Index("ix_task_open_id", "id", postgresql_where=OPEN_ONLY, sqlite_where=OPEN_ONLY),
        Index("ix_task_open_unit_due", "org_unit_id", "due_at", "id", postgresql_where=OPEN_ONLY,
              sqlite_where=OPEN_ONLY),
        Index("ix_task_completed_by", "completed_by_id", "id", postgresql_where=text("completed_by_id IS NOT NULL"),
              sqlite_where=text("completed_by_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engine_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    # The detached body (``instance_part``) the task belongs to; None: the main workflow.
    part_id: Mapped[int | None] = mapped_column(ForeignKey("instance_part.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(128))
    element_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(300))
    instructions: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str | None] = mapped_column(String(64))
    stage_label: Mapped[str | None] = mapped_column(String(200))
    form: Mapped[str | None] = mapped_column(String(200))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    role: Mapped[str | None] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    bound_to_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_estimated: Mapped[bool] = mapped_column(default=False)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default=OPEN)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Migration 0012: for the inbox's card and search, from the form's declared summary (inbox.summaries).
    subject: Mapped[str | None] = mapped_column(String(200))
    excerpt: Mapped[str | None] = mapped_column(String(300))
    # Migration 0012: {"name", "instructions", "stage_label"} in English, from the BPMN's *_en properties.
    labels_en: Mapped[dict[str, str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=0)

    instance: Mapped[ProcessInstance] = relationship()
    org_unit: Mapped[OrgUnit] = relationship()
    assignee: Mapped[Person | None] = relationship(foreign_keys=[assignee_id])
    candidates: Mapped[list[TaskCandidate]] = relationship(
        back_populates="task", cascade="all, delete-orphan"
    )


class TaskCandidate(Base):
    """One (org unit, role) pair whose holders may claim a task."""

    __tablename__ = "task_candidate"
    __table_args__ = (Index("ix_task_candidate_unit_role", "org_unit_id", "role", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    role: Mapped[str] = mapped_column(String(32))

    task: Mapped[Task] = relationship(back_populates="candidates")
