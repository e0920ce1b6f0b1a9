"""Tables of the activity ledgers (docs/activities.md).

* ``activity_programme``: a recurring duty an organisation sets for its subtree (a good deed a
  month, city cleaning twice a month March–October, a visit to the paired household a quarter
  ...). Its numbers are data: cadence, quota per period, season months, per-unit quotas and the
  head's quota, all editable by the owning organisation.
* ``activity_record``: one thing a member did, for a programme or not: what, when, where, for
  whom, how long; ``submitted`` → ``confirmed`` or ``returned`` by the branch (the
  ``activity_report`` process). Only confirmed records count toward a quota.
* ``activity_tally``: per unit, programme and cadence period, how many members have at least 1,
  2, … ``DEPTH`` confirmed records there (kept with each confirmation, ``server.activities.tally``):
  the district's quota view sums these instead of counting every record.
* ``themed_campaign`` / ``themed_report``: a themed campaign with a window, activity lines and
  reporting dates (seed 002); each unit below reports its plan, progress and final summary,
  the organisation acknowledges or returns.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database import Base, UTCDateTime, utcnow
from server.org.models import OrgUnit, Person

CADENCES = ("month", "quarter", "year")
RECORD_STATES = ("submitted", "confirmed", "returned")


class ActivityProgramme(Base):
    __tablename__ = "activity_programme"
    __table_args__ = (UniqueConstraint("org_unit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    cadence: Mapped[str] = mapped_column(String(16))
    quota: Mapped[int]
    season_months: Mapped[list[int] | None] = mapped_column(JSON)
    """Months (1–12) in which the duty is due and may be recorded; null: all year."""
    unit_quotas: Mapped[dict[str, int] | None] = mapped_column(JSON)
    """Quota per period by org unit code: the member's nearest listed unit (or above) decides."""
    head_quota: Mapped[int | None]
    """Quota of the head of the member's unit (its secretary), when higher."""
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str | None] = mapped_column(Text)
    """The seed sentence the duty comes from."""
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()


class ActivityRecord(Base):
    __tablename__ = "activity_record"
    __table_args__ = (
        # Covers the quota's count (server.activities.quota.counts): no table lookups per record.
        Index("ix_activity_record_unit_state_done", "org_unit_id", "state", "member_id", "programme_id", "done_on"),
        Index("ix_activity_record_member_done", "member_id", "done_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("activity_programme.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    what: Mapped[str] = mapped_column(Text)
    done_on: Mapped[date]
    place: Mapped[str | None] = mapped_column(String(300))
    beneficiary: Mapped[str | None] = mapped_column(String(300))
    hours: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[ActivityProgramme | None] = relationship()
    org_unit: Mapped[OrgUnit] = relationship()
    member: Mapped[Person] = relationship(foreign_keys=[member_id])
    recorded_by: Mapped[Person] = relationship(foreign_keys=[recorded_by_id])
    reviewed_by: Mapped[Person | None] = relationship(foreign_keys=[reviewed_by_id])


TALLY_DEPTH = 8
"""``activity_tally`` counts members with at least 1 … 8 records in a cadence period: exact for any
quota up to 8 (``min(n, q) = Σ_{k≤q} [n ≥ k]``); a programme with a larger quota is counted from
the records (``server.activities.quota``)."""


class ActivityTally(Base):
    """Members of ``org_unit_id`` (as recorded on their records) with at least k confirmed records of
    ``programme_id`` in the cadence period starting at month index ``period`` (year × 12 + month − 1).
    Quota-free, so editing a quota, a season or a unit quota changes nothing here; a cadence change
    rebuilds the programme's rows (migration 0020)."""

    __tablename__ = "activity_tally"

    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("activity_programme.id"), primary_key=True)
    period: Mapped[int] = mapped_column(primary_key=True)
    at_least_1: Mapped[int] = mapped_column(default=0)
    at_least_2: Mapped[int] = mapped_column(default=0)
    at_least_3: Mapped[int] = mapped_column(default=0)
    at_least_4: Mapped[int] = mapped_column(default=0)
    at_least_5: Mapped[int] = mapped_column(default=0)
    at_least_6: Mapped[int] = mapped_column(default=0)
    at_least_7: Mapped[int] = mapped_column(default=0)
    at_least_8: Mapped[int] = mapped_column(default=0)


class ThemedCampaign(Base):
    __tablename__ = "themed_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """The activity lines: ``[{"code", "name", "description"}]``."""
    reporting: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """The reports each unit below owes: ``[{"kind": plan|progress|final, "due_on": "YYYY-MM-DD"}]``."""
    created_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()


class ThemedReport(Base):
    __tablename__ = "themed_report"
    __table_args__ = (UniqueConstraint("campaign_id", "org_unit_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("themed_campaign.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    seq: Mapped[int]
    """Index of the report in the campaign's ``reporting`` list."""
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    lines: Mapped[list[str] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    campaign: Mapped[ThemedCampaign] = relationship()
    org_unit: Mapped[OrgUnit] = relationship()
