"""``python -m server backup PATH`` and ``restore PATH``: the database and the uploaded files in one file.

A backup is a gzipped tar archive holding

* ``manifest.json``: the format, the release that wrote it, when, the kind of database and
  its migration revisions;
* ``database.sqlite`` (SQLite: a copy made with the online backup API, consistent while the
  server keeps serving and writing) or ``database.dump`` (PostgreSQL: ``pg_dump -Fc``, one
  snapshot transaction, also consistent while serving);
* ``uploads/``: the folder ``VANGUARD_UPLOADS_DIR`` when it exists.

``restore`` puts them back into the configured database and uploads folder. It refuses a
database that already has a schema and an uploads folder that is not empty unless told
``--replace`` (SQLite: refused while a server holds the file; PostgreSQL: ``pg_restore
--clean``), and refuses a PostgreSQL backup for an SQLite database and the reverse. A backup
from an older release is restored as it was; ``python -m server upgrade`` brings it forward.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from server.config import Settings
from server.ops.backup import copy_sqlite
from server.ops.serving import Served, not_served
from server.ops.version import database_revisions, describe, head_revisions, release, shown, sqlite_file

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.dump"
UPLOADS_MEMBER = "uploads"
Out = Callable[[str], None]


class BackupError(Exception):
    """The backup or restore did not happen (or not completely); the message says why."""


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump/pg_restore, and the environment carrying the password
    (a password on the command line would be visible to every user in ``ps``)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed: apt-get install postgresql-client")
    done = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def backup(settings: Settings, target: Path, out: Out = print) -> Path:
    """Write the archive ``target`` (``.tar.gz``); a half-written archive is never left under that name."""
    url = settings.database_url
    revisions = database_revisions(url)
    if revisions is None:
        raise BackupError(f"{shown(url)} has no schema: nothing to back up")
    database = sqlite_file(url)
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vanguard-backup-", dir=target.parent) as work:
        staging = Path(work)
        if database is not None:
            member = SQLITE_MEMBER
            copy_sqlite(database, staging / member)
        else:
            member = PG_MEMBER
            dsn, env = _libpq(url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(staging / member),
                  dsn], env)
        uploads = settings.uploads if settings.uploads.is_dir() else None
        manifest = {"format": FORMAT, "release": release(), "created_at": datetime.now(UTC).isoformat(),
                    "database": "sqlite" if database is not None else "postgresql",
                    "revisions": sorted(revisions), "uploads": uploads is not None}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = staging / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(staging / MANIFEST, MANIFEST)
            archive.add(staging / member, member)
            if uploads is not None:
                archive.add(uploads, UPLOADS_MEMBER)
        os.chmod(partial, 0o600)  # the whole organisation's data
        partial.replace(target)
    files = sum(1 for p in uploads.rglob("*") if p.is_file()) if uploads is not None else 0
    out(f"backup of {shown(url)} at {describe(revisions)} written to {target}"
        + (f" with {files} uploaded file(s) from {uploads}" if uploads is not None else " (no uploads folder)"))
    return target


def _manifest(archive: tarfile.TarFile) -> dict[str, object]:
    try:
        member = archive.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise BackupError("not a Vanguard backup: it has no manifest.json")
    manifest: dict[str, object] = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')} is not known to this release ({FORMAT})")
    return manifest


def _refuse_overwrite(settings: Settings, replace: bool) -> None:
    if replace:
        return
    if database_revisions(settings.database_url) is not None:
        raise BackupError(f"{shown(settings.database_url)} has a schema already: restore into a new, empty "
                          "database, or pass --replace to overwrite it")
    uploads = settings.uploads
    if uploads.is_dir() and any(uploads.iterdir()):
        raise BackupError(f"the uploads folder {uploads} is not empty: pass --replace to overwrite it")


def restore(settings: Settings, source: Path, *, replace: bool = False, out: Out = print) -> dict[str, object]:
    """Put the archive ``source`` back into the configured database and uploads folder."""
    url = settings.database_url
    database = sqlite_file(url)
    kind = "sqlite" if database is not None else "postgresql"
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    with tarfile.open(source, "r:gz") as archive, tempfile.TemporaryDirectory(prefix="vanguard-restore-") as work:
        manifest = _manifest(archive)
        if manifest.get("database") != kind:
            raise BackupError(f"{source} is a {manifest.get('database')} backup; the configured database "
                              f"{shown(url)} is {kind}")
        _refuse_overwrite(settings, replace)
        archive.extractall(work, filter="data")
        staging = Path(work)
        if database is not None:
            _restore_sqlite(staging / SQLITE_MEMBER, database)
        else:
            dsn, env = _libpq(url)
            _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                  *(["--clean", "--if-exists"] if replace else []), "--dbname", dsn, str(staging / PG_MEMBER)], env)
        files = _restore_uploads(staging / UPLOADS_MEMBER, settings.uploads)
    revisions = set(map(str, manifest.get("revisions") or []))  # type: ignore[call-overload]
    out(f"restored {source} (release {manifest.get('release')}, {manifest.get('created_at')}) into {shown(url)}"
        + (f" and {files} uploaded file(s) into {settings.uploads}" if manifest.get("uploads") else ""))
    if revisions != head_revisions():
        out(f"  its schema is {describe(revisions)}: run `python -m server upgrade` before serving it")
    return manifest


def _restore_sqlite(copy: Path, database: Path) -> None:
    try:
        with not_served(database):
            copy_sqlite(copy, database)
    except Served as exc:
        raise BackupError(str(exc)) from None


def _restore_uploads(copy: Path, uploads: Path) -> int:
    if not copy.is_dir():
        return 0
    if uploads.exists():
        shutil.rmtree(uploads)
    shutil.copytree(copy, uploads)
    return sum(1 for p in uploads.rglob("*") if p.is_file())
