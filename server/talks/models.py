"""Tables of the talk loop (谈心谈话): talks, their confidential part, problem items,
follow-ups, answer breaches, half-year reports and coverage reminders.

The BPMN processes (``talk_request``, ``talk``, ``talk_report``, ``talk_coverage``)
drive who does what and when; these rows are what the ledgers, reports and
close-out rules are computed from. The confidential part of a record lives only in
``talk_confidential``: it never enters engine state, task data or the audit trail.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database import Base, UTCDateTime, utcnow
from server.org.models import OrgUnit, Person

TALK_KINDS = ("request", "must", "periodic", "topical")
"""双向约谈（党员申请） / 八必谈 / 定期谈心 / 专题谈话."""

TALK_STATES = ("requested", "planning", "scheduled", "following_up", "closed")
"""``closed``: held with no problem raised, or every problem closed out and the loop confirmed."""


class Talk(Base):
    """One talk, from its request or trigger to the close-out of its problems."""

    __tablename__ = "talk"
    __table_args__ = (
        Index("ix_talk_unit_state", "org_unit_id", "state"),
        Index("ix_talk_unit_held", "org_unit_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    kind: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(200), unique=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    talker_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    requested_with: Mapped[str | None] = mapped_column(String(32))
    requested_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    topic: Mapped[str | None] = mapped_column(Text)
    preferred_times: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    answer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(String(300))
    way: Mapped[str | None] = mapped_column(String(32))
    held_on: Mapped[date | None]
    main_content: Mapped[str | None] = mapped_column(Text)
    measures: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    state: Mapped[str] = mapped_column(String(16), default="requested")
    close_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()
    subject: Mapped[Person] = relationship(foreign_keys=[subject_id])
    talker: Mapped[Person | None] = relationship(foreign_keys=[talker_id])
    requested_person: Mapped[Person | None] = relationship(foreign_keys=[requested_person_id])
    problems: Mapped[list[TalkProblem]] = relationship(
        back_populates="talk", order_by="TalkProblem.seq", cascade="all, delete-orphan"
    )


class TalkConfidential(Base):
    """The confidential part of a talk record (需要保密的内容). Read only through
    ``server.talks.permissions.read_confidential``, which checks who asks."""

    __tablename__ = "talk_confidential"

    talk_id: Mapped[int] = mapped_column(ForeignKey("talk.id", ondelete="CASCADE"), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TalkProblem(Base):
    """One item of a talk's problem list (问题清单), closed out (销号) by the secretary."""

    __tablename__ = "talk_problem"
    __table_args__ = (
        UniqueConstraint("talk_id", "seq"),
        Index("ix_talk_problem_unit_state", "org_unit_id", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    talk_id: Mapped[int] = mapped_column(ForeignKey("talk.id", ondelete="CASCADE"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    seq: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    measure: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date]
    state: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    close_criteria: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    close_note: Mapped[str | None] = mapped_column(Text)

    talk: Mapped[Talk] = relationship(back_populates="problems")
    owner: Mapped[Person] = relationship(foreign_keys=[owner_id])
    closed_by: Mapped[Person | None] = relationship(foreign_keys=[closed_by_id])
    follow_ups: Mapped[list[TalkFollowUp]] = relationship(
        back_populates="problem", order_by="TalkFollowUp.id", cascade="all, delete-orphan"
    )


class TalkFollowUp(Base):
    """A look back (回头看) at one problem item."""

    __tablename__ = "talk_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("talk_problem.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    result: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)

    problem: Mapped[TalkProblem] = relationship(back_populates="follow_ups")
    by: Mapped[Person] = relationship()


class TalkBreach(Base):
    """A requested talk whose answer (time and place) was not given within 3 working days."""

    __tablename__ = "talk_breach"
    __table_args__ = (UniqueConstraint("talk_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    talk_id: Mapped[int] = mapped_column(ForeignKey("talk.id", ondelete="CASCADE"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    kind: Mapped[str] = mapped_column(String(32), default="late_answer")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    note: Mapped[str | None] = mapped_column(Text)


class TalkReport(Base):
    """A branch's half-year report on its talk work to the superior (6月、12月底前)."""

    __tablename__ = "talk_report"
    __table_args__ = (UniqueConstraint("org_unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    period: Mapped[str] = mapped_column(String(8))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    remarks: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    ack_note: Mapped[str | None] = mapped_column(Text)

    org_unit: Mapped[OrgUnit] = relationship()
    submitted_by: Mapped[Person | None] = relationship(foreign_keys=[submitted_by_id])
    acknowledged_by: Mapped[Person | None] = relationship(foreign_keys=[acknowledged_by_id])


class TalkReminder(Base):
    """A reminder sent to a branch secretary before the half year ends: members not yet talked with."""

    __tablename__ = "talk_reminder"
    __table_args__ = (UniqueConstraint("org_unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    period: Mapped[str] = mapped_column(String(8))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    uncovered: Mapped[list[str]] = mapped_column(JSON, default=list)


class TalkPlan(Base):
    """A branch's talk plan for a half year (谈话计划) with its fixed talk day (固定谈心工作日):
    seed 001 annex 4 §三（一）: "活动前要结合支部实际制定详细的谈话计划，可按月确定谈心安排表，固定
    谈心工作日" (migration 0016)."""

    __tablename__ = "talk_plan"
    __table_args__ = (UniqueConstraint("org_unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    period: Mapped[str] = mapped_column(String(8))
    talk_day: Mapped[int] = mapped_column(Integer)
    """Day of the month (1–28); on a rest day, the next working day."""
    note: Mapped[str | None] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entries: Mapped[list[TalkPlanEntry]] = relationship(
        back_populates="plan", order_by="TalkPlanEntry.id", cascade="all, delete-orphan"
    )


class TalkPlanEntry(Base):
    """One line of the monthly schedule (谈心安排表): who talks with whom in which month."""

    __tablename__ = "talk_plan_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("talk_plan.id", ondelete="CASCADE"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    talker_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("person.id"))

    plan: Mapped[TalkPlan] = relationship(back_populates="entries")
    talker: Mapped[Person] = relationship(foreign_keys=[talker_id])
    member: Mapped[Person] = relationship(foreign_keys=[member_id])
