"""Alembic environment: the schema is made only by these migrations (batch mode on SQLite)."""

from __future__ import annotations

import inbox.models  # noqa: F401 - registers the inbox tables
import server.audit  # noqa: F401
import server.calendar.models  # noqa: F401
import server.idempotency  # noqa: F401 - idempotency keys
import server.campaign.models  # noqa: F401 - registers the campaign and selection tables
import server.campaign.review_models  # noqa: F401 - registers the leader reviews' tables
import server.campaign.rollup_models  # noqa: F401 - registers the roll-up counters
import server.notifications.models  # noqa: F401
import server.ops.clock_control  # noqa: F401 - the training clock's offset
import server.org.models  # noqa: F401 - registers the server tables
import server.activities.models  # noqa: F401 - registers the activity-ledger tables
import server.attachments.models  # noqa: F401 - registers the attachment table
import server.talks.models  # noqa: F401 - registers the talk-loop tables
import server.workflow.models  # noqa: F401
from alembic import context
from server.config import Settings
from server.database import Base, make_engine
from server.ops import integrity

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """One transaction for the whole run (SQLite too): a failure leaves the database as it was.

    On SQLite, batch mode rebuilds tables (copy, drop, rename); foreign keys are off for the
    run so that dropping the old table deletes nothing that refers to it (issue #21), and the
    run is checked for rows left pointing at nothing before it commits (server.ops.integrity).
    """
    sqlite = url.startswith("sqlite")
    engine = make_engine(url, immediate=False) if sqlite else make_engine(url)
    with engine.connect() as connection:
        if sqlite:
            integrity.foreign_keys_off(connection)
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,
            compare_type=True,
            transactional_ddl=True,
        )
        with context.begin_transaction():
            before = integrity.sqlite_orphans(connection) if sqlite else []
            context.run_migrations()
            if sqlite:
                integrity.check_no_new_orphans(connection, before)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
