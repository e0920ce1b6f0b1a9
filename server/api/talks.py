"""The talk loop's routes: requests, secretary-led talks, records, problem items, coverage,
ledger, reports (docs/talks.md). Answers, plans, records and close-outs are also ordinary
inbox tasks completed through ``POST /api/tasks/<id>/complete``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.contract import declare
from server.api.schemas.common import Anything, Binary
from server.api.schemas.talks import (
    CloseOut,
    FollowUp,
    MemberContact,
    MemberContactAdd,
    OverviewQuery,
    PeriodQuery,
    ProblemClose,
    ProblemQuery,
    ReportOpen,
    ReportQuery,
    Talk,
    TalkList,
    TalkPlanBody,
    TalkProblem,
    TalkQuery,
    TalkReport,
    TalkRequest,
    TalkStart,
    Vocabulary,
)
from server.errors import BadRequest, Forbidden
from server.org.models import OrgUnit, Position
from server.org.tree import active_position_filter, unit_by_ref
from server.requests import me, read, write
from server.talks import contacts as talk_contacts
from server.talks import coverage as talk_cov
from server.talks import documents as talk_documents
from server.talks import overview as talk_overview
from server.talks import permissions as talk_permissions
from server.talks import plans as talk_plans
from server.talks import problems as talk_problems
from server.talks import records as talk_records
from server.talks import reports as talk_reports
from server.talks import starts as talk_starts
from server.talks import terms as talk_terms
from server.talks import views as talk_views

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

bp = Blueprint("talks", __name__)
TAGS = ("talks",)


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store",
    })


def _unit_arg(session: Session, ref: str | None, required: bool = True) -> OrgUnit | None:
    if not ref:
        if required:
            raise BadRequest("'org_unit' (id or code) is required", [{"field": "org_unit", "message": "required"}])
        return None
    return unit_by_ref(session, ref)


@bp.get("/talks/vocabulary")
@declare(ok=Vocabulary, tags=TAGS)
def talk_vocabulary() -> Any:
    """Talk kinds, the eight must-talk triggers, ways, close-out criteria"""
    return jsonify({"kinds": talk_terms.KIND_LABELS, "triggers": talk_terms.TRIGGERS, "ways": talk_terms.WAY_LABELS,
                    "requested_with": talk_terms.REQUESTED_WITH_LABELS, "states": talk_terms.STATE_LABELS,
                    "close_criteria": talk_terms.CRITERIA, "guidance_criteria": talk_terms.GUIDANCE_CRITERIA,
                    "follow_up_results": talk_terms.FOLLOW_UP_RESULTS})


@bp.get("/talks")
@declare(query=TalkQuery, ok=TalkList, tags=TAGS)
def list_talks(query: TalkQuery) -> Any:
    """Talks I may see"""

    def run(session: Session) -> dict[str, Any]:
        return talk_views.visible_talks(session, me(session), _unit_arg(session, query.org_unit, required=False),
                                   query.kind or None, query.state or None, query.limit, query.offset)

    return jsonify(read(run))


@bp.post("/talks/requests")
@declare(body=TalkRequest, ok=Talk, status=201, errors=(403, 404, 422), write=True, tags=TAGS)
def request_talk(json: TalkRequest) -> Any:
    """A member asks for a talk; the branch contact must answer within 3 working days"""
    body = json.model_dump(exclude_unset=True)
    unit = body.pop("org_unit", None)

    def run(session: Session) -> dict[str, Any]:
        person = me(session)
        talk = talk_starts.request_talk(session, person, unit, body)
        return talk_views.talk_dict(session, talk, person)

    return jsonify(write(run)), 201


@bp.post("/talks")
@declare(body=TalkStart, ok=Talk, status=201, errors=(403, 404, 422), write=True, tags=TAGS)
def start_talk(json: TalkStart) -> Any:
    """The secretary starts a must-talk (八必谈), periodic or topical talk"""
    body = json.model_dump(exclude_unset=True)
    unit = body.pop("org_unit")

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


@bp.get("/talks/<int:talk_id>")
@declare(ok=Talk, errors=(403, 404), tags=TAGS)
def get_talk(talk_id: int) -> Any:
    """A talk with its record and problem list

    The confidential part only for the participants, the branch secretary and the org_admin above.
    """
    def run(session: Session) -> dict[str, Any]:
        person, talk = _visible_talk(session, talk_id)
        return talk_views.talk_dict(session, talk, person)

    return jsonify(read(run))


@bp.get("/talks/<int:talk_id>/record.docx")
@declare(ok=Binary, errors=(403, 404), ok_media=DOCX, tags=TAGS)
def talk_record_docx(talk_id: int) -> Any:
    """The record as the annex-5 form 党员谈心谈话记录表 (DOCX)"""
    def run(session: Session) -> bytes:
        person, talk = _visible_talk(session, talk_id)
        if not talk_permissions.may_read_record(session, person, talk):
            raise Forbidden("the record is read by the participants, the branch secretary and deputy and the "
                            "organisation department above")
        return talk_documents.record_docx(session, person, talk)

    return _download(read(run), DOCX, f"谈心谈话记录表-{talk_id}.docx")


@bp.post("/talks/<int:talk_id>/close-out")
@declare(body=CloseOut, ok=Anything, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def close_talk(talk_id: int, json: CloseOut) -> Any:
    """Close the talk's loop; refused (409) while any problem item is open"""
    return jsonify(write(lambda s: talk_problems.close_talk(s, me(s), talk_id, json.summary)))


