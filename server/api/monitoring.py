"""Monitoring API: one instance on its diagram, a process's heat map over an org subtree."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from server import monitoring
from server.api.contract import declare
from server.api.schemas.monitoring import Heatmap, HeatmapQuery, InstanceMonitor, UnitList
from server.requests import me, read

bp = Blueprint("monitoring", __name__)
TAGS = ("monitoring",)


@bp.get("/monitoring/units")
@declare(ok=UnitList, tags=TAGS)
def monitoring_units() -> Any:
    """Org units I may monitor (org_admin: the unit and its subtree)"""
    items = read(lambda s: monitoring.units(s, me(s)))
    return jsonify({"items": items, "total": len(items)})


@bp.get("/monitoring/instances/<int:instance_id>")
@declare(ok=InstanceMonitor, errors=(403, 404), tags=TAGS)
def monitoring_instance(instance_id: int) -> Any:
    """One instance on its diagram: completed / active / overdue elements, history (org_admin)"""
    return jsonify(read(lambda s: monitoring.instance_view(s, me(s), instance_id)))


@bp.get("/monitoring/processes/<key>/heatmap")
@declare(query=HeatmapQuery, ok=Heatmap, errors=(403, 404), tags=TAGS)
def monitoring_heatmap(key: str, query: HeatmapQuery) -> Any:
    """Open, overdue and completed tasks and mean durations per element of a process version over an org subtree

    For org_admins; ``org_unit`` is the top of the subtree (default: my org_admin unit).
    """
    version, unit = query.version or None, query.org_unit or None
    return jsonify(read(lambda s: monitoring.heatmap(s, me(s), key, version=version, org_unit=unit)))
