"""The activity ledgers' routes (docs/activities.md): programmes, records and their review, the
quota view and xlsx ledger, themed campaigns and their units' reports. A record's review is also
an ordinary inbox task (``ReviewReport`` of ``activity_report``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify
from sqlalchemy.orm import Session

from server.access import check_may_view_unit
from server.activities import programmes, records, themed, views
from server.api.contract import declare
from server.api.schemas.activities import (
    ProgrammeIn,
    QuotaQuery,
    RecordEdit,
    RecordIn,
    RecordQuery,
    Review,
    ThemedIn,
    ThemedReportIn,
    ThemedReview,
    UnitPeriodQuery,
    UnitQuery,
)
from server.api.schemas.common import Anything, Binary, Items
from server.bridges import member_year
from server.errors import BadRequest
from server.org.models import OrgUnit
from server.org.tree import unit_by_ref
from server.requests import me, read, write

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
bp = Blueprint("activities", __name__)
TAGS = ("activities",)


def _unit(session: Session, ref: str | None) -> OrgUnit:
    if not ref:
        raise BadRequest("'org_unit' (id or code) is required", [{"field": "org_unit", "message": "required"}])
    return unit_by_ref(session, ref)


def _period(code: str | None) -> str:
    if not code:
        raise BadRequest("'period' (2026, 2026-Q4 or 2026-12) is required",
                         [{"field": "period", "message": "required"}])
    return code


@bp.get("/activities/programmes")
@declare(query=UnitQuery, ok=Items, errors=(403, 404), tags=TAGS)
def list_programmes(query: UnitQuery) -> Any:
    """The programmes that apply to a unit (its own and those of the units above)"""
    def run(session: Session) -> dict[str, Any]:
        unit = _unit(session, query.org_unit)
        check_may_view_unit(session, me(session), unit)
        items = [programmes.programme_dict(p) for p in programmes.applying(session, unit, include_inactive=True)]
        return {"items": items, "total": len(items)}

    return jsonify(read(run))


@bp.post("/activities/programmes")
@declare(body=ProgrammeIn, ok=Anything, status=201, errors=(403, 404, 422), write=True, tags=TAGS)
def create_programme(json: ProgrammeIn) -> Any:
    """Define a recurring duty for the unit's subtree (its secretary, or an org_admin above)"""
    body = json.model_dump(exclude_unset=True)
    return jsonify(write(lambda s: programmes.programme_dict(programmes.create(s, me(s), body)))), 201


@bp.patch("/activities/programmes/<int:programme_id>")
@declare(body=ProgrammeIn, ok=Anything, errors=(403, 404, 422), write=True, tags=TAGS)
def update_programme(programme_id: int, json: ProgrammeIn) -> Any:
    """Change a programme's numbers (cadence, quota, season, per-unit and head quotas)"""
    body = json.model_dump(exclude_unset=True)
    return jsonify(write(lambda s: programmes.programme_dict(programmes.update(s, me(s), programme_id, body))))


@bp.get("/activities/records")
@declare(query=RecordQuery, ok=Items, errors=(403, 404, 422), tags=TAGS)
def list_records(query: RecordQuery) -> Any:
    """Records of a unit's subtree, or my own"""
    def run(session: Session) -> dict[str, Any]:
        unit = unit_by_ref(session, query.org_unit) if query.org_unit else None
        return views.list_records(session, me(session), unit, query.period, query.state, query.member,
                                  query.limit, query.offset)

    return jsonify(read(run))


