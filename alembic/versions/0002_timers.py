"""timers, due dates, schedules and notifications

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.database

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=128), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_type", sa.String(length=32), nullable=False),
        sa.Column("cadence", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("last_run_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("updated_at", server.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["person.id"], name=op.f("fk_schedule_created_by_id_person")),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"], name=op.f("fk_schedule_org_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule")),
    )
    op.create_table(
        "timer_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("engine_task_id", sa.String(length=36), nullable=True),
        sa.Column("element_id", sa.String(length=128), nullable=True),
        sa.Column("due_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retry_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("locked_until", server.database.UTCDateTime(), nullable=True),
        sa.Column("fired_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("fired_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"],
                                name=op.f("fk_timer_job_instance_id_process_instance")),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"], name=op.f("fk_timer_job_org_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["schedule_id"], ["schedule.id"], name=op.f("fk_timer_job_schedule_id_schedule")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timer_job")),
        sa.UniqueConstraint("key", name=op.f("uq_timer_job_key")),
    )
    with op.batch_alter_table("timer_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timer_job_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_timer_job_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_timer_job_schedule_id"), ["schedule_id"], unique=False)
        batch_op.create_index("ix_timer_job_state_due", ["state", "due_at"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("read_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("email_state", sa.String(length=16), nullable=True),
        sa.Column("email_attempts", sa.Integer(), nullable=False),
        sa.Column("email_retry_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("emailed_at", server.database.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"],
                                name=op.f("fk_notification_instance_id_process_instance")),
        sa.ForeignKeyConstraint(["job_id"], ["timer_job.id"], name=op.f("fk_notification_job_id_timer_job")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_notification_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("job_id", "person_id", name=op.f("uq_notification_job_id_person_id")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_person_read", ["person_id", "read_at"], unique=False)
        batch_op.create_index("ix_notification_email_state", ["email_state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_email_state")
        batch_op.drop_index("ix_notification_person_read")
    op.drop_table("notification")
    with op.batch_alter_table("timer_job", schema=None) as batch_op:
        batch_op.drop_index("ix_timer_job_state_due")
        batch_op.drop_index(batch_op.f("ix_timer_job_schedule_id"))
        batch_op.drop_index(batch_op.f("ix_timer_job_task_id"))
        batch_op.drop_index(batch_op.f("ix_timer_job_instance_id"))
    op.drop_table("timer_job")
    op.drop_table("schedule")
