"""One JSON log line and the Prometheus counts for every request the app answers.

The line (logger ``vanguard.request``) holds the method, the **route template**
(``/api/tasks/<int:task_id>``: never the filled-in path nor the query string, which may carry
names or search terms), the status, the duration in milliseconds and the user's id (none when
not logged in). The probes (``/healthz``, ``/readyz``, ``/metrics``) are counted but not logged:
a supervisor asks every few seconds. Static files are answered by WhiteNoise before the app.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from server.ops import metrics
from server.ops.logs import FIELDS

log = logging.getLogger("vanguard.request")
QUIET = frozenset({"/healthz", "/readyz", "/metrics"})
UNMATCHED = "<unmatched>"
"""The route of a request no rule matched (a 404): its path is not logged either."""


def _user_id() -> int | None:
    """The id of the user Flask-Login loaded for this request, without loading one for the log."""
    user = g.get("_login_user")
    return getattr(user, "person_id", None) if getattr(user, "is_authenticated", False) else None


def install(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _record(response: Response) -> Response:
        started = g.get("request_started")
        seconds = time.perf_counter() - started if started is not None else 0.0
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        metrics.observe(request.method, route, response.status_code, seconds)
        if route not in QUIET:
            log.info("request", extra={FIELDS: {
                "method": request.method, "route": route, "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1), "user_id": _user_id()}})
        return response
