"""SQLAlchemy set-up: the declarative base, engines, and one session per use case.

Plain SQLAlchemy (no Flask-SQLAlchemy) so that the domain packages and the
background workers use the same sessions as the web app.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Column defaults follow the server's clock, so tests that move time see consistent rows."""
    from server import clock

    return clock.now()


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every backend.

    PostgreSQL keeps the zone; SQLite keeps naive text, so values are stored as
    UTC and given their zone back on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, *, immediate: bool = True, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and immediate transactions.

    SQLite transactions start with ``BEGIN IMMEDIATE`` so that two writers are
    serialised at the start of the transaction instead of one failing half-way
    when it upgrades its read lock.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Database:
    """Holds the engine and the session factory; created unbound, bound by ``init``."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.read_engine: Engine | None = None
        self.sessionmaker: sessionmaker[Session] | None = None
        self.read_sessionmaker: sessionmaker[Session] | None = None
        self.url = ""
        self._write_lock: threading.RLock | None = None

    def init(self, url: str) -> None:
        self.dispose()
        self.url = url
        self._write_lock = None
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        if url.startswith("sqlite"):
            # Readers need no write lock: WAL lets them run beside the one writer.
            self._write_lock = threading.RLock()
            self.read_engine = make_engine(url, immediate=False)
            self.read_sessionmaker = sessionmaker(self.read_engine, expire_on_commit=False)
        else:
            self.read_engine = self.engine
            self.read_sessionmaker = self.sessionmaker

    def session(self) -> Session:
        assert self.sessionmaker is not None, "Database.init() was not called"
        return self.sessionmaker()

    def read_session(self) -> Session:
        assert self.read_sessionmaker is not None, "Database.init() was not called"
        return self.read_sessionmaker()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error.

        On SQLite the writers of this process also queue on a lock before ``BEGIN IMMEDIATE``:
        SQLite admits one writer at a time, and a writer that finds the database locked polls
        with sleeps of up to 100 ms, so under load the lock sits idle between writers and waits
        grow unbounded. Queued on a lock, the next writer starts as soon as the last commits
        (docs/benchmarks.md: +40 % pledge completions per second, p95 4.8 s → 1.2 s with
        8 clients).
        """
        with self._write_lock or nullcontext():
            session = self.session()
            try:
                with session.begin():
                    yield session
            finally:
                session.close()

    def dispose(self) -> None:
        for engine in {self.engine, self.read_engine}:
            if engine is not None:
                engine.dispose()
