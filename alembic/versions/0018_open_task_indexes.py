"""open tasks in indexes of their own: the inbox's pages never walk closed tasks

Revision ID: 0018
Revises: 0001
Create Date: 2026-12-05 19:00:00

Issue 20 (the subtree inbox). A task is open for days and closed for years: at
10,000,000 rows, 1 in 100 is open. These partial indexes hold the open ones only
(``WHERE state = 'open'``), one per order the inbox offers, so that the first and
every later page (keyset pagination, ``inbox.cursor``) is a short index range of a
small index that stays in memory, whatever the number of closed tasks:

- ``(due_at, id)``: by due date (the default), the whole subtree of an org_admin;
- ``(priority DESC, id)``: by priority;
- ``(id)``: newest or oldest first;
- ``(org_unit_id, due_at, id)``: one unit's open work, and the capped count of a subtree.

Closed tasks are read by who closed them: ``(completed_by_id, id)`` for 已处理
(only rows with a closer), and ``process_instance (started_by_id)`` for 我发起的.
The older full indexes stay (other readers filter on closed states). Measured in
docs/benchmarks.md, "Province scale".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0001"
branch_labels = None
depends_on = ("0005",)

OPEN = sa.text("state = 'open'")
CLOSED_BY = sa.text("completed_by_id IS NOT NULL")


def _partial(name: str, columns: list[str | sa.TextClause], where: sa.TextClause) -> None:
    op.create_index(name, "task", columns, unique=False, postgresql_where=where, sqlite_where=where)


def upgrade() -> None:
    _partial("ix_task_open_due", ["due_at", "id"], OPEN)
    _partial("ix_task_open_priority", [sa.text("priority DESC"), "id"], OPEN)
    _partial("ix_task_open_id", ["id"], OPEN)
    _partial("ix_task_open_unit_due", ["org_unit_id", "due_at", "id"], OPEN)
    _partial("ix_task_completed_by", ["completed_by_id", "id"], CLOSED_BY)
    op.create_index("ix_process_instance_started_by", "process_instance", ["started_by_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_process_instance_started_by", table_name="process_instance")
    for name in ("ix_task_completed_by", "ix_task_open_unit_due", "ix_task_open_id", "ix_task_open_priority",
                 "ix_task_open_due"):
        op.drop_index(name, table_name="task")
