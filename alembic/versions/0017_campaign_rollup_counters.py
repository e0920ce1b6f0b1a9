"""the stage roll-up's counters: one row per branch run, its open tasks per due date

Revision ID: 0017
Revises: 0001
Create Date: 2026-12-05 19:00:00

Issue 20. ``campaign_branch_count``: a branch run's state, stage and counts (members at launch,
pledged, approved, fulfilled, rated, appraised, raters_done); ``campaign_branch_due``: its open
tasks with a due date, per due date (with how many are pledge drafts). The roll-up sums them
over a subtree instead of aggregating the ledgers on every request; the server keeps them in
the transaction of every step of the branch instance (``server.campaign.rollup``).

Backfilled here for every existing branch run (running or finished: a closed campaign's
roll-up is still read), by the same counts the roll-up used to compute per request. New tables
referencing process_instance, org_unit (0001) and campaign (0003); nothing existing is rebuilt.
``python -m server repair-rollup`` recounts them later if ever needed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.database import UTCDateTime

revision = "0017"
down_revision = "0001"
branch_labels = None
depends_on = ("0003",)


def upgrade() -> None:
    op.create_table(
        "campaign_branch_count",
        sa.Column("branch_instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.instance_id"), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(64), nullable=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in
          ("members", "pledged", "approved", "fulfilled", "rated", "appraised", "raters_done")],
    )
    op.create_index("ix_campaign_branch_count_campaign_unit", "campaign_branch_count", ["campaign_id", "org_unit_id"])
    op.create_table(
        "campaign_branch_due",
        sa.Column("branch_instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), primary_key=True),
        sa.Column("due_at", UTCDateTime(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.instance_id"), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column("pledges", sa.Integer(), nullable=False),
    )
    op.create_index("ix_campaign_branch_due_campaign_due", "campaign_branch_due", ["campaign_id", "due_at"])
    op.execute("""
        INSERT INTO campaign_branch_count (branch_instance_id, campaign_id, org_unit_id, state, stage, members,
                                           pledged, approved, fulfilled, rated, appraised, raters_done)
        SELECT b.instance_id, b.campaign_id, b.org_unit_id, i.state, i.stage, b.member_count,
               (SELECT count(p.id) FROM campaign_pledge p WHERE p.branch_instance_id = b.instance_id),
               (SELECT count(p.approved_at) FROM campaign_pledge p WHERE p.branch_instance_id = b.instance_id),
               (SELECT count(p.reported_at) FROM campaign_pledge p WHERE p.branch_instance_id = b.instance_id),
               (SELECT count(p.rated_at) FROM campaign_pledge p WHERE p.branch_instance_id = b.instance_id),
               (SELECT count(DISTINCT r.ratee_id) FROM campaign_rating r WHERE r.branch_instance_id = b.instance_id),
               (SELECT count(DISTINCT r.rater_id) FROM campaign_rating r WHERE r.branch_instance_id = b.instance_id)
        FROM campaign_branch b JOIN process_instance i ON i.id = b.instance_id
    """)
    op.execute("""
        INSERT INTO campaign_branch_due (branch_instance_id, due_at, campaign_id, org_unit_id, tasks, pledges)
        SELECT t.instance_id, t.due_at, b.campaign_id, b.org_unit_id, count(t.id),
               sum(CASE WHEN t.element_id = 'DraftPledge' THEN 1 ELSE 0 END)
        FROM task t JOIN campaign_branch b ON b.instance_id = t.instance_id
        WHERE t.state = 'open' AND t.due_at IS NOT NULL
        GROUP BY t.instance_id, t.due_at, b.campaign_id, b.org_unit_id
    """)


def downgrade() -> None:
    op.drop_index("ix_campaign_branch_due_campaign_due", table_name="campaign_branch_due")
    op.drop_table("campaign_branch_due")
    op.drop_index("ix_campaign_branch_count_campaign_unit", table_name="campaign_branch_count")
    op.drop_table("campaign_branch_count")
