"""Pages of the talk loop (谈心谈话): the ledger (台账), the problem list, half-year coverage and
the June/December reports of the branches one looks after; a talk with its record, follow-ups
and close-out; a report with its figures.

Shells like the other pages: static/js/talks.js, talk-detail.js and talk-report.js do the work
against ``/api/talks…``, which also decides who may see and do what (docs/talks.md).
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import login_required

from server.web.shell import web_bp

VIEWS = ("overview", "ledger", "problems", "coverage", "reports")


@web_bp.get("/talks")
@login_required
def talks_page() -> Any:
    view = request.args.get("view", "")
    return render_template("talks.html", view=view if view in VIEWS else "", unit_ref=request.args.get("unit", ""),
                           period=request.args.get("period", ""))


@web_bp.get("/talks/<int:talk_id>")
@login_required
def talk_page(talk_id: int) -> Any:
    return render_template("talk_detail.html", talk_id=talk_id)


@web_bp.get("/talks/reports/<int:report_id>")
@login_required
def talk_report_page(report_id: int) -> Any:
    return render_template("talk_report.html", report_id=report_id)
