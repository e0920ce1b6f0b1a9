"""The campaign's mass appraisal starts must-talks (八必谈: 民主评议中“基本合格”和“不合格”票数较多的必谈).

When a campaign branch publishes its appraisal (every rater has rated), each member
graded "basically qualified" or "unqualified", or with at least a third of such votes,
gets a must-talk for the branch secretary (``server.talks.starts.on_appraisal_results``).
This bridge watches the campaign branch's own saves, so the campaign needs no call into
the talk loop; the talks' sources (``campaign:<campaign>:<branch instance>:<member>``)
make it start each talk once however often the branch is saved.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from server import audit
from server.campaign.appraisal import appraisal_results
from server.campaign.models import CampaignBranch
from server.campaign.plan import BRANCH
from server.talks.starts import on_appraisal_results
from server.workflow.engine import Snapshot
from server.workflow.hooks import ProcessFamily
from server.workflow.models import ProcessInstance

CHECKED = "talk.appraisal_checked"


def on_branch_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    if snapshot.part is not None:
        return  # appraisals are published by the branch's main workflow
    if instance.lock_version == 1:
        return  # a branch's first save (its start) has nothing of the kind yet
    branch = session.get(CampaignBranch, instance.id)
    if branch is None or branch.appraisal_published_at is None:
        return
    if audit.has_event(session, instance.id, CHECKED):
        return
    talks = on_appraisal_results(session, branch.org_unit, appraisal_results(session, instance.id),
                                 source_prefix=f"campaign:{branch.campaign_id}:{instance.id}")
    audit.record(session, CHECKED, actor=None, instance_id=instance.id,
                 must_talks=[{"talk_id": t.id, "member": t.subject.username} for t in talks])


FAMILY = ProcessFamily(name="appraisal → must-talks", saves={BRANCH: on_branch_saved})
