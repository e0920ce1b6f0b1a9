"""Where the bytes of attachments live: a folder, one file per attachment, named by its random id.

Embedded mode: ``VANGUARD_UPLOADS_DIR`` (default ``instance/uploads``) on the server's disk.
Scale-out mode: the same setting pointing at a folder every web and Celery worker mounts (an NFS
or SMB share, a cloud file store mounted as a file system), so that a photo uploaded through one
worker is served by any other (docs/attachments.md says why a folder rather than the database or
an object store). Files are written to a temporary name and renamed into place, so a reader never
sees half a file; names come from ``secrets``, never from the upload.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from server.errors import NotFound

KEY = re.compile(r"^[A-Za-z0-9_-]{20,32}$")
THUMBNAIL = ".thumb.jpg"


class Folder:
    def __init__(self, root: Path):
        self.root = root

    def path(self, key: str, variant: str = "") -> Path:
        if not KEY.match(key):
            raise NotFound("no such attachment")
        return self.root / key[:2] / f"{key}{variant}"

    def put(self, key: str, content: bytes, variant: str = "") -> None:
        target = self.path(key, variant)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(temporary, target)

    def get(self, key: str, variant: str = "") -> bytes:
        try:
            return self.path(key, variant).read_bytes()
        except FileNotFoundError:
            raise NotFound("the attachment's file is missing from the uploads folder") from None

    def delete(self, key: str) -> None:
        for variant in ("", THUMBNAIL):
            self.path(key, variant).unlink(missing_ok=True)


_settings: dict[str, Folder | int] = {}


def configure(root: Path, max_bytes: int) -> None:
    """Set by ``server.bootstrap.configure`` from the settings."""
    _settings["folder"] = Folder(root)
    _settings["max_bytes"] = max_bytes


def folder() -> Folder:
    found = _settings.get("folder")
    assert isinstance(found, Folder), "server.bootstrap.configure sets the uploads folder"
    return found


def max_bytes() -> int:
    found = _settings.get("max_bytes", 5 * 1024 * 1024)
    assert isinstance(found, int)
    return found


def new_key() -> str:
    return secrets.token_urlsafe(16)
