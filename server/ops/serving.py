"""The lock that says an SQLite file is being served, so that an upgrade refuses to run under it.

A serving process (``server.wsgi``: ``python -m server serve``, ``make run``) holds a shared
``flock`` on ``<db>.serving`` next to the database for as long as it lives; ``upgrade``
takes the same lock exclusively and without waiting, so it fails while any server holds the
file and a server cannot start while an upgrade runs. The kernel drops the lock when the
process ends, however it ends: no stale pid file to clean up. (``flock`` is not reliable on
network file systems; the instance folder is expected on a local disk.)
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_held: list[int] = []  # descriptors a serving process keeps open until it exits


class Served(Exception):
    """Another process holds the lock: a server (for ``upgrade``) or an upgrade (for a server)."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".serving")


def _open(database: Path) -> int:
    database.parent.mkdir(parents=True, exist_ok=True)
    return os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o644)


def _holder(fd: int) -> str:
    text = os.pread(fd, 100, 0).decode(errors="replace").strip()
    return f"process {text}" if text.isdigit() else "another process"


def hold_while_serving(database: Path | None) -> None:
    """Called once by a serving process: hold the shared lock on ``database`` until exit."""
    if database is None:
        return
    fd = _open(database)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Served(f"{database} is being upgraded; start the server when `python -m server upgrade` "
                     "has finished") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _held.append(fd)


@contextmanager
def not_served(database: Path) -> Iterator[None]:
    """Hold ``database`` exclusively for an upgrade; ``Served`` if a server has it."""
    fd = _open(database)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Served(f"{database} is being served by {_holder(fd)}: stop the server first "
                         "(Ctrl-C in `make run`), then upgrade") from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
