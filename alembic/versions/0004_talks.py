"""talk loop: talks, confidential parts, problem items, follow-ups, breaches, reports, reminders

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa

import server.database
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "talk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("talker_id", sa.Integer(), nullable=True),
        sa.Column("requested_with", sa.String(length=32), nullable=True),
        sa.Column("requested_person_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("preferred_times", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("answer_due_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("answered_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("scheduled_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("way", sa.String(length=32), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("main_content", sa.Text(), nullable=True),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("recorded_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.Column("closed_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"],
                                name=op.f("fk_talk_instance_id_process_instance")),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"], name=op.f("fk_talk_org_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["subject_id"], ["person.id"], name=op.f("fk_talk_subject_id_person")),
        sa.ForeignKeyConstraint(["talker_id"], ["person.id"], name=op.f("fk_talk_talker_id_person")),
        sa.ForeignKeyConstraint(["requested_person_id"], ["person.id"],
                                name=op.f("fk_talk_requested_person_id_person")),
        sa.ForeignKeyConstraint(["answered_by_id"], ["person.id"], name=op.f("fk_talk_answered_by_id_person")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["person.id"], name=op.f("fk_talk_recorded_by_id_person")),
        sa.ForeignKeyConstraint(["closed_by_id"], ["person.id"], name=op.f("fk_talk_closed_by_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talk")),
        sa.UniqueConstraint("instance_id", name=op.f("uq_talk_instance_id")),
        sa.UniqueConstraint("source", name=op.f("uq_talk_source")),
    )
    with op.batch_alter_table("talk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talk_subject_id"), ["subject_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_talk_talker_id"), ["talker_id"], unique=False)
        batch_op.create_index("ix_talk_unit_state", ["org_unit_id", "state"], unique=False)
        batch_op.create_index("ix_talk_unit_held", ["org_unit_id", "held_on"], unique=False)

    op.create_table(
        "talk_confidential",
        sa.Column("talk_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", server.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["talk_id"], ["talk.id"], name=op.f("fk_talk_confidential_talk_id_talk"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["person.id"],
                                name=op.f("fk_talk_confidential_recorded_by_id_person")),
        sa.PrimaryKeyConstraint("talk_id", name=op.f("pk_talk_confidential")),
    )

    op.create_table(
        "talk_problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("talk_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("closed_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("close_criteria", sa.JSON(), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["talk_id"], ["talk.id"], name=op.f("fk_talk_problem_talk_id_talk"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"], name=op.f("fk_talk_problem_org_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["owner_id"], ["person.id"], name=op.f("fk_talk_problem_owner_id_person")),
        sa.ForeignKeyConstraint(["closed_by_id"], ["person.id"], name=op.f("fk_talk_problem_closed_by_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talk_problem")),
        sa.UniqueConstraint("talk_id", "seq", name=op.f("uq_talk_problem_talk_id_seq")),
    )
    with op.batch_alter_table("talk_problem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talk_problem_talk_id"), ["talk_id"], unique=False)
        batch_op.create_index("ix_talk_problem_unit_state", ["org_unit_id", "state", "deadline"], unique=False)

    op.create_table(
        "talk_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("at", server.database.UTCDateTime(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["problem_id"], ["talk_problem.id"],
                                name=op.f("fk_talk_follow_up_problem_id_talk_problem"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["by_id"], ["person.id"], name=op.f("fk_talk_follow_up_by_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talk_follow_up")),
    )
    with op.batch_alter_table("talk_follow_up", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talk_follow_up_problem_id"), ["problem_id"], unique=False)

    op.create_table(
        "talk_breach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("talk_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("detected_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("escalated_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("answered_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("handled_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["talk_id"], ["talk.id"], name=op.f("fk_talk_breach_talk_id_talk"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"], name=op.f("fk_talk_breach_org_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["handled_by_id"], ["person.id"], name=op.f("fk_talk_breach_handled_by_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talk_breach")),
        sa.UniqueConstraint("talk_id", "kind", name=op.f("uq_talk_breach_talk_id_kind")),
    )
    with op.batch_alter_table("talk_breach", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talk_breach_talk_id"), ["talk_id"], unique=False)

    op.create_table(
        "talk_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("acknowledged_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("ack_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"], name=op.f("fk_talk_report_org_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"],
                                name=op.f("fk_talk_report_instance_id_process_instance")),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["person.id"],
                                name=op.f("fk_talk_report_submitted_by_id_person")),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["person.id"],
                                name=op.f("fk_talk_report_acknowledged_by_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talk_report")),
        sa.UniqueConstraint("org_unit_id", "period", name=op.f("uq_talk_report_org_unit_id_period")),
    )

    op.create_table(
        "talk_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("sent_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("uncovered", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"],
                                name=op.f("fk_talk_reminder_org_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"],
                                name=op.f("fk_talk_reminder_instance_id_process_instance")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talk_reminder")),
        sa.UniqueConstraint("org_unit_id", "period", name=op.f("uq_talk_reminder_org_unit_id_period")),
    )


def downgrade() -> None:
    op.drop_table("talk_reminder")
    op.drop_table("talk_report")
    with op.batch_alter_table("talk_breach", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talk_breach_talk_id"))
    op.drop_table("talk_breach")
    with op.batch_alter_table("talk_follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talk_follow_up_problem_id"))
    op.drop_table("talk_follow_up")
    with op.batch_alter_table("talk_problem", schema=None) as batch_op:
        batch_op.drop_index("ix_talk_problem_unit_state")
        batch_op.drop_index(batch_op.f("ix_talk_problem_talk_id"))
    op.drop_table("talk_problem")
    op.drop_table("talk_confidential")
    with op.batch_alter_table("talk", schema=None) as batch_op:
        batch_op.drop_index("ix_talk_unit_held")
        batch_op.drop_index("ix_talk_unit_state")
        batch_op.drop_index(batch_op.f("ix_talk_talker_id"))
        batch_op.drop_index(batch_op.f("ix_talk_subject_id"))
    op.drop_table("talk")