@bp.post("/activities/records")
@declare(body=RecordIn, ok=Anything, status=201, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def record_activity(json: RecordIn) -> Any:
    """Record what a member did (the secretary may record on his behalf); it waits for the secretary"""
    body = json.model_dump(exclude_unset=True)

    def run(session: Session) -> dict[str, Any]:
        return records.record_dict(session, records.record_activity(session, me(session), body))

    return jsonify(write(run)), 201


@bp.get("/activities/records/<int:record_id>")
@declare(ok=Anything, errors=(404,), tags=TAGS)
def get_record(record_id: int) -> Any:
    """A record, for the member, its recorder, the unit's overseers and the units above"""
    return jsonify(read(lambda s: records.record_dict(s, records.get_visible(s, me(s), record_id))))


@bp.post("/activities/records/<int:record_id>/review")
@declare(body=Review, ok=Anything, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def review_record(record_id: int, json: Review) -> Any:
    """The secretary confirms a record (it counts) or returns it with the reason"""
    def run(session: Session) -> dict[str, Any]:
        record = records.review(session, me(session), record_id, json.decision, json.reason)
        return records.record_dict(session, record)

    return jsonify(write(run))


@bp.post("/activities/records/<int:record_id>/resubmit")
@declare(body=RecordEdit, ok=Anything, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def resubmit_record(record_id: int, json: RecordEdit) -> Any:
    """A returned record, corrected and submitted again"""
    body = json.model_dump(exclude_unset=True)

    def run(session: Session) -> dict[str, Any]:
        return records.record_dict(session, records.resubmit(session, me(session), record_id, body))

    return jsonify(write(run))


@bp.get("/activities/quota")
@declare(query=QuotaQuery, ok=Anything, errors=(403, 404, 422), tags=TAGS)
def quota(query: QuotaQuery) -> Any:
    """Per member and unit (rolled up the tree): due, done, missing, overdue in a period"""
    def run(session: Session) -> dict[str, Any]:
        return views.quota_view(session, me(session), _unit(session, query.org_unit), _period(query.period),
                                limit=query.limit, offset=query.offset, only_missing=bool(query.missing))

    return jsonify(read(run))


@bp.get("/activities/ledger.xlsx")
@declare(query=UnitPeriodQuery, ok=Binary, errors=(403, 404, 422), ok_media=XLSX, tags=TAGS)
def ledger(query: UnitPeriodQuery) -> Any:
    """The service ledger (活动台账) and the quota sheet of a unit's subtree for a period"""
    content, name = read(lambda s: views.ledger_xlsx(s, me(s), _unit(s, query.org_unit), _period(query.period)))
    return Response(content, mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "no-store"})


@bp.get("/activities/themed")
@declare(query=UnitQuery, ok=Items, errors=(403, 404), tags=TAGS)
def list_themed(query: UnitQuery) -> Any:
    """Themed campaigns of a unit and of the unit above it (the one it reports to)"""
    def run(session: Session) -> dict[str, Any]:
        items = [themed.campaign_dict(c) for c in themed.for_unit(session, me(session),
                                                                   _unit(session, query.org_unit))]
        return {"items": items, "total": len(items)}

    return jsonify(read(run))


@bp.post("/activities/themed")
@declare(body=ThemedIn, ok=Anything, status=201, errors=(403, 404, 422), write=True, tags=TAGS)
def create_themed(json: ThemedIn) -> Any:
    """Declare a themed campaign: window, activity lines, reports owed by each unit below"""
    body = json.model_dump(exclude_unset=True)
    return jsonify(write(lambda s: themed.campaign_dict(themed.create(s, me(s), body)))), 201


@bp.get("/activities/themed/<int:campaign_id>/board")
@declare(ok=Anything, errors=(403, 404), tags=TAGS)
def themed_board(campaign_id: int) -> Any:
    """Who has reported what: each unit below × each report of the campaign"""
    return jsonify(read(lambda s: themed.board(s, me(s), campaign_id, records.today())))


@bp.post("/activities/themed/<int:campaign_id>/reports")
@declare(body=ThemedReportIn, ok=Anything, status=201, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def submit_themed_report(campaign_id: int, json: ThemedReportIn) -> Any:
    """A unit below submits its plan, a progress report or its final summary, with documents and photos"""
    body = json.model_dump(exclude_unset=True)
    return jsonify(write(lambda s: themed.report_dict(s, themed.submit(s, me(s), campaign_id, body)))), 201


@bp.get("/activities/themed/reports/<int:report_id>")
@declare(ok=Anything, errors=(404,), tags=TAGS)
def get_themed_report(report_id: int) -> Any:
    """A unit's report, for the unit and the units above it"""
    return jsonify(read(lambda s: themed.report_dict(s, themed.get_visible_report(s, me(s), report_id))))


@bp.post("/activities/themed/reports/<int:report_id>/review")
@declare(body=ThemedReview, ok=Anything, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def review_themed_report(report_id: int, json: ThemedReview) -> Any:
    """The organisation acknowledges a unit's report or returns it with a note"""
    def run(session: Session) -> dict[str, Any]:
        return themed.report_dict(session, themed.review(session, me(session), report_id, json.decision, json.note))

    return jsonify(write(run))


@bp.get("/tasks/<int:task_id>/member-years")
@declare(ok=Anything, errors=(403, 404), tags=TAGS)
def member_years(task_id: int) -> Any:
    """Each member's year at a glance (activities vs quota, pledges, talk problems, selections), shown on
    the mass appraisal and on proposing excellent members"""
    return jsonify(read(lambda s: member_year.for_task(s, me(s), task_id, records.today())))
