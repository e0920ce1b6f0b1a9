"""detached multi-instance bodies: one engine state per body

Revision ID: 0007
Revises: 0001
Create Date: 2026-12-02 09:00:00

A self-contained multi-instance subprocess (a member's pledge in a branch)
runs each body as an engine state of its own, one ``instance_part`` row per
body, so that a step inside one body loads and saves that body only. Each
task row says which part it belongs to (``part_id``; NULL: the main workflow);
``process_instance.main_stage`` keeps the main workflow's own earliest open
stage, so that a step in a part can work out the instance's stage without
loading the main workflow.
docs/architecture.md explains the model.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.database import UTCDateTime

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("engine_task_id", sa.String(36), nullable=False),
        sa.Column("spec_name", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(64), nullable=True),
        sa.Column("engine_state", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_instance_part_instance_id_process_instance")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_part")),
        sa.UniqueConstraint("instance_id", "engine_task_id", name=op.f("uq_instance_part_instance_id_engine_task_id")),
    )
    op.create_index("ix_instance_part_instance_state", "instance_part", ["instance_id", "state"])
    with op.batch_alter_table("process_instance") as batch:
        batch.add_column(sa.Column("main_stage", sa.String(64), nullable=True))
    op.execute("UPDATE process_instance SET main_stage = stage")
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("part_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_task_part_id_instance_part"), "instance_part", ["part_id"], ["id"])
        batch.create_index("ix_task_part_id", ["part_id"])


def downgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.drop_index("ix_task_part_id")
        batch.drop_constraint("fk_task_part_id_instance_part", type_="foreignkey")
        batch.drop_column("part_id")
    with op.batch_alter_table("process_instance") as batch:
        batch.drop_column("main_stage")
    op.drop_index("ix_instance_part_instance_state", table_name="instance_part")
    op.drop_table("instance_part")
