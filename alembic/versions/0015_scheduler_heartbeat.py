"""scheduler heartbeat: when each scheduler process last ran a pass (GET /readyz)

Revision ID: 0015
Revises: 0001
Create Date: 2026-12-05 16:00:00

One row per scheduler process (embedded thread, standalone loop, Celery dispatcher), keyed by
``host:pid`` (issue 22.4). A new table referencing nothing: nothing existing is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.database import UTCDateTime

revision = "0015"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_heartbeat",
        sa.Column("worker", sa.String(120), primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("beat_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_scheduler_heartbeat_beat_at", "scheduler_heartbeat", ["beat_at"])


def downgrade() -> None:
    op.drop_index("ix_scheduler_heartbeat_beat_at", table_name="scheduler_heartbeat")
    op.drop_table("scheduler_heartbeat")
