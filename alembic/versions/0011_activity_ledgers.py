"""activity ledgers: attachments, programmes with quotas, records, themed campaigns and unit reports

Revision ID: 0011
Revises: 0001
Create Date: 2026-12-05 16:00:00

Issue 18. New tables only, referencing org_unit and person (0001) and process_instance (0001):
nothing existing is rebuilt.

* ``attachment``: uploaded photos and documents, the bytes in the uploads folder by random id;
* ``activity_programme``: recurring duties with cadence, quota, season and per-unit numbers;
* ``activity_record``: what a member did, submitted → confirmed or returned;
* ``themed_campaign`` / ``themed_report``: a themed campaign and its units' reports.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.database import UTCDateTime

revision = "0011"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content_type", sa.String(120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("has_thumbnail", sa.Boolean(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.Column("owner_kind", sa.String(32), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_attachment_owner", "attachment", ["owner_kind", "owner_id"])
    op.create_index("ix_attachment_uploaded_by_id", "attachment", ["uploaded_by_id"])
    op.create_table(
        "activity_programme",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("cadence", sa.String(16), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("season_months", sa.JSON(), nullable=True),
        sa.Column("unit_quotas", sa.JSON(), nullable=True),
        sa.Column("head_quota", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("org_unit_id", "code", name="uq_activity_programme_org_unit_id_code"),
    )
    op.create_index("ix_activity_programme_org_unit_id", "activity_programme", ["org_unit_id"])
    op.create_table(
        "activity_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), nullable=True),
        sa.Column("programme_id", sa.Integer(), sa.ForeignKey("activity_programme.id"), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(300), nullable=True),
        sa.Column("beneficiary", sa.String(300), nullable=True),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("instance_id", name="uq_activity_record_instance_id"),
    )
    op.create_index("ix_activity_record_programme_id", "activity_record", ["programme_id"])
    op.create_index("ix_activity_record_unit_state_done", "activity_record",
                    ["org_unit_id", "state", "member_id", "programme_id", "done_on"])
    op.create_index("ix_activity_record_member_done", "activity_record", ["member_id", "done_on"])
    op.create_table(
        "themed_campaign",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("reporting", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_themed_campaign_org_unit_id", "themed_campaign", ["org_unit_id"])
    op.create_table(
        "themed_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("themed_campaign.id"), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("campaign_id", "org_unit_id", "seq", name="uq_themed_report_campaign_id_org_unit_id_seq"),
    )
    op.create_index("ix_themed_report_org_unit_id", "themed_report", ["org_unit_id"])


def downgrade() -> None:
    op.drop_index("ix_themed_report_org_unit_id", table_name="themed_report")
    op.drop_table("themed_report")
    op.drop_index("ix_themed_campaign_org_unit_id", table_name="themed_campaign")
    op.drop_table("themed_campaign")
    for name in ("ix_activity_record_member_done", "ix_activity_record_unit_state_done",
                 "ix_activity_record_programme_id"):
        op.drop_index(name, table_name="activity_record")
    op.drop_table("activity_record")
    op.drop_index("ix_activity_programme_org_unit_id", table_name="activity_programme")
    op.drop_table("activity_programme")
    op.drop_index("ix_attachment_uploaded_by_id", table_name="attachment")
    op.drop_index("ix_attachment_owner", table_name="attachment")
    op.drop_table("attachment")
