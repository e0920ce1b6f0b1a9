"""Ledger tables of what issue 19 added to the campaign (migration 0016): the leader reviews that
recur during a campaign (领导集中点评), the branch's own pledge, the closing circular.

Kept apart from ``models.py`` (which holds the campaign's and the selection's ledgers) so that
each module stays readable in one sitting.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database import Base, UTCDateTime, utcnow
from server.org.models import OrgUnit, Person


class ReviewRound(Base):
    """One collective review (集中点评) by a unit's leaders in one period; keyed by its
    ``leader_review`` instance. A party committee reviews quarterly (``2026-Q4``), the
    district half-yearly (``2026H2``)."""

    __tablename__ = "review_round"
    __table_args__ = (UniqueConstraint("org_unit_id", "period"),)

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.instance_id"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UnitReview(Base):
    """The review of one organisation of the next level: achievements, problems, direction."""

    __tablename__ = "unit_review"
    __table_args__ = (UniqueConstraint("instance_id", "org_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("review_round.instance_id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.instance_id"))
    reviewer_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    achievements: Mapped[str] = mapped_column(Text)
    problems: Mapped[str] = mapped_column(Text)
    direction: Mapped[str] = mapped_column(Text)
    grade: Mapped[str | None] = mapped_column(String(24))
    """考核: excellent, qualified, basically_qualified or unqualified (optional)."""
    commended: Mapped[bool] = mapped_column(default=False)
    """评为先进: commended by the reviewing organisation (seed 003: "考核表彰")."""
    citation: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewer_unit: Mapped[OrgUnit] = relationship(foreign_keys=[reviewer_unit_id])
    reviewed_by: Mapped[Person | None] = relationship(foreign_keys=[reviewed_by_id])


class BranchPledge(Base):
    """The branch's own public pledge beside its members' (seed 004: "党组织和党员公开承诺"),
    made at mobilisation and published on its board."""

    __tablename__ = "branch_pledge"

    branch_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.instance_id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    content: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date]
    pledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    pledged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignCircular(Base):
    """The year-end inspection and circular (集中检查, 通报) that close a campaign."""

    __tablename__ = "campaign_circular"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.instance_id"), primary_key=True)
    inspection: Mapped[str] = mapped_column(Text)
    circular: Mapped[str] = mapped_column(Text)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BranchRating(Base):
    """One rater's grade of the branch itself in the mass appraisal (组织评议, seed 004: "党（工）委对
    基层党组织…组织党员群众进行评议"); confidential like the members' ratings, published as counts."""

    __tablename__ = "branch_rating"
    __table_args__ = (UniqueConstraint("branch_instance_id", "rater_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.instance_id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    rater_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    grade: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
