"""The JSON API: the ``/api`` blueprint with one nested blueprint per area.

``register`` is the one place that lists the areas; nothing registers itself by being imported.
"""

from __future__ import annotations

from flask import Flask

from server.api import (
    accounts,
    activities,
    attachments,
    calendar,
    campaign,
    clock,
    definitions,
    incidents,
    instances,
    monitoring,
    notifications,
    openapi,
    org,
    oversight,
    pickers,
    schedules,
    screens,
    session,
    talks,
    tasks,
)
from server.api.blueprint import IdConverter, api_bp

AREAS = (session.bp, tasks.bp, instances.bp, definitions.bp, monitoring.bp, notifications.bp, schedules.bp,
         calendar.bp, clock.bp, campaign.bp, screens.bp, talks.bp, oversight.bp, accounts.bp, incidents.bp, org.bp,
         pickers.bp, activities.bp, attachments.bp, openapi.bp)
for _area in AREAS:
    api_bp.register_blueprint(_area)


def register(app: Flask) -> None:
    """Serve the API on ``app``: ids in paths are 32-bit, the areas under ``/api``."""
    app.url_map.converters["int"] = IdConverter
    app.register_blueprint(api_bp)
