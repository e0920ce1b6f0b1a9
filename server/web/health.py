"""``GET /healthz``, ``GET /readyz`` and ``GET /metrics``: for supervisors, load balancers and Prometheus.

No login: they say nothing about any person or unit (``server.ops.health``, ``server.ops.metrics``).
The nginx configuration (deploy/nginx/vanguard.conf) answers ``/metrics`` only to the machine itself.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST

from server.ops import health, metrics

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


@health_bp.get("/readyz")
def readyz() -> Any:
    ready, checks = health.readiness()
    return jsonify({"status": "ready" if ready else "not ready", "checks": checks}), 200 if ready else 503


@health_bp.get("/metrics")
def prometheus() -> Any:
    return Response(metrics.render(current_app.config["VANGUARD"]), mimetype=CONTENT_TYPE_LATEST)
