"""The talk loop's routes: requests, secretary-led talks, records, problem items, coverage,
ledger, reports (docs/talks.md). Answers, plans, records and close-outs are also ordinary
inbox tasks completed through ``POST /api/tasks/<id>/complete``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api import api_bp, bool_arg, int_arg, json_body
from server.errors import BadRequest, Forbidden
from server.org.models import OrgUnit, Position
from server.org.tree import active_position_filter, unit_by_ref
from server.requests import me, read, write
from server.talks import coverage as talk_cov
from server.talks import documents as talk_documents
from server.talks import permissions as talk_permissions
from server.talks import problems as talk_problems
from server.talks import records as talk_records
from server.talks import reports as talk_reports
from server.talks import starts as talk_starts
from server.talks import terms as talk_terms
from server.talks import views as talk_views

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store",
    })


def _unit_arg(session: Session, required: bool = True) -> OrgUnit | None:
    ref = request.args.get("org_unit")
    if not ref:
        if required:
            raise BadRequest("'org_unit' (id or code) is required", [{"field": "org_unit", "message": "required"}])
        return None
    return unit_by_ref(session, ref)


@api_bp.get("/talks/vocabulary")
def talk_vocabulary() -> Any:
    return jsonify({"kinds": talk_terms.KIND_LABELS, "triggers": talk_terms.TRIGGERS, "ways": talk_terms.WAY_LABELS,
                    "requested_with": talk_terms.REQUESTED_WITH_LABELS, "states": talk_terms.STATE_LABELS,
                    "close_criteria": talk_terms.CRITERIA, "follow_up_results": talk_terms.FOLLOW_UP_RESULTS})


@api_bp.get("/talks")
def list_talks() -> Any:
    limit, offset = int_arg("limit", 50, 1, 500), int_arg("offset", 0, 0, 10**9)

    def run(session: Session) -> dict[str, Any]:
        return talk_views.visible_talks(session, me(session), _unit_arg(session, required=False),
                                   request.args.get("kind") or None, request.args.get("state") or None,
                                   limit, offset)

    return jsonify(read(run))


@api_bp.post("/talks/requests")
def request_talk() -> Any:
    body = json_body()
    unit = body.pop("org_unit", None)

    def run(session: Session) -> dict[str, Any]:
        person = me(session)
        talk = talk_starts.request_talk(session, person, unit, body)
        return talk_views.talk_dict(session, talk, person)

    return jsonify(write(run)), 201


@api_bp.post("/talks")
def start_talk() -> Any:
    body = json_body()
    unit = body.pop("org_unit", None)
    if not isinstance(unit, (int, str)) or unit == "":
        raise BadRequest("'org_unit' (id or code) is required", [{"field": "org_unit", "message": "required"}])

    def run(session: Session) -> dict[str, Any]:
        person = me(session)
        talk = talk_starts.start_talk(session, person, unit, body)
        return talk_views.talk_dict(session, talk, person)

    return jsonify(write(run)), 201


def _visible_talk(session: Session, talk_id: int) -> tuple[Any, Any]:
    person = me(session)
    talk = talk_records.get_talk(session, talk_id)
    if not talk_permissions.may_view(session, person, talk):
        raise Forbidden("this talk is not in any of your units")
    return person, talk


@api_bp.get("/talks/<int:talk_id>")
def get_talk(talk_id: int) -> Any:
    def run(session: Session) -> dict[str, Any]:
        person, talk = _visible_talk(session, talk_id)
        return talk_views.talk_dict(session, talk, person)

    return jsonify(read(run))


@api_bp.get("/talks/<int:talk_id>/record.docx")
def talk_record_docx(talk_id: int) -> Any:
    def run(session: Session) -> bytes:
        person, talk = _visible_talk(session, talk_id)
        return talk_documents.record_docx(session, person, talk)

    return _download(read(run), DOCX, f"谈心谈话记录表-{talk_id}.docx")


@api_bp.post("/talks/<int:talk_id>/close-out")
def close_talk(talk_id: int) -> Any:
    summary = json_body().get("summary")
    return jsonify(write(lambda s: talk_problems.close_talk(s, me(s), talk_id, summary)))


@api_bp.get("/talks/problems")
def list_problems() -> Any:
    overdue = bool_arg("overdue")
    state = request.args.get("state") or None
    if state not in (None, "open", "closed"):
        raise BadRequest("state must be open or closed", [{"field": "state", "message": "unknown state"}])

    def run(session: Session) -> dict[str, Any]:
        unit = _unit_arg(session)
        assert unit is not None
        return talk_views.problems_of(session, me(session), unit, state, overdue)

    return jsonify(read(run))


@api_bp.post("/talks/problems/<int:problem_id>/follow-ups")
def follow_up(problem_id: int) -> Any:
    body = json_body()

    def run(session: Session) -> dict[str, Any]:
        problem = talk_problems.follow_up(session, me(session), problem_id, body.get("result"), body.get("note"))
        return talk_views.problem_dict(problem)

    return jsonify(write(run)), 201


@api_bp.post("/talks/problems/<int:problem_id>/close")
def close_problem(problem_id: int) -> Any:
    body = json_body()

    def run(session: Session) -> dict[str, Any]:
        problem = talk_problems.close_problem(session, me(session), problem_id, body.get("criteria"), body.get("note"))
        return talk_views.problem_dict(problem)

    return jsonify(write(run))


@api_bp.get("/talks/coverage")
def talk_coverage() -> Any:
    def run(session: Session) -> dict[str, Any]:
        unit = _unit_arg(session)
        assert unit is not None
        talk_permissions.require_manage(session, me(session), unit)
        return talk_cov.coverage(session, unit, talk_cov.period(request.args.get("period") or None))

    return jsonify(read(run))


@api_bp.get("/talks/ledger.xlsx")
def talk_ledger() -> Any:
    code = request.args.get("period") or None

    def run(session: Session) -> tuple[bytes, str]:
        unit = _unit_arg(session)
        assert unit is not None
        talk_permissions.require_manage(session, me(session), unit)
        half = talk_cov.period(code) if code else None
        return talk_documents.ledger_xlsx(session, unit, half), unit.name

    content, name = read(run)
    return _download(content, XLSX, f"谈心谈话台账-{name}{'-' + code if code else ''}.xlsx")


@api_bp.get("/talks/reports")
def list_reports() -> Any:
    def run(session: Session) -> dict[str, Any]:
        return talk_reports.visible_reports(session, me(session), _unit_arg(session, required=False),
                                            request.args.get("period") or None)

    return jsonify(read(run))


@api_bp.post("/talks/reports")
def open_report() -> Any:
    body = json_body()
    unit, code = body.get("org_unit"), body.get("period")
    if not isinstance(unit, (int, str)) or unit == "":
        raise BadRequest("'org_unit' (id or code) is required", [{"field": "org_unit", "message": "required"}])

    def run(session: Session) -> dict[str, Any]:
        report = talk_reports.open_report(session, me(session), unit, code if isinstance(code, str) else None)
        return talk_reports.report_dict(session, report)

    return jsonify(write(run)), 201


@api_bp.get("/talks/reports/<int:report_id>")
def get_report(report_id: int) -> Any:
    def run(session: Session) -> dict[str, Any]:
        report = talk_reports.get_report(session, report_id)
        if not talk_reports.may_see_report(session, me(session), report):
            raise Forbidden("this report is not in any of your units")
        return talk_reports.report_dict(session, report)

    return jsonify(read(run))


@api_bp.post("/talks/daily")
def talk_daily() -> Any:
    """Run today's talk-loop duties (reports due, coverage reminders) for my subtree now."""

    def run(session: Session) -> dict[str, Any]:
        person = me(session)
        unit = session.scalar(
            select(OrgUnit).join(Position, Position.org_unit_id == OrgUnit.id)
            .where(Position.person_id == person.id, Position.role == "org_admin", active_position_filter())
            .order_by(OrgUnit.path).limit(1)
        )
        if unit is None:
            raise Forbidden("only the organisation department (org_admin) runs the talk duties by hand")
        return talk_reports.daily(session, under=unit)

    return jsonify(write(run))


