"""SQLAlchemy set-up: the declarative base, engines, and one session per use case.

Plain SQLAlchemy (no Flask-SQLAlchemy) so that the domain packages and the
background workers use the same sessions as the web app.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from server import clock

log = logging.getLogger("vanguard.database")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Column defaults follow the server's clock, so tests that move time see consistent rows."""
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


def make_engine(url: str, *, immediate: bool = True, autocheckpoint: bool = True, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and immediate transactions.

    SQLite transactions start with ``BEGIN IMMEDIATE`` so that two writers are
    serialised at the start of the transaction instead of one failing half-way
    when it upgrades its read lock. ``autocheckpoint=False``: the connections never
    checkpoint the WAL themselves (a ``Checkpointer`` does).
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
            if not autocheckpoint:
                cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Checkpointer:
    """Copies SQLite's write-ahead log back into the database from a thread of its own.

    By default the connection whose commit fills the log past 1,000 pages does the copy
    (and its fsync) inside that commit: a request pays for the writes of the dozens before
    it. Here a daemon thread runs ``PRAGMA wal_checkpoint(PASSIVE)`` every ``interval``
    seconds on its own connection; it never waits for readers or writers, and SQLite works
    outside Python's lock, so the copy runs beside the requests instead of inside one.
    """

    def __init__(self, path: str, interval: float = 0.5) -> None:
        self._path = path
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, timeout=30, check_same_thread=False)
        try:
            while not self._stop.wait(self._interval):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # a busy or vanished file: try again next time
                    log.debug("checkpoint of %s: %s", self._path, exc)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


_WRITING: ContextVar[bool] = ContextVar("vanguard_write_transaction", default=False)


def in_write_transaction() -> bool:
    """Whether this thread is inside ``Database.transaction()`` (holding the write lock or row locks):
    the script sandbox then evaluates nothing itself (``server/workflow/engine/replay.py``)."""
    return _WRITING.get()


class Database:
    """Holds the engine and the session factory; created unbound, bound by ``init``."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.read_engine: Engine | None = None
        self.sessionmaker: sessionmaker[Session] | None = None
        self.read_sessionmaker: sessionmaker[Session] | None = None
        self.url = ""
        self._write_lock: threading.RLock | None = None
        self._checkpointer: Checkpointer | None = None

    def init(self, url: str) -> None:
        self.dispose()
        self.url = url
        self._write_lock = None
        path = make_url(url).database if url.startswith("sqlite") else None
        if path and path != ":memory:":
            self._checkpointer = Checkpointer(path)
        autocheckpoint = self._checkpointer is None
        self.engine = make_engine(url, autocheckpoint=autocheckpoint)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        if url.startswith("sqlite"):
            # Readers need no write lock: WAL lets them run beside the one writer.
            self._write_lock = threading.RLock()
            self.read_engine = make_engine(url, immediate=False, autocheckpoint=autocheckpoint)
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
            writing = _WRITING.set(True)
            try:
                with session.begin():
                    yield session
            finally:
                _WRITING.reset(writing)
                session.close()

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        for engine in {self.engine, self.read_engine}:
            if engine is not None:
                engine.dispose()


db = Database()
"""The process's database, bound by ``create_app`` (or a worker's start-up) with ``db.init``."""
