"""The schedules the seeds ask for, shipped enabled (added at start, once; org_admins edit them).

* seed 001 §6: "党支部每个季度要组织评选1次优秀党员": ``excellent_member_selection`` in every
  branch, quarterly;
* seed 004 §四（二）: "各单位党（工）委主要负责人每季度对下一级党组织进行一次集中点评":
  ``leader_review`` in every party committee, quarterly; "区委领导每半年对各单位党（工）委开展活动
  进行一次集中点评": ``leader_review`` at the district, half-yearly. Outside a running campaign
  these starts are passed by (``server.campaign.reviews``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.campaign.reviews import REVIEW
from server.campaign.selection import SELECTION
from server.org.models import OrgUnit
from server.workflow.models import Schedule
from server.workflow.schedules import ensure_shipped

SHIPPED = ((SELECTION, "branch", "quarterly"), (REVIEW, "party_committee", "quarterly"),
           (REVIEW, "district", "half_yearly"))


def ensure_shipped_schedules(session: Session) -> list[Schedule]:
    """One schedule of each kind under every top unit that has none yet."""
    roots = session.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)).all()
    made = [ensure_shipped(session, key, root, unit_type, cadence) for root in roots
            for key, unit_type, cadence in SHIPPED]
    return [s for s in made if s is not None]
