"""Counters of the stage roll-up (issue 20): one row per branch run, and its open tasks by due date.

The roll-up of a unit (``GET /api/org-units/{unit}/campaign-progress``) sums these rows over
the unit's subtree instead of aggregating every branch's pledges, ratings and tasks on every
request. They are written by ``server.campaign.rollup.refresh`` in the transaction of every
step of the branch instance (save hooks, cancellation), recounting that one branch from the
base tables, so a counter never disagrees with its ledger (migration ``0017`` backfills them).

The unit's path is not copied here: a subtree is found through ``org_unit.path`` at read
time, so moving a unit (``server.orgadmin.units.move``) needs no counter update. No row is
shared by two branches: a completion never waits on a district-wide counter.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.database import Base, UTCDateTime


class CampaignBranchCount(Base):
    """One branch run's stage and counts (the figures the roll-up sums)."""

    __tablename__ = "campaign_branch_count"
    __table_args__ = (Index("ix_campaign_branch_count_campaign_unit", "campaign_id", "org_unit_id"),)

    branch_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.instance_id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    state: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(64))
    members: Mapped[int] = mapped_column(Integer, default=0)
    pledged: Mapped[int] = mapped_column(Integer, default=0)
    approved: Mapped[int] = mapped_column(Integer, default=0)
    fulfilled: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    appraised: Mapped[int] = mapped_column(Integer, default=0)
    raters_done: Mapped[int] = mapped_column(Integer, default=0)


class CampaignBranchDue(Base):
    """A branch run's open tasks that have a due date, counted per due date.

    Overdue counts depend on the clock: the roll-up sums the rows whose ``due_at`` has
    passed. Tasks of one branch share few due dates (every pledge is due on
    ``timetable.pledge``), so a branch has a handful of rows, not one per task.
    """

    __tablename__ = "campaign_branch_due"
    __table_args__ = (Index("ix_campaign_branch_due_campaign_due", "campaign_id", "due_at"),)

    branch_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.instance_id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    tasks: Mapped[int] = mapped_column(Integer, default=0)
    pledges: Mapped[int] = mapped_column(Integer, default=0)
    """Of ``tasks``, the members' ``DraftPledge`` tasks (``overdue_pledges``)."""
