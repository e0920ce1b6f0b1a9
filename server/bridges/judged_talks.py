"""Must-talks (八必谈) started by the platform's own records (seed 001 annex 4 §三（二）):

* a selection's investigation (调查核实, after a "较差" feedback) that ends in ``talk``
  (谈心谈话，提醒改进) starts a must-talk for "有苗头性倾向性问题"; one that ends in
  ``organisational`` (按规定作出组织处理) starts one for "受到表彰或处罚";
* a member commended by a campaign branch (评选表彰, ``campaign_commendation``) starts a
  must-talk for "受到表彰或处罚".

Like ``appraisal_talks``, the bridge watches the saves of the processes that write those
records, so neither the campaign nor the selection calls into the talk loop; each talk's
``source`` (``selection:<instance>:<member>``, ``commendation:<id>``) starts it once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.campaign.models import CampaignBranch, CampaignCommendation, SelectionFeedback
from server.campaign.plan import BRANCH
from server.campaign.selection import SELECTION
from server.talks.models import Talk
from server.talks.starts import start_must_talk
from server.workflow.engine import Snapshot
from server.workflow.hooks import ProcessFamily
from server.workflow.models import ProcessInstance

INVESTIGATION_TRIGGERS = {"talk": "emerging_problem", "organisational": "commendation_or_punishment"}


def on_selection_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    if not snapshot.data.get("investigate_list"):
        return  # no feedback asked for an investigation
    rows = session.scalars(
        select(SelectionFeedback).where(SelectionFeedback.instance_id == instance.id,
                                        SelectionFeedback.action.in_(list(INVESTIGATION_TRIGGERS)))
        .order_by(SelectionFeedback.id)
    ).all()
    for row in rows:
        assert row.action is not None
        start_must_talk(session, instance.org_unit_id, row.person.username, INVESTIGATION_TRIGGERS[row.action],
                        source=f"selection:{instance.id}:{row.person.username}",
                        note=f"优秀党员评选后调查核实：{row.findings or ''}"[:2000])


def on_branch_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    if snapshot.part is not None:
        return  # commendations are written by the branch's main workflow
    if instance.lock_version == 1:
        return  # a branch's first save (its start) has nothing of the kind yet
    branch = session.get(CampaignBranch, instance.id)
    if branch is None or branch.commended_at is None:
        return
    for row in session.scalars(
        select(CampaignCommendation).where(CampaignCommendation.branch_instance_id == instance.id,
                                           CampaignCommendation.kind == "member")
        .order_by(CampaignCommendation.id)
    ):
        assert row.person is not None
        if session.scalar(select(Talk.id).where(Talk.source == f"commendation:{row.id}")) is not None:
            continue  # started before 2026-12-05 under the row's id
        # Named by the branch run and the member, not the row's id: a rolled-back attempt (a script
        # evaluated outside the lock, server/workflow/engine/replay.py) draws a new id on PostgreSQL,
        # and the talk's data must be the same at every attempt for its scripts to be replayed.
        start_must_talk(session, branch.org_unit_id, row.person.username, "commendation_or_punishment",
                        source=f"commendation:{instance.id}:{row.person.username}",
                        note=f"受到表彰：{row.citation}"[:2000])


FAMILY = ProcessFamily(name="records → must-talks", saves={SELECTION: on_selection_saved, BRANCH: on_branch_saved})
