"""Monitoring API: one instance on its diagram, a process's heat map over an org subtree."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from server import monitoring
from server.api import api_bp, int_arg
from server.requests import me, read


@api_bp.get("/monitoring/units")
def monitoring_units() -> Any:
    items = read(lambda s: monitoring.units(s, me(s)))
    return jsonify({"items": items, "total": len(items)})


@api_bp.get("/monitoring/instances/<int:instance_id>")
def monitoring_instance(instance_id: int) -> Any:
    return jsonify(read(lambda s: monitoring.instance_view(s, me(s), instance_id)))


@api_bp.get("/monitoring/processes/<key>/heatmap")
def monitoring_heatmap(key: str) -> Any:
    version = int_arg("version", 0, 0, 10**6) or None
    unit = request.args.get("org_unit") or None
    return jsonify(read(lambda s: monitoring.heatmap(s, me(s), key, version=version, org_unit=unit)))
