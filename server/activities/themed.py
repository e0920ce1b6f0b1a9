"""Themed campaigns with unit reports (seed 002: "文明泉州 党员先行", July–December 2020).

An organisation declares a campaign with a window, its activity lines and the reports each
unit directly below it owes (a plan, progress reports, a final summary, each with a due date).
The secretary of a unit below submits each report with its documents and photos ("各单位开展
活动的方案、情况和成效（包括规范文件、说明报告、图片资料等），请及时报送"); the organisation
acknowledges it or returns it with a reason, and a returned report is submitted again. The
board says who has reported what.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import clock
from server.access import check_may_view_unit, check_oversees, may_view_unit
from server.activities.models import ThemedCampaign, ThemedReport
from server.attachments import service as attachments
from server.errors import Conflict, Invalid, NotFound
from server.org.models import OrgUnit, Person
from server.org.tree import unit_by_ref

OWNER_KIND = "themed_report"
REPORT_KINDS = ("plan", "progress", "final")
KIND_LABELS = {"plan": "活动方案", "progress": "进展情况", "final": "总结成效"}
STATE_LABELS = {"missing": "未报送", "submitted": "待审阅", "acknowledged": "已确认", "returned": "已退回"}


def _bad(field: str, message: str) -> Invalid:
    return Invalid(f"{field}: {message}", [{"field": field, "message": message}])


def _day(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _bad(field, "a date YYYY-MM-DD") from None


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _bad(field, f"text of 1–{limit} characters")
    return value.strip()


def create(session: Session, actor: Person, body: dict[str, Any]) -> ThemedCampaign:
    unit = unit_by_ref(session, body.get("org_unit") or "")
    check_oversees(session, actor, unit)
    starts_on, ends_on = _day(body.get("starts_on"), "starts_on"), _day(body.get("ends_on"), "ends_on")
    if ends_on < starts_on:
        raise _bad("ends_on", "the window ends before it starts")
    raw_lines = body.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines or len(raw_lines) > 20:
        raise _bad("lines", "a list of 1–20 activity lines")
    lines = []
    for i, line in enumerate(raw_lines):
        if not isinstance(line, dict):
            raise _bad(f"lines.{i}", "an object {code, name, description}")
        lines.append({"code": _text(line.get("code"), f"lines.{i}.code", 40),
                      "name": _text(line.get("name"), f"lines.{i}.name", 200),
                      "description": str(line.get("description") or "")[:2000]})
    raw_reporting = body.get("reporting")
    if not isinstance(raw_reporting, list) or not raw_reporting or len(raw_reporting) > 24:
        raise _bad("reporting", "a list of 1–24 reports {kind, due_on}")
    reporting = []
    for i, item in enumerate(raw_reporting):
        if not isinstance(item, dict) or item.get("kind") not in REPORT_KINDS:
            raise _bad(f"reporting.{i}.kind", "plan, progress or final")
        due_on = _day(item.get("due_on"), f"reporting.{i}.due_on")
        if not starts_on <= due_on <= date.fromordinal(ends_on.toordinal() + 31):
            raise _bad(f"reporting.{i}.due_on", "within the window (a final summary up to a month after it)")
        reporting.append({"kind": item["kind"], "due_on": due_on.isoformat()})
    if reporting[-1]["kind"] != "final" or sorted(reporting, key=lambda r: r["due_on"]) != reporting:
        raise _bad("reporting", "reports in date order, the last one the final summary")
    campaign = ThemedCampaign(org_unit_id=unit.id, name=_text(body.get("name"), "name", 200), starts_on=starts_on,
                              ends_on=ends_on, lines=lines, reporting=reporting, created_by_id=actor.id,
                              created_at=clock.now())
    session.add(campaign)
    session.flush()
    return campaign


def get(session: Session, campaign_id: int) -> ThemedCampaign:
    campaign = session.get(ThemedCampaign, campaign_id)
    if campaign is None:
        raise NotFound(f"themed campaign {campaign_id} does not exist")
    return campaign


def reporting_units(session: Session, campaign: ThemedCampaign) -> list[OrgUnit]:
    return list(session.scalars(select(OrgUnit).where(OrgUnit.parent_id == campaign.org_unit_id).order_by(OrgUnit.id)))


def submit(session: Session, actor: Person, campaign_id: int, body: dict[str, Any]) -> ThemedReport:
    """A unit below submits (or, once returned, submits again) one of its reports."""
    campaign = get(session, campaign_id)
    unit = unit_by_ref(session, body.get("org_unit") or "")
    check_oversees(session, actor, unit)
    if unit.parent_id != campaign.org_unit_id:
        raise _bad("org_unit", f"{unit.name} does not report to {campaign.org_unit.name}")
    seq = body.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < len(campaign.reporting):
        raise _bad("seq", f"the index of a report of the campaign (0–{len(campaign.reporting) - 1})")
    lines = body.get("lines") or []
    known = {line["code"] for line in campaign.lines}
    if not isinstance(lines, list) or any(code not in known for code in lines):
        raise _bad("lines", f"codes of the campaign's lines ({', '.join(sorted(known))})")
    text = _text(body.get("text"), "text", 20000)
    report = session.scalar(select(ThemedReport).where(ThemedReport.campaign_id == campaign.id,
                                                       ThemedReport.org_unit_id == unit.id, ThemedReport.seq == seq))
    now = clock.now()
    if report is None:
        report = ThemedReport(campaign_id=campaign.id, org_unit_id=unit.id, seq=seq,
                              kind=campaign.reporting[seq]["kind"], submitted_by_id=actor.id)
        session.add(report)
    elif report.state != "returned":
        raise Conflict(f"this report is already {report.state}: only a returned report is submitted again")
    report.text, report.lines, report.state = text, lines, "submitted"
    report.submitted_by_id, report.submitted_at, report.review_note = actor.id, now, None
    session.flush()
    attachments.claim(session, actor, body.get("attachments") or [], OWNER_KIND, report.id)
    return report


def review(session: Session, actor: Person, report_id: int, decision: Any, note: Any) -> ThemedReport:
    report = session.get(ThemedReport, report_id)
    if report is None or not may_view_unit(session, actor, report.org_unit):
        raise NotFound(f"themed report {report_id} does not exist")
    check_oversees(session, actor, report.campaign.org_unit)
    if decision not in ("acknowledge", "return"):
        raise _bad("decision", "acknowledge or return")
    if report.state != "submitted":
        raise Conflict(f"this report is {report.state}: it waits for no review")
    if decision == "return":
        note = _text(note, "note", 2000)
    report.state = "acknowledged" if decision == "acknowledge" else "returned"
    report.review_note = note if isinstance(note, str) and note.strip() else None
    report.reviewed_by_id, report.reviewed_at = actor.id, clock.now()
    return report


def may_see_report_id(session: Session, person: Person, report_id: int) -> bool:
    report = session.get(ThemedReport, report_id)
    return report is not None and may_view_unit(session, person, report.org_unit)


def campaign_dict(campaign: ThemedCampaign) -> dict[str, Any]:
    unit = campaign.org_unit
    return {"id": campaign.id, "name": campaign.name, "starts_on": campaign.starts_on.isoformat(),
            "ends_on": campaign.ends_on.isoformat(), "lines": campaign.lines,
            "reporting": [{**r, "seq": i, "label": KIND_LABELS[r["kind"]]} for i, r in enumerate(campaign.reporting)],
            "org_unit": {"id": unit.id, "code": unit.code, "name": unit.name}}


def report_dict(session: Session, report: ThemedReport) -> dict[str, Any]:
    files = attachments.attached(session, OWNER_KIND, [report.id])[report.id]
    return {"id": report.id, "campaign_id": report.campaign_id, "seq": report.seq, "kind": report.kind,
            "org_unit": {"id": report.org_unit.id, "code": report.org_unit.code, "name": report.org_unit.name},
            "text": report.text, "lines": report.lines or [], "state": report.state,
            "submitted_at": report.submitted_at.isoformat(), "review_note": report.review_note,
            "reviewed_at": report.reviewed_at.isoformat() if report.reviewed_at else None,
            "attachments": [attachments.attachment_dict(a) for a in files]}


def board(session: Session, viewer: Person, campaign_id: int, today: date) -> dict[str, Any]:
    """Who has reported what: each unit below × each report of the campaign."""
    campaign = get(session, campaign_id)
    check_may_view_unit(session, viewer, campaign.org_unit)
    reports = {(r.org_unit_id, r.seq): r for r in session.scalars(
        select(ThemedReport).where(ThemedReport.campaign_id == campaign.id))}
    counts = attachments.attached(session, OWNER_KIND, [r.id for r in reports.values()])
    rows = []
    for unit in reporting_units(session, campaign):
        cells = []
        for seq, item in enumerate(campaign.reporting):
            report = reports.get((unit.id, seq))
            due = date.fromisoformat(item["due_on"])
            state = report.state if report is not None else "missing"
            late = report.submitted_at.date() > due if report is not None else today > due
            cells.append({"seq": seq, "kind": item["kind"], "due_on": item["due_on"], "state": state,
                          "state_label": STATE_LABELS[state], "late": late,
                          "report_id": report.id if report is not None else None,
                          "attachments": len(counts[report.id]) if report is not None else 0})
        rows.append({"org_unit": {"id": unit.id, "code": unit.code, "name": unit.name}, "reports": cells,
                     "submitted": sum(c["state"] in ("submitted", "acknowledged") for c in cells)})
    return {"campaign": campaign_dict(campaign), "units": rows}


def for_unit(session: Session, viewer: Person, unit: OrgUnit) -> list[ThemedCampaign]:
    """The campaigns a unit declared and those of the unit it reports to."""
    check_may_view_unit(session, viewer, unit)
    owners = [unit.id] + ([unit.parent_id] if unit.parent_id is not None else [])
    return list(session.scalars(select(ThemedCampaign).where(ThemedCampaign.org_unit_id.in_(owners))
                                .order_by(ThemedCampaign.starts_on.desc(), ThemedCampaign.id.desc())))


def get_visible_report(session: Session, person: Person, report_id: int) -> ThemedReport:
    report = session.get(ThemedReport, report_id)
    if report is None or not may_view_unit(session, person, report.org_unit):
        raise NotFound(f"themed report {report_id} does not exist")
    return report
