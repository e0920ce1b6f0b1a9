"""Ledger tables (台账) of the vanguard campaign and the quarterly excellent-member selection.

The BPMN processes (``vanguard_campaign``, ``vanguard_campaign_branch``,
``excellent_member_selection``) decide who does what and when; these rows are
what boards, roll-ups and exports read with plain SQL. They are written by
completion hooks in the same transaction as the task completion that produces
them, so a ledger never disagrees with the process.

Ratings and peer evaluations are confidential form fields: they live only here
(never in engine state, task rows or the audit trail), and only aggregates are
published.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database import Base, UTCDateTime, utcnow
from server.org.models import OrgUnit, Person

LAUNCH_PENDING = "pending"
LAUNCH_RUNNING = "running"
LAUNCH_DONE = "done"
LAUNCH_FAILED = "failed"

GRADES = ("excellent", "qualified", "basically_qualified", "unqualified")
"""优秀 / 合格 / 基本合格 / 不合格."""


class Campaign(Base):
    """The plan (实施方案) of one vanguard campaign; keyed by its ``vanguard_campaign`` instance."""

    __tablename__ = "campaign"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    theme: Mapped[str] = mapped_column(String(200))
    carrier: Mapped[str] = mapped_column(String(500))
    timetable: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    target_unit_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    launched_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[str | None] = mapped_column(Text)

    org_unit: Mapped[OrgUnit] = relationship()


class CampaignLaunch(Base):
    """The fan-out of a campaign to its branches, done in batches outside the request.

    ``cursor_unit_id`` is the last target unit handled (targets are taken in id
    order), so a batch that ran twice or a worker that died loses nothing.
    """

    __tablename__ = "campaign_launch"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.instance_id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=LAUNCH_PENDING)
    total: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    batch_size: Mapped[int] = mapped_column(Integer, default=50)
    batches: Mapped[int] = mapped_column(Integer, default=0)
    cursor_unit_id: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignBranch(Base):
    """One branch's run of a campaign: its own theme, meeting, leader review, results."""

    __tablename__ = "campaign_branch"
    __table_args__ = (UniqueConstraint("campaign_id", "org_unit_id"),)

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.instance_id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    rater_count: Mapped[int] = mapped_column(Integer, default=0)
    theme: Mapped[str | None] = mapped_column(String(200))
    carrier: Mapped[str | None] = mapped_column(String(500))
    meeting_date: Mapped[date | None]
    meeting_place: Mapped[str | None] = mapped_column(String(200))
    attendance: Mapped[int | None] = mapped_column(Integer)
    mobilised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_achievements: Mapped[str | None] = mapped_column(Text)
    review_problems: Mapped[str | None] = mapped_column(Text)
    review_direction: Mapped[str | None] = mapped_column(Text)
    review_member_comments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appraisal_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Too few raters (docs/campaign.md, "minimum participation"): the overseer's decision and why.
    appraisal_decision: Mapped[str | None] = mapped_column(String(16))
    appraisal_decision_reason: Mapped[str | None] = mapped_column(Text)
    commended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    commended_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    org_unit: Mapped[OrgUnit] = relationship()
    reviewed_by: Mapped[Person | None] = relationship(foreign_keys=[reviewed_by_id])


class CampaignPledge(Base):
    """A member's public pledge (公开承诺) and its fulfilment (践诺) and rating (评诺)."""

    __tablename__ = "campaign_pledge"
    __table_args__ = (
        UniqueConstraint("branch_instance_id", "person_id"),
        Index("ix_campaign_pledge_campaign_state", "campaign_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.instance_id"))
    branch_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    """submitted, returned, approved, reported, rated."""
    content: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date]
    returns: Mapped[int] = mapped_column(Integer, default=0)
    return_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    report: Mapped[str | None] = mapped_column(Text)
    completed_on: Mapped[date | None]
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[str | None] = mapped_column(String(16))
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    person: Mapped[Person] = relationship(foreign_keys=[person_id])


