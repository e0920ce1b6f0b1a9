"""the seeds' rules: the selection's quota rule per organisation, the 联系党员 relation

Revision ID: 0016
Revises: 0001
Create Date: 2026-12-05 16:00:00

Issue 19. ``selection_rule``: how the branches under a unit apply "不超过本党支部党员人数的10%"
(a lower percentage, what a branch under 10 members does). ``member_contact``: the
committee members and group leaders who look after a member (seed 001 annex 4), whose
half-year talk coverage is tracked like the secretary's. New tables referencing org_unit
and person (0001): nothing existing is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.database import UTCDateTime

revision = "0016"
down_revision = "0001"
branch_labels = None
depends_on = None


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


def downgrade() -> None:
    op.drop_index("ix_member_contact_contact_id", table_name="member_contact")
    op.drop_index("ix_member_contact_org_unit_id", table_name="member_contact")
    op.drop_table("member_contact")
    op.drop_table("selection_rule")
