"""the organisation kept in the product: dissolved and merged units

Revision ID: 0014
Revises: 0001
Create Date: 2026-12-05 16:00:00

A unit is never deleted (its instances, tasks, ledgers and audit rows name it): dissolving
sets ``org_unit.dissolved_at``, merging also ``merged_into_id`` (issue 15.1). Two nullable
columns added to ``org_unit`` (0001): nothing existing is rebuilt (SQLite adds a column with
its ``REFERENCES`` in place).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.database import UTCDateTime

revision = "0014"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("org_unit", sa.Column("dissolved_at", UTCDateTime(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":  # alembic alters no constraint there: the column carries it
        op.execute("ALTER TABLE org_unit ADD COLUMN merged_into_id INTEGER "
                   "CONSTRAINT fk_org_unit_merged_into_id_org_unit REFERENCES org_unit (id)")
    else:
        op.add_column("org_unit", sa.Column("merged_into_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_org_unit_merged_into_id_org_unit", "org_unit", "org_unit",
                              ["merged_into_id"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_org_unit_merged_into_id_org_unit", "org_unit", type_="foreignkey")
    op.drop_column("org_unit", "merged_into_id")
    op.drop_column("org_unit", "dissolved_at")