# -- OpenAPI: the talk routes add themselves to the served document ---------------------------------


def _document() -> None:
    from server.api.openapi import ERROR, ERRS, REF, SPEC, _json, _ok, _op, _path, _q

    def binary(mimetype: str, what: str) -> dict[str, Any]:
        return {"200": {"description": what, "content": {mimetype: {"schema": {"type": "string",
                                                                               "format": "binary"}}}}}

    unit_q = _q("org_unit", {"type": "string"}, "org unit id or code")
    period_q = _q("period", {"type": "string", "pattern": "^[0-9]{4}H[12]$"}, "half year, e.g. 2026H1")
    obj = {"type": "object"}
    SPEC["paths"].update({
        "/api/talks/vocabulary": {"get": _op("Talk kinds, the eight must-talk triggers, ways, close-out criteria",
                                             _ok(obj), tag="talks")},
        "/api/talks": {
            "get": _op("Talks I may see", {**_ok(REF("TalkList")), "400": ERROR},
                       params=[unit_q, _q("kind", {"enum": ["request", "must", "periodic", "topical"]}, "kind"),
                               _q("state", {"type": "string"}, "state"), _q("limit", {"type": "integer"}, "page size"),
                               _q("offset", {"type": "integer"}, "page start")], tag="talks"),
            "post": _op("The secretary starts a must-talk (八必谈), periodic or topical talk",
                        {**_ok(REF("Talk"), "201", "started"), **ERRS},
                        body=_json({"type": "object", "required": ["org_unit", "kind", "member"], "properties": {
                            "org_unit": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
                            "kind": {"enum": ["must", "periodic", "topical"]}, "trigger": {"type": "string"},
                            "member": {"type": "string"}, "talker": {"type": "string"},
                            "scheduled_at": {"type": "string", "format": "date-time"}, "place": {"type": "string"},
                            "way": {"enum": ["face_to_face", "phone", "home_visit"]}, "note": {"type": "string"}}}),
                        tag="talks"),
        },
        "/api/talks/requests": {
            "post": _op("A member asks for a talk; the branch contact must answer within 3 working days",
                        {**_ok(REF("Talk"), "201", "requested"), **ERRS},
                        body=_json({"type": "object", "required": ["requested_with", "topic", "preferred_times"],
                                    "properties": {
                                        "org_unit": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
                                        "requested_with": {"enum": ["secretary", "committee_member", "member"]},
                                        "requested_person": {"type": "string"}, "topic": {"type": "string"},
                                        "preferred_times": {"type": "string"}}}),
                        tag="talks"),
        },
        "/api/talks/{talk_id}": {
            "get": _op("A talk with its record and problem list (the confidential part only for the "
                       "participants, the branch secretary and the org_admin above)",
                       {**_ok(REF("Talk")), "403": ERROR, "404": ERROR}, params=[_path("talk_id")], tag="talks"),
        },
        "/api/talks/{talk_id}/record.docx": {
            "get": _op("The record as the annex-5 form 党员谈心谈话记录表 (DOCX)",
                       {**binary("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                 "DOCX"), "403": ERROR, "404": ERROR},
                       params=[_path("talk_id")], tag="talks"),
        },
        "/api/talks/{talk_id}/close-out": {
            "post": _op("Close the talk's loop; refused (409) while any problem item is open",
                        {**_ok(obj), **ERRS}, params=[_path("talk_id")],
                        body=_json({"type": "object", "required": ["summary"],
                                    "properties": {"summary": {"type": "string"}}}), tag="talks"),
        },
        "/api/talks/problems": {
            "get": _op("A branch's problem items (问题清单); overdue: open and past the deadline",
                       {**_ok(obj), "400": ERROR, "403": ERROR},
                       params=[unit_q, _q("state", {"enum": ["open", "closed"]}, "state"),
                               _q("overdue", {"type": "boolean"}, "only overdue (true) or not (false)")],
                       tag="talks"),
        },
        "/api/talks/problems/{problem_id}/follow-ups": {
            "post": _op("Look back (回头看) at a problem item", {**_ok(REF("TalkProblem"), "201", "recorded"), **ERRS},
                        params=[_path("problem_id")],
                        body=_json({"type": "object", "required": ["result", "note"], "properties": {
                            "result": {"enum": ["progressing", "resolved", "not_resolved"]},
                            "note": {"type": "string"}}}), tag="talks"),
        },
        "/api/talks/problems/{problem_id}/close": {
            "post": _op("Close out (销号) a problem item: branch secretary, after a look back, every criterion "
                        "affirmed, with a note", {**_ok(REF("TalkProblem")), **ERRS}, params=[_path("problem_id")],
                        body=_json({"type": "object", "required": ["criteria", "note"], "properties": {
                            "criteria": {"type": "object", "properties": {
                                c: {"type": "boolean"} for c in (
                                    "problem_solved", "request_met", "feelings_eased", "work_improved",
                                    "affection_deepened", "member_satisfied")}},
                            "note": {"type": "string"}}}), tag="talks"),
        },
        "/api/talks/coverage": {
            "get": _op("Half-year coverage: members the secretary has and has not talked with",
                       {**_ok(obj), "400": ERROR, "403": ERROR}, params=[unit_q, period_q], tag="talks"),
        },
        "/api/talks/ledger.xlsx": {
            "get": _op("The talk ledger (谈心谈话台账) as XLSX: talks and problem items, no confidential part",
                       {**binary("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
                        "400": ERROR, "403": ERROR}, params=[unit_q, period_q], tag="talks"),
        },
        "/api/talks/reports": {
            "get": _op("Half-year talk reports I may see", _ok(obj), params=[unit_q, period_q], tag="talks"),
            "post": _op("Generate a branch's half-year report from the data; the secretary submits it, the "
                        "superior acknowledges it (inbox tasks)", {**_ok(REF("TalkReport"), "201", "opened"), **ERRS},
                        body=_json({"type": "object", "required": ["org_unit"], "properties": {
                            "org_unit": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
                            "period": {"type": "string"}}}), tag="talks"),
        },
        "/api/talks/reports/{report_id}": {
            "get": _op("A half-year report with its figures", {**_ok(REF("TalkReport")), "403": ERROR, "404": ERROR},
                       params=[_path("report_id")], tag="talks"),
        },
        "/api/talks/daily": {
            "post": _op("Run today's talk duties now for my subtree (org_admin): open June/December reports, "
                        "send coverage reminders", {**_ok(obj), "403": ERROR}, tag="talks"),
        },
    })
    SPEC["components"]["schemas"].update({
        "Talk": {"type": "object", "properties": {
            "id": {"type": "integer"}, "instance_id": {"type": "integer"},
            "kind": {"enum": ["request", "must", "periodic", "topical"]},
            "trigger": {"type": "string", "nullable": True},
            "org_unit": REF("OrgUnit"), "subject": obj, "talker": {"type": "object", "nullable": True},
            "answer_due_at": {"type": "string", "format": "date-time", "nullable": True},
            "answered_late": {"type": "boolean"}, "breach": {"type": "object", "nullable": True},
            "record": {"type": "object", "nullable": True, "properties": {
                "main_content": {"type": "string"}, "measures": {"type": "string", "nullable": True},
                "confidential": {"type": "string", "nullable": True,
                                 "description": "null unless the caller may read it"},
                "confidential_visible": {"type": "boolean"}}},
            "problems": {"type": "array", "items": REF("TalkProblem")}, "state": {"type": "string"},
            "open_tasks": {"type": "array", "items": obj}}},
        "TalkList": {"type": "object", "properties": {"items": {"type": "array", "items": obj},
                                                      "total": {"type": "integer"}}},
        "TalkProblem": {"type": "object", "properties": {
            "id": {"type": "integer"}, "seq": {"type": "integer"}, "description": {"type": "string"},
            "owner": obj, "measure": {"type": "string"}, "deadline": {"type": "string", "format": "date"},
            "state": {"enum": ["open", "closed"]}, "overdue": {"type": "boolean"},
            "follow_ups": {"type": "array", "items": obj}, "close_note": {"type": "string", "nullable": True}}},
        "TalkReport": {"type": "object", "properties": {
            "id": {"type": "integer"}, "org_unit": REF("OrgUnit"), "period": {"type": "string"},
            "state": {"enum": ["draft", "submitted", "acknowledged"]}, "figures": obj,
            "figures_live": {"type": "boolean"}, "open_tasks": {"type": "array", "items": obj}}},
    })


_document()
