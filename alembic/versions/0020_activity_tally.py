"""activity tally: the quota view's counters per unit, programme and cadence period

Revision ID: 0020
Revises: 0001
Create Date: 2026-12-05 19:00:00

Issue 20 (the district quota view of issue 18 at province scale). ``activity_tally``: for a
unit, a programme and one of its cadence periods, how many members have at least 1 … 8
confirmed records there; kept by the confirmation (``server.activities.tally``) and counted
here once from the records already confirmed. New table referencing org_unit (0001) and
activity_programme (0011): nothing existing is rebuilt. Two indexes for the view's corrections:
``ix_position_end`` / ``ix_position_start`` (member positions that ended or start later) and ``ix_person_inactive`` (partial: the few
inactive people).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.activities.tally import rebuild_statements

revision = "0020"
down_revision = "0001"
branch_labels = None
depends_on = ("0011",)

DEPTH = 8


def upgrade() -> None:
    op.create_table(
        "activity_tally",
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), primary_key=True),
        sa.Column("programme_id", sa.Integer(), sa.ForeignKey("activity_programme.id"), primary_key=True),
        sa.Column("period", sa.Integer(), primary_key=True),
        *[sa.Column(f"at_least_{k}", sa.Integer(), nullable=False) for k in range(1, DEPTH + 1)],
    )
    for stmt in rebuild_statements():
        op.execute(stmt)
    # The quota view finds people who left a unit or were deactivated without reading every row.
    op.create_index("ix_position_end", "position", ["end"])
    op.create_index("ix_position_start", "position", ["start"])
    op.create_index("ix_person_inactive", "person", ["id"], postgresql_where=sa.text("active = false"),
                    sqlite_where=sa.text("active = 0"))


def downgrade() -> None:
    op.drop_index("ix_person_inactive", table_name="person")
    op.drop_index("ix_position_start", table_name="position")
    op.drop_index("ix_position_end", table_name="position")
    op.drop_table("activity_tally")
