"""Logs as one JSON object per line on standard error (journald, docker and any collector read them).

``configure`` is called by the serving process (``server.wsgi``) and the standalone scheduler;
tests and the Flask CLI keep Python's defaults. Every record becomes
``{"time", "level", "logger", "message", ...}`` plus the fields passed as ``extra={"fields": {...}}``
(the request line of ``server.ops.telemetry``), and ``exception`` with the traceback.
``VANGUARD_LOG_FORMAT=text`` gives plain lines for a developer's terminal; ``VANGUARD_LOG_LEVEL``
(default ``INFO``) the threshold.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

FIELDS = "fields"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, FIELDS, None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure() -> None:
    """Send every log record to standard error, as JSON unless ``VANGUARD_LOG_FORMAT=text``."""
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("VANGUARD_LOG_FORMAT", "json").lower() == "text":
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s %(fields)s",
                                               defaults={"fields": ""}))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("VANGUARD_LOG_LEVEL", "INFO").upper())
