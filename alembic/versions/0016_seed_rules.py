"""the seeds' rules: the selection's quota rule, the 联系党员 relation, recurring leader reviews

Revision ID: 0016
Revises: 0001
Create Date: 2026-12-05 16:00:00

Issue 19. ``selection_rule``: how the branches under a unit apply "不超过本党支部党员人数的10%"
(a lower percentage, what a branch under 10 members does). ``member_contact``: the
committee members and group leaders who look after a member (seed 001 annex 4), whose
half-year talk coverage is tracked like the secretary's. ``review_round`` and
``unit_review``: the collective leader reviews that recur during a campaign (seed 004).
``branch_pledge``: the branch's own public pledge; ``branch_rating``: the branch itself
rated in the mass appraisal; ``campaign_circular``: the year-end inspection and circular;
``talk_plan`` and ``talk_plan_entry``: a branch's half-year talk plan, fixed talk day and
monthly schedule. New tables referencing org_unit, person, process_instance (0001) and
campaign (0003): nothing existing is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.database import UTCDateTime

revision = "0016"
down_revision = "0001"
branch_labels = None
depends_on = ("0003",)


def upgrade() -> None:
    op.create_table(
        "selection_rule",
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), primary_key=True),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("small_branch", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("set_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("set_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "member_contact",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("org_unit_id", "member_id", "contact_id"),
    )
    op.create_index("ix_member_contact_org_unit_id", "member_contact", ["org_unit_id"])
    op.create_index("ix_member_contact_contact_id", "member_contact", ["contact_id"])
    op.create_table(
        "review_round",
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), primary_key=True),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.instance_id"), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("org_unit_id", "period"),
    )
    op.create_index("ix_review_round_campaign_id", "review_round", ["campaign_id"])
    op.create_table(
        "unit_review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("review_round.instance_id"), nullable=False),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.instance_id"), nullable=False),
        sa.Column("reviewer_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("achievements", sa.Text(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=False),
        sa.Column("grade", sa.String(24), nullable=True),
        sa.Column("commended", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("citation", sa.Text(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("instance_id", "org_unit_id"),
    )
    op.create_index("ix_unit_review_org_unit_id", "unit_review", ["org_unit_id"])
    op.create_table(
        "branch_pledge",
        sa.Column("branch_instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.instance_id"), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("pledged_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("pledged_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_branch_pledge_campaign_id", "branch_pledge", ["campaign_id"])
    op.create_table(
        "branch_rating",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("branch_instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), nullable=False),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.instance_id"), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("rater_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("grade", sa.String(24), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("branch_instance_id", "rater_id"),
    )
    op.create_index("ix_branch_rating_campaign_id", "branch_rating", ["campaign_id"])
    op.create_table(
        "talk_plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("talk_day", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("org_unit_id", "period"),
    )
    op.create_table(
        "talk_plan_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("talk_plan.id", ondelete="CASCADE"), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("talker_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
    )
    op.create_index("ix_talk_plan_entry_plan_id", "talk_plan_entry", ["plan_id"])
    op.create_table(
        "campaign_circular",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.instance_id"), primary_key=True),
        sa.Column("inspection", sa.Text(), nullable=False),
        sa.Column("circular", sa.Text(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("campaign_circular")
    op.drop_index("ix_talk_plan_entry_plan_id", table_name="talk_plan_entry")
    op.drop_table("talk_plan_entry")
    op.drop_table("talk_plan")
    op.drop_index("ix_branch_rating_campaign_id", table_name="branch_rating")
    op.drop_table("branch_rating")
    op.drop_index("ix_branch_pledge_campaign_id", table_name="branch_pledge")
    op.drop_table("branch_pledge")
    op.drop_index("ix_unit_review_org_unit_id", table_name="unit_review")
    op.drop_table("unit_review")
    op.drop_index("ix_review_round_campaign_id", table_name="review_round")
    op.drop_table("review_round")
    op.drop_index("ix_member_contact_contact_id", table_name="member_contact")
    op.drop_index("ix_member_contact_org_unit_id", table_name="member_contact")
    op.drop_table("member_contact")
    op.drop_table("selection_rule")
