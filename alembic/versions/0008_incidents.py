"""incidents: a step that failed in a script or an expression, kept for its overseers

Revision ID: 0008
Revises: 0001
Create Date: 2026-12-05 16:00:00

One row per failure of a script, gateway condition, timer expression or decision (issue
14.2): the step was rolled back, the row says where and why, counts repeats, and is
resolved by the next successful save of the instance. A new table referencing
process_instance, timer_job (0002) and person: nothing existing is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.database import UTCDateTime

revision = "0008"
down_revision = "0001"
branch_labels = None
depends_on = ("0002",)


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), nullable=False),
        sa.Column("element_id", sa.String(128), nullable=True),
        sa.Column("error_class", sa.String(100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("cause", sa.String(16), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("timer_job.id"), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("last_occurred_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
    )
    op.create_index("ix_incident_state_instance", "incident", ["state", "instance_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_state_instance", table_name="incident")
    op.drop_table("incident")