@bp.get("/talks/problems")
@declare(query=ProblemQuery, ok=Anything, errors=(403,), tags=TAGS)
def list_problems(query: ProblemQuery) -> Any:
    """A branch's problem items (问题清单); overdue: open and past the deadline"""

    def run(session: Session) -> dict[str, Any]:
        unit = _unit_arg(session, query.org_unit)
        assert unit is not None
        return talk_views.problems_of(session, me(session), unit, query.state, query.overdue)

    return jsonify(read(run))


@bp.post("/talks/problems/<int:problem_id>/follow-ups")
@declare(body=FollowUp, ok=TalkProblem, status=201, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def follow_up(problem_id: int, json: FollowUp) -> Any:
    """Look back (回头看) at a problem item"""

    def run(session: Session) -> dict[str, Any]:
        problem = talk_problems.follow_up(session, me(session), problem_id, json.result, json.note)
        return talk_views.problem_dict(problem)

    return jsonify(write(run)), 201


@bp.post("/talks/problems/<int:problem_id>/close")
@declare(body=ProblemClose, ok=TalkProblem, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def close_problem(problem_id: int, json: ProblemClose) -> Any:
    """Close out (销号) a problem item: branch secretary, after a look back, every criterion affirmed, with a note"""

    def run(session: Session) -> dict[str, Any]:
        problem = talk_problems.close_problem(session, me(session), problem_id, json.criteria, json.note, json.way)
        return talk_views.problem_dict(problem)

    return jsonify(write(run))


@bp.get("/talks/coverage")
@declare(query=PeriodQuery, ok=Anything, errors=(403, 422), tags=TAGS)
def talk_coverage(query: PeriodQuery) -> Any:
    """Half-year coverage: members the secretary has and has not talked with"""

    def run(session: Session) -> dict[str, Any]:
        unit = _unit_arg(session, query.org_unit)
        assert unit is not None
        talk_permissions.require_manage(session, me(session), unit)
        half = talk_cov.period(query.period or None)
        return {**talk_cov.coverage(session, unit, half),
                "contacts": talk_contacts.contact_coverage(session, unit, half)}

    return jsonify(read(run))


@bp.get("/org-units/<unit_ref>/member-contacts")
@declare(ok=Anything, errors=(403, 404, 422), tags=TAGS)
def member_contacts(unit_ref: str) -> Any:
    """联系党员 of a branch: who looks after whom (the branch committee and the organisations above)"""
    return jsonify(read(lambda s: talk_contacts.list_contacts(s, me(s), unit_by_ref(s, unit_ref))))


@bp.post("/org-units/<unit_ref>/member-contacts")
@declare(body=MemberContactAdd, ok=MemberContact, status=201, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def add_member_contact(unit_ref: str, json: MemberContactAdd) -> Any:
    """Assign a committee member or group leader to look after a member (secretary, org_admin above)"""
    return jsonify(write(lambda s: talk_contacts.add_contact(s, me(s), unit_by_ref(s, unit_ref), json.contact,
                                                             json.member))), 201


@bp.delete("/member-contacts/<int:contact_id>")
@declare(status=204, errors=(403, 404), write=True, tags=TAGS)
def remove_member_contact(contact_id: int) -> Any:
    """End a 联系党员 assignment (secretary, org_admin above)"""
    write(lambda s: talk_contacts.remove_contact(s, me(s), contact_id))
    return "", 204


@bp.get("/org-units/<unit_ref>/talk-plan")
@declare(query=OverviewQuery, ok=Anything, errors=(403, 404, 422), tags=TAGS)
def talk_plan(unit_ref: str, query: OverviewQuery) -> Any:
    """A branch's talk plan of a half year: fixed talk day, monthly schedule and what was held"""
    return jsonify(read(lambda s: talk_plans.get_plan(s, me(s), unit_by_ref(s, unit_ref),
                                                      talk_cov.period(query.period or None))))


@bp.put("/org-units/<unit_ref>/talk-plan")
@declare(body=TalkPlanBody, ok=Anything, errors=(403, 404, 422), write=True, tags=TAGS)
def put_talk_plan(unit_ref: str, json: TalkPlanBody) -> Any:
    """Set a branch's half-year talk plan (secretary, org_admin above)"""
    return jsonify(write(lambda s: talk_plans.put_plan(s, me(s), unit_by_ref(s, unit_ref),
                                                       talk_cov.period(json.period or None), json.talk_day,
                                                       json.entries, json.note)))


@bp.get("/talks/overview")
@declare(query=OverviewQuery, ok=Anything, tags=TAGS)
def talk_overview_of_units(query: OverviewQuery) -> Any:
    """The talk work of every branch I look after in a half year: coverage, talks, open problems, report"""
    return jsonify(read(lambda s: talk_overview.overview(s, me(s), query.period or None)))


@bp.get("/talks/ledger.xlsx")
@declare(query=PeriodQuery, ok=Binary, errors=(403, 422), ok_media=XLSX, tags=TAGS)
def talk_ledger(query: PeriodQuery) -> Any:
    """The talk ledger (谈心谈话台账) as XLSX: talks and problem items, no confidential part"""
    code = query.period or None

    def run(session: Session) -> tuple[bytes, str]:
        unit = _unit_arg(session, query.org_unit)
        assert unit is not None
        talk_permissions.require_unit_records(session, me(session), unit)
        half = talk_cov.period(code) if code else None
        return talk_documents.ledger_xlsx(session, unit, half), unit.name

    content, name = read(run)
    return _download(content, XLSX, f"谈心谈话台账-{name}{'-' + code if code else ''}.xlsx")


@bp.get("/talks/reports")
@declare(query=ReportQuery, ok=Anything, errors=(422,), tags=TAGS)
def list_reports(query: ReportQuery) -> Any:
    """Half-year talk reports I may see"""

    def run(session: Session) -> dict[str, Any]:
        return talk_reports.visible_reports(session, me(session), _unit_arg(session, query.org_unit, required=False),
                                            query.period or None)

    return jsonify(read(run))


@bp.post("/talks/reports")
@declare(body=ReportOpen, ok=TalkReport, status=201, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def open_report(json: ReportOpen) -> Any:
    """Generate a branch's half-year report from the data

    The secretary submits it, the superior acknowledges it (inbox tasks).
    """
    unit, code = json.org_unit, json.period

    def run(session: Session) -> dict[str, Any]:
        report = talk_reports.open_report(session, me(session), unit, code if isinstance(code, str) else None)
        return talk_reports.report_dict(session, report)

    return jsonify(write(run)), 201


@bp.get("/talks/reports/<int:report_id>")
@declare(ok=TalkReport, errors=(403, 404), tags=TAGS)
def get_report(report_id: int) -> Any:
    """A half-year report with its figures"""
    def run(session: Session) -> dict[str, Any]:
        report = talk_reports.get_report(session, report_id)
        if not talk_reports.may_see_report(session, me(session), report):
            raise Forbidden("this report is not in any of your units")
        return talk_reports.report_dict(session, report)

    return jsonify(read(run))


@bp.post("/talks/daily")
@declare(ok=Anything, errors=(403,), write=True, tags=TAGS)
def talk_daily() -> Any:
    """Run today's talk duties now for my subtree (org_admin)

    Opens the June/December reports, sends coverage reminders.
    """

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
