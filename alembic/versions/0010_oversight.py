"""work never stalls: absences, appraisal decisions, idempotency keys, the training clock

Revision ID: 0010
Revises: 0001
Create Date: 2026-12-08 09:00:00

* ``campaign_absence``: who a campaign branch or a selection round stopped waiting for
  when a stage closed (未承诺, 未参评, 未参加...) or an overseer withdrew him;
* ``campaign_branch.appraisal_decision`` / ``appraisal_decision_reason``: the superior
  organisation's decision when too few raters rated (added columns: no table rebuild);
* ``idempotency_key``: one row per (person, Idempotency-Key) with the answer replayed
  to a repeated request;
* ``clock_offset``: the demo and training clock's offset, shared by every process.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.database import UTCDateTime

revision = "0010"
down_revision = "0001"
branch_labels = None
depends_on = ("0003",)


def upgrade() -> None:
    op.create_table(
        "campaign_absence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("stage", sa.String(64), nullable=True),
        sa.Column("element_id", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("cause", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("instance_id", "person_id", "outcome"),
    )
    op.create_index("ix_campaign_absence_instance_id", "campaign_absence", ["instance_id"])
    op.add_column("campaign_branch", sa.Column("appraisal_decision", sa.String(16), nullable=True))
    op.add_column("campaign_branch", sa.Column("appraisal_decision_reason", sa.Text(), nullable=True))
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("location", sa.String(500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("person_id", "key"),
    )
    op.create_table(
        "clock_offset",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("clock_offset")
    op.drop_table("idempotency_key")
    with op.batch_alter_table("campaign_branch") as batch:
        batch.drop_column("appraisal_decision_reason")
        batch.drop_column("appraisal_decision")
    op.drop_index("ix_campaign_absence_instance_id", table_name="campaign_absence")
    op.drop_table("campaign_absence")