class CampaignRating(Base):
    """One rater's grades for one member in the mass appraisal (群众评议); confidential."""

    __tablename__ = "campaign_rating"
    __table_args__ = (
        UniqueConstraint("branch_instance_id", "rater_id", "ratee_id"),
        Index("ix_campaign_rating_campaign_branch", "campaign_id", "branch_instance_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.instance_id"))
    branch_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    rater_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    ratee_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    party_spirit: Mapped[str] = mapped_column(String(24))
    service: Mapped[str] = mapped_column(String(24))
    vanguard: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignCommendation(Base):
    """A published commendation (表彰): an advanced branch or an excellent member."""

    __tablename__ = "campaign_commendation"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.instance_id"), index=True)
    branch_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    """branch (先进基层党组织) or member (优秀共产党员)."""
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    citation: Mapped[str] = mapped_column(Text, default="")
    commended_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    commended_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])


class CampaignAbsence(Base):
    """Someone the process stopped waiting for: 未承诺, 未参评, 未参加... (``server.campaign.absences``).

    Written when a stage's date passed (``cause`` ``deadline``), an overseer closed the stage
    early (``closed_early``) or took the person out (``withdrawn``); ``element_id`` is where
    the process was waiting for him. Campaign branch runs and selection rounds alike.
    """

    __tablename__ = "campaign_absence"
    __table_args__ = (UniqueConstraint("instance_id", "person_id", "outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    stage: Mapped[str | None] = mapped_column(String(64))
    element_id: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(24))
    cause: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])


# -- quarterly excellent-member selection ---------------------------------------------------------


class SelectionRound(Base):
    """One branch's quarterly selection; keyed by its ``excellent_member_selection`` instance."""

    __tablename__ = "selection_round"
    __table_args__ = (Index("ix_selection_round_unit_quarter", "org_unit_id", "quarter"),)

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    quarter: Mapped[str] = mapped_column(String(8))
    member_count: Mapped[int] = mapped_column(Integer)
    quota: Mapped[int] = mapped_column(Integer)
    notice_days: Mapped[int] = mapped_column(Integer, default=5)
    notice_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()


class SelectionRule(Base):
    """How a unit's branches apply "不超过本党支部党员人数的10%" where the seed leaves room (migration 0016).

    Set on a district, party committee, general branch or branch; a branch follows the
    nearest setting on its path (``server.campaign.quota``), else the default (10%, a branch
    under 10 members runs its round without candidates).
    """

    __tablename__ = "selection_rule"

    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    percent: Mapped[int] = mapped_column(Integer, default=10)
    small_branch: Mapped[str] = mapped_column(String(16), default="evaluate")
    """``evaluate``: a branch whose quota is 0 runs the round (evaluation, notice, feedback) with no
    candidate; ``no_round``: its round is not started (the schedule passes it by)."""
    note: Mapped[str | None] = mapped_column(Text)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SelectionEvaluation(Base):
    """A self-evaluation (evaluator = subject) or a peer evaluation; peers are confidential."""

    __tablename__ = "selection_evaluation"
    __table_args__ = (UniqueConstraint("instance_id", "evaluator_id", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    grade: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SelectionCandidate(Base):
    """A proposed excellent member: proposed → (withdrawn after an upheld objection) → confirmed."""

    __tablename__ = "selection_candidate"
    __table_args__ = (UniqueConstraint("instance_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()


class SelectionObjection(Base):
    """An objection raised during the public notice (公示) and its resolution.

    Who objected is kept for the secretary's follow-up but is never published.
    """

    __tablename__ = "selection_objection"
    __table_args__ = (UniqueConstraint("instance_id", "candidate_id", "objector_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    objector_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(16))
    """dismissed or upheld."""
    reply: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    candidate: Mapped[Person] = relationship(foreign_keys=[candidate_id])


class SelectionFeedback(Base):
    """The secretary's feedback to one member after the selection, and any investigation."""

    __tablename__ = "selection_feedback"
    __table_args__ = (UniqueConstraint("instance_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    grade: Mapped[str] = mapped_column(String(16))
    """affirmed, problems or investigate."""
    comment: Mapped[str] = mapped_column(Text)
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(String(24))
    investigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])


class BoardScreen(Base):
    """A wall screen in a party activity room: a secret link to one unit's public board that works
    without an account (issue 17.10). Only the SHA-256 of the token is kept; revoking ends it."""

    __tablename__ = "board_screen"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org_unit: Mapped[OrgUnit] = relationship()
    created_by: Mapped[Person] = relationship(foreign_keys=[created_by_id])
