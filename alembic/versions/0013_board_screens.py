"""wall screens: revocable links to a unit's public board without an account

Revision ID: 0013
Revises: 0001
Create Date: 2026-12-05 14:00:00

One row per link a secretary or org_admin hands to a screen in the party activity room
(issue 17.10). Only the SHA-256 of the secret token is stored; revoking sets revoked_at.
A new table referencing org_unit and person (0001): nothing existing is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.database import UTCDateTime

revision = "0013"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "board_screen",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("last_seen_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_board_screen_org_unit_id", "board_screen", ["org_unit_id"])


def downgrade() -> None:
    op.drop_index("ix_board_screen_org_unit_id", table_name="board_screen")
    op.drop_table("board_screen")
