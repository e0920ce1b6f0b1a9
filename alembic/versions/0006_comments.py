"""comments on process instances

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-23 11:00:00

One row per comment written on an instance page; visible to whoever may see
the instance. Each comment is also recorded in the audit trail.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.database import UTCDateTime

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_comment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_instance_comment_instance", "instance_comment", ["instance_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_instance_comment_instance", table_name="instance_comment")
    op.drop_table("instance_comment")
