"""Static files: fingerprinted names, compressed once, cached for a year; served by WhiteNoise.

Why this shape (docs/ui.md, "Static files"):

* **Fingerprinted names.** ``url_for('static', filename='js/inbox.js')`` gives
  ``/static/js/inbox.1a2b3c4d5e6f.js``: the name changes whenever the content does, so a
  browser may keep the file for a year (``Cache-Control: max-age=315360000, public,
  immutable``) and never asks again, yet sees a new release at once. The mapping (the
  manifest) is computed from the files' content when the app starts; every template keeps
  calling ``url_for`` as before.
* **Compressed once, ahead of time.** Each fingerprinted file is written next to a
  Brotli (``.br``) and a gzip (``.gz``) copy by WhiteNoise's own ``Compressor`` (Brotli at
  its best level: 2.3 MB of designer JavaScript become 350 KB). WhiteNoise picks the copy
  the browser accepts (``Accept-Encoding``, ``Vary``), answers ``304`` to revalidations,
  ranges and ``HEAD``. No CPU is spent per request, and the app does this by itself: a
  proxy in front (nginx, issue 22) may cache or pass it through but is not needed for it.
* **Only static files are compressed.** Pages and API answers carry the CSRF token and
  confidential records next to text a visitor can choose (search terms, URL parameters);
  compressing them would open them to BREACH-style guessing. They are small anyway.
* **Content-addressed build folder.** Fingerprinted copies go to ``static-dist/`` (or
  ``VANGUARD_STATIC_DIST``, ``server.config``), keyed by content: a file already there is never rewritten,
  so only the first start after a change compresses anything (``python -m server assets``
  does it ahead of a deployment), and several workers starting at once only race to write
  identical files (each written under a temporary name, then renamed).
* The original names stay served with a short cache (60 s) for what is not asked for
  through ``url_for``: fonts that vendor CSS names relatively, files a script fetches.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from server.config import ROOT

SOURCE = ROOT / "static"
FINGERPRINT = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
ONE_YEAR_IMMUTABLE = "max-age=315360000, public, immutable"
SHORT_MAX_AGE = 60

_digests: dict[tuple[str, int, int], str] = {}


def _digest(path: Path) -> str:
    """The file's content hash (12 hex digits), remembered per (path, mtime, size) in this process."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _digests:
        with path.open("rb") as source:
            _digests[key] = hashlib.file_digest(source, "sha256").hexdigest()[:12]
    return _digests[key]


def fingerprinted(relative: str, digest: str) -> str:
    """``js/inbox.js`` → ``js/inbox.<digest>.js``."""
    head, dot, ext = relative.rpartition(".")
    if not dot or "/" in ext:
        return f"{relative}.{digest}"
    return f"{head}.{digest}.{ext}"


def _publish(source: Path, target: Path) -> None:
    """Write ``target`` and its compressed copies under temporary names, then rename them in place.

    The ``.br``/``.gz`` copies are renamed first: once ``target`` exists, so do they.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
        staged = Path(tmp) / target.name
        shutil.copyfile(source, staged)
        compressor = Compressor(quiet=True)
        if compressor.should_compress(staged.name):
            for written in compressor.compress(str(staged)):
                os.replace(written, target.parent / Path(written).name)
        os.replace(staged, target)


def build(dist: Path, source: Path = SOURCE) -> dict[str, str]:
    """Fingerprint (and compress) every file under ``source`` into ``dist``; return the manifest
    ``{"js/inbox.js": "js/inbox.1a2b3c4d5e6f.js", …}``."""
    manifest: dict[str, str] = {}
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source).as_posix()
        if not path.is_file() or any(part.startswith(".") for part in relative.split("/")):
            continue
        hashed = fingerprinted(relative, _digest(path))
        target = dist / hashed
        if not target.exists():
            _publish(path, target)
        manifest[relative] = hashed
    return manifest


def install(app: Flask, dist: Path, source: Path = SOURCE,
            headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """Serve ``/static/`` through WhiteNoise and make ``url_for('static', …)`` name fingerprinted files.

    ``headers`` (the security headers) are added to every static response, since WhiteNoise
    answers before Flask's ``after_request`` could.
    """
    manifest = build(dist, source)
    extra = dict(headers or {})

    def _add_headers(response_headers: Any, _path: str, _url: str) -> None:
        for name, value in extra.items():
            response_headers[name] = value

    served = WhiteNoise(app.wsgi_app, max_age=SHORT_MAX_AGE, autorefresh=False, allow_all_origins=False,
                        immutable_file_test=lambda _path, url: bool(FINGERPRINT.search(url)),
                        add_headers_function=_add_headers)
    # Only the files of this manifest, not every older fingerprint left in the build folder.
    for hashed in manifest.values():
        served.add_file_to_dictionary(f"/static/{hashed}", str(dist / hashed), stat_cache=None)
    served.add_files(str(source), prefix="static/")

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict[str, str]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.get(values["filename"], values["filename"])

    app.wsgi_app = served  # type: ignore[method-assign]
    return manifest
