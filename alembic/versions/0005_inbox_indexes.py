"""inbox indexes that also give the inbox's order

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-23 13:00:00

``(state, assignee_id)`` becomes ``(state, assignee_id, due_at, id)``: "my open
tasks by due date" and "the open tasks nobody holds" are read from the index
alone, already in order. ``(state, due_at)`` becomes ``(state, due_at, id)``: an
administrator's first page is the first 50 entries of the index, even when
thousands of tasks share one deadline. Measured in docs/benchmarks.md.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_task_state_assignee", table_name="task")
    op.drop_index("ix_task_state_due", table_name="task")
    op.create_index("ix_task_state_assignee_due", "task", ["state", "assignee_id", "due_at", "id"], unique=False)
    op.create_index("ix_task_state_due_id", "task", ["state", "due_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_task_state_due_id", table_name="task")
    op.drop_index("ix_task_state_assignee_due", table_name="task")
    op.create_index("ix_task_state_due", "task", ["state", "due_at"], unique=False)
    op.create_index("ix_task_state_assignee", "task", ["state", "assignee_id"], unique=False)
