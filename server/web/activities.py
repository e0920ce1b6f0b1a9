"""Pages of the activity ledgers: recording what one did (with photos from the phone's camera) and
one's records; the quota view of a branch or district with its chart and xlsx ledger; the board of
a themed campaign (who has reported what).

Shells like the other pages: static/js/activities.js and activities-quota.js do the work against
``/api/activities…`` and ``/api/attachments``, which decide who may see and do what.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import login_required

from server.web.shell import web_bp


@web_bp.get("/activities")
@login_required
def activities_page() -> Any:
    return render_template("activities.html")


@web_bp.get("/activities/quota")
@login_required
def activities_quota_page() -> Any:
    return render_template("activities_quota.html", unit_ref=request.args.get("unit", ""),
                           period=request.args.get("period", ""))


@web_bp.get("/activities/themed")
@login_required
def activities_themed_page() -> Any:
    return render_template("activities_themed.html", unit_ref=request.args.get("unit", ""),
                           campaign=request.args.get("campaign", ""))
