"""task cards: whose request a task is and what it asks (inbox cards and search), English labels

Revision ID: 0012
Revises: 0001
Create Date: 2026-12-05 16:00:00

Two nullable columns on ``task`` (issue 17.3): ``subject``, the display name of the person
the task is about (the member whose pledge is reviewed, the member who asked for a talk),
and ``excerpt``, the beginning of what the task asks (the pledge's words, the talk's topic),
both taken at the task's creation from the summary its form declares (``x-summary``).
Rows made before this migration keep them empty; their cards read as before.
``labels_en``: the task's English name, instructions and stage label when its process gives
them (``name_en``, ``documentation_en``, ``stage_label_en``; issue 17.6), for English pages.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("task", sa.Column("subject", sa.String(200), nullable=True))
    op.add_column("task", sa.Column("excerpt", sa.String(300), nullable=True))
    op.add_column("task", sa.Column("labels_en", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.drop_column("labels_en")
        batch.drop_column("excerpt")
        batch.drop_column("subject")
