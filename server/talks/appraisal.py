"""The campaign's mass appraisal starts must-talks (八必谈: 民主评议中“基本合格”和“不合格”票数较多的必谈).

When a campaign branch publishes its appraisal (every rater has rated), each member
graded "basically qualified" or "unqualified", or with at least a third of such votes,
gets a must-talk for the branch secretary (``server.talks.talks.on_appraisal_results``). This
bridge watches the campaign's own saves, so the campaign needs no call into the talk
loop; the talks' sources (``campaign:<campaign>:<branch instance>:<member>``) make it
start each talk once however often the branch is saved.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from server import audit
from server.talks.talks import on_appraisal_results
from server.workflow.engine import Snapshot
from server.workflow.instances import register_save_hook
from server.workflow.models import ProcessInstance

CAMPAIGN_BRANCH_KEY = "vanguard_campaign_branch"
CHECKED = "talk.appraisal_checked"


def _on_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    if snapshot.part is not None or instance.definition.key != CAMPAIGN_BRANCH_KEY:
        return  # appraisals are published by the branch's main workflow
    try:
        from server.campaign.models import CampaignBranch
        from server.campaign.rules import appraisal_results
    except ImportError:  # the campaign is not installed
        return
    branch = session.get(CampaignBranch, instance.id)
    if branch is None or branch.appraisal_published_at is None:
        return
    if audit.has_event(session, instance.id, CHECKED):
        return
    talks = on_appraisal_results(session, branch.org_unit, appraisal_results(session, instance.id),
                                 source_prefix=f"campaign:{branch.campaign_id}:{instance.id}")
    audit.record(session, CHECKED, actor=None, instance_id=instance.id,
                 must_talks=[{"talk_id": t.id, "member": t.subject.username} for t in talks])


register_save_hook(_on_saved)
