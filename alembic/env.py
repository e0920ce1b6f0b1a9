"""Alembic environment: the schema is made only by these migrations (batch mode on SQLite)."""

from __future__ import annotations

import inbox.models  # noqa: F401 - registers the inbox tables
import server.audit  # noqa: F401
import server.calendar.models  # noqa: F401
import server.campaign.models  # noqa: F401 - registers the campaign and selection tables
import server.notifications.models  # noqa: F401
import server.org.models  # noqa: F401 - registers the server tables
import server.talks.models  # noqa: F401 - registers the talk-loop tables
import server.workflow.models  # noqa: F401
from alembic import context
from server.config import Settings
from server.database import Base, make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url, immediate=False) if url.startswith("sqlite") else make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
