"""campaign and selection ledgers: plans, launches, branch runs, pledges, ratings,
commendations; quarterly selection rounds, evaluations, candidates, objections, feedback

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa

import server.database
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=False),
        sa.Column("carrier", sa.String(length=500), nullable=False),
        sa.Column("timetable", sa.JSON(), nullable=False),
        sa.Column("target_unit_types", sa.JSON(), nullable=False),
        sa.Column("launched_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("closed_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_campaign_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(["launched_by_id"], ["person.id"], name=op.f("fk_campaign_launched_by_id_person")),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"], name=op.f("fk_campaign_org_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_campaign")),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "selection_candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_selection_candidate_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_selection_candidate_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_selection_candidate_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_candidate")),
        sa.UniqueConstraint("instance_id", "person_id", name=op.f("uq_selection_candidate_instance_id_person_id")),
    )
    with op.batch_alter_table("selection_candidate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_selection_candidate_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_selection_candidate_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "selection_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("evaluator_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=24), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluator_id"], ["person.id"], name=op.f("fk_selection_evaluation_evaluator_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_selection_evaluation_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["person.id"], name=op.f("fk_selection_evaluation_subject_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_evaluation")),
        sa.UniqueConstraint(
            "instance_id",
            "evaluator_id",
            "subject_id",
            name=op.f("uq_selection_evaluation_instance_id_evaluator_id_subject_id"),
        ),
    )
    with op.batch_alter_table("selection_evaluation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_selection_evaluation_instance_id"), ["instance_id"], unique=False)

    op.create_table(
        "selection_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("given_by_id", sa.Integer(), nullable=True),
        sa.Column("given_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=True),
        sa.Column("investigated_at", server.database.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["given_by_id"], ["person.id"], name=op.f("fk_selection_feedback_given_by_id_person")),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_selection_feedback_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_selection_feedback_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_feedback")),
        sa.UniqueConstraint("instance_id", "person_id", name=op.f("uq_selection_feedback_instance_id_person_id")),
    )
    with op.batch_alter_table("selection_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_selection_feedback_instance_id"), ["instance_id"], unique=False)

    op.create_table(
        "selection_objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("objector_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", server.database.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["person.id"], name=op.f("fk_selection_objection_candidate_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_selection_objection_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(["objector_id"], ["person.id"], name=op.f("fk_selection_objection_objector_id_person")),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["person.id"], name=op.f("fk_selection_objection_resolved_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_objection")),
        sa.UniqueConstraint(
            "instance_id",
            "candidate_id",
            "objector_id",
            name=op.f("uq_selection_objection_instance_id_candidate_id_objector_id"),
        ),
    )
    with op.batch_alter_table("selection_objection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_selection_objection_instance_id"), ["instance_id"], unique=False)

    op.create_table(
        "selection_round",
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=8), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("notice_started_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("notice_until", server.database.UTCDateTime(), nullable=True),
        sa.Column("notice_closed_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("filed_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("confirmed_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("feedback_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["person.id"], name=op.f("fk_selection_round_confirmed_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_selection_round_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"], name=op.f("fk_selection_round_org_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_selection_round")),
    )
    with op.batch_alter_table("selection_round", schema=None) as batch_op:
        batch_op.create_index("ix_selection_round_unit_quarter", ["org_unit_id", "quarter"], unique=False)

    op.create_table(
        "campaign_branch",
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("rater_count", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=True),
        sa.Column("carrier", sa.String(length=500), nullable=True),
        sa.Column("meeting_date", sa.Date(), nullable=True),
        sa.Column("meeting_place", sa.String(length=200), nullable=True),
        sa.Column("attendance", sa.Integer(), nullable=True),
        sa.Column("mobilised_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("review_achievements", sa.Text(), nullable=True),
        sa.Column("review_problems", sa.Text(), nullable=True),
        sa.Column("review_direction", sa.Text(), nullable=True),
        sa.Column("review_member_comments", sa.JSON(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("appraisal_published_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("commended_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("commended_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.instance_id"], name=op.f("fk_campaign_branch_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["commended_by_id"], ["person.id"], name=op.f("fk_campaign_branch_commended_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_campaign_branch_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"], name=op.f("fk_campaign_branch_org_unit_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["person.id"], name=op.f("fk_campaign_branch_reviewed_by_id_person")
        ),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_campaign_branch")),
        sa.UniqueConstraint("campaign_id", "org_unit_id", name=op.f("uq_campaign_branch_campaign_id_org_unit_id")),
    )
    with op.batch_alter_table("campaign_branch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_branch_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaign_branch_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "campaign_commendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("branch_instance_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("commended_by_id", sa.Integer(), nullable=True),
        sa.Column("commended_at", server.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_instance_id"],
            ["process_instance.id"],
            name=op.f("fk_campaign_commendation_branch_instance_id_process_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.instance_id"], name=op.f("fk_campaign_commendation_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["commended_by_id"], ["person.id"], name=op.f("fk_campaign_commendation_commended_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_campaign_commendation_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_campaign_commendation_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_commendation")),
    )
    with op.batch_alter_table("campaign_commendation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_commendation_branch_instance_id"), ["branch_instance_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_campaign_commendation_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaign_commendation_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "campaign_launch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("cursor_unit_id", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("started_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("finished_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("updated_at", server.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.instance_id"], name=op.f("fk_campaign_launch_campaign_id_campaign")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_launch")),
    )
    with op.batch_alter_table("campaign_launch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_launch_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "campaign_pledge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("branch_instance_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", server.database.UTCDateTime(), nullable=False),
        sa.Column("approved_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("reported_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("rating", sa.String(length=16), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("rated_at", server.database.UTCDateTime(), nullable=True),
        sa.Column("rated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["person.id"], name=op.f("fk_campaign_pledge_approved_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["branch_instance_id"],
            ["process_instance.id"],
            name=op.f("fk_campaign_pledge_branch_instance_id_process_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.instance_id"], name=op.f("fk_campaign_pledge_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"], name=op.f("fk_campaign_pledge_org_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_campaign_pledge_person_id_person")),
        sa.ForeignKeyConstraint(["rated_by_id"], ["person.id"], name=op.f("fk_campaign_pledge_rated_by_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_pledge")),
        sa.UniqueConstraint(
            "branch_instance_id", "person_id", name=op.f("uq_campaign_pledge_branch_instance_id_person_id")
        ),
    )
    with op.batch_alter_table("campaign_pledge", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_pledge_campaign_state", ["campaign_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaign_pledge_org_unit_id"), ["org_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaign_pledge_person_id"), ["person_id"], unique=False)

    op.create_table(
        "campaign_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("branch_instance_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column("ratee_id", sa.Integer(), nullable=False),
        sa.Column("party_spirit", sa.String(length=24), nullable=False),
        sa.Column("service", sa.String(length=24), nullable=False),
        sa.Column("vanguard", sa.String(length=24), nullable=False),
        sa.Column("created_at", server.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_instance_id"],
            ["process_instance.id"],
            name=op.f("fk_campaign_rating_branch_instance_id_process_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.instance_id"], name=op.f("fk_campaign_rating_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"], name=op.f("fk_campaign_rating_org_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["ratee_id"], ["person.id"], name=op.f("fk_campaign_rating_ratee_id_person")),
        sa.ForeignKeyConstraint(["rater_id"], ["person.id"], name=op.f("fk_campaign_rating_rater_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_rating")),
        sa.UniqueConstraint(
            "branch_instance_id",
            "rater_id",
            "ratee_id",
            name=op.f("uq_campaign_rating_branch_instance_id_rater_id_ratee_id"),
        ),
    )
    with op.batch_alter_table("campaign_rating", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_rating_campaign_branch", ["campaign_id", "branch_instance_id"], unique=False)


def downgrade() -> None:
    # Indexes go with their tables.
    op.drop_table("campaign_rating")
    op.drop_table("campaign_pledge")
    op.drop_table("campaign_launch")
    op.drop_table("campaign_commendation")
    op.drop_table("campaign_branch")
    op.drop_table("selection_round")
    op.drop_table("selection_objection")
    op.drop_table("selection_feedback")
    op.drop_table("selection_evaluation")
    op.drop_table("selection_candidate")
    op.drop_table("campaign")
