"""accounts: revocable sessions, forced password change, locks; the audit trail append-only

Revision ID: 0009
Revises: 0001
Create Date: 2026-12-05 14:00:00

``person`` gains what an account needs (issue 14 item 3, issue 15 item 5):

* ``session_key``: a random value carried inside every session and remember-me cookie of
  the person; logging out, changing the password or an administrator's "log out
  everywhere" draws a new one, and every cookie carrying the old one stops working.
  NULL (every account before this revision) matches no cookie: people log in once again.
* ``must_change_password``: set by an administrator's reset; until the person chooses a
  new password, nothing but that change is served to her.
* ``locked_at``: an administrator's lock; a locked account cannot log in.
* ``password_changed_at``: when the password was last set by its owner or reset.

The columns are added in place (``ALTER TABLE ... ADD COLUMN``, no table copy on SQLite:
``person`` is referred to by most tables).

``audit_event`` becomes append-only for everyone, administrators of the application
included: a trigger refuses every UPDATE and DELETE (and TRUNCATE on PostgreSQL). A
later migration that must rewrite audit rows drops and recreates these triggers in the
same transaction, and says why; one that rebuilds the table on SQLite (batch mode) must
recreate them, since dropping a table drops its triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.database import UTCDateTime

revision = "0009"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit trail is append-only: audit_event rows are never changed or deleted"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
]

POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'insufficient_privilege'; END $$""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
        FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
        FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
]


def upgrade() -> None:
    op.add_column("person", sa.Column("session_key", sa.String(64), nullable=True))
    op.add_column("person", sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.add_column("person", sa.Column("locked_at", UTCDateTime(), nullable=True))
    op.add_column("person", sa.Column("password_changed_at", UTCDateTime(), nullable=True))
    statements = SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRES_TRIGGERS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
    else:
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER audit_event_no_change ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("locked_at")
        batch.drop_column("must_change_password")
        batch.drop_column("session_key")
