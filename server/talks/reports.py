"""Half-year talk reports to the superior (6月、12月底前) and coverage reminders.

A report is a ``talk_report`` process: its figures are generated from the talk tables,
the branch secretary submits it (the figures are generated again and frozen at that
moment) and the superior organisation acknowledges it. A coverage reminder is a
``talk_coverage`` process: one inbox task for the branch secretary naming the members
not yet talked with this half year, due on the last day of the half year.

``daily(session)`` does what falls due each day (open the June/December reports, send
the reminders); the scheduler calls it once a day, an administrator may call it through
``POST /api/talks/daily``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task
from inbox.reminders import recipients
from server import clock
from server.calendar.due import SHANGHAI
from server.errors import Conflict, Forbidden, NotFound
from server.notifications import mail
from server.notifications.models import Notification
from server.org.models import OrgUnit, Person
from server.org.tree import holds_any, unit_by_ref, unit_dict
from server.talks.coverage import Period, coverage, period
from server.talks.models import Talk, TalkBreach, TalkProblem, TalkReminder, TalkReport
from server.talks.permissions import may_manage
from server.talks.terms import TRIGGERS, today
from server.workflow.engine import Snapshot
from server.workflow.hooks import Completion, CompletionHandler
from server.workflow.instances import start_instance
from server.workflow.models import ProcessDefinition, ProcessInstance

REPORT_KEY = "talk_report"
COVERAGE_KEY = "talk_coverage"
REMIND_DAYS_BEFORE = 30
"""A coverage reminder goes out this many days before the half year ends."""
REPORT_MONTHS = (6, 12)
"""Each branch's report is opened on the first day of June and of December."""


def _bounds(half: Period) -> tuple[datetime, datetime]:
    start = datetime.combine(half.start, time(0), SHANGHAI)
    end = datetime.combine(half.end + timedelta(days=1), time(0), SHANGHAI)
    return start, end


def figures(session: Session, unit: OrgUnit, half: Period) -> dict[str, Any]:
    """The report's figures, from the data: talks held by kind, problems raised and closed,
    replies late, coverage."""
    start, end = _bounds(half)
    now = clock.now()
    held = session.execute(
        select(Talk.kind, Talk.trigger, func.count(Talk.id))
        .where(Talk.org_unit_id == unit.id, Talk.held_on >= half.start, Talk.held_on <= half.end)
        .group_by(Talk.kind, Talk.trigger)
    ).all()
    by_kind = {"request": 0, "must": 0, "periodic": 0, "topical": 0}
    by_trigger = dict.fromkeys(TRIGGERS, 0)
    for kind, trigger, count in held:
        by_kind[kind] = by_kind.get(kind, 0) + count
        if kind == "must" and trigger in by_trigger:
            by_trigger[trigger] += count

    requests = session.scalars(
        select(Talk).where(Talk.org_unit_id == unit.id, Talk.kind == "request", Talk.created_at >= start,
                           Talk.created_at < end)
    ).all()
    answered = [t for t in requests if t.answered_at is not None]
    late = [t for t in answered if t.answer_due_at is not None and t.answered_at > t.answer_due_at]  # type: ignore[operator]
    unanswered_overdue = [t for t in requests if t.answered_at is None and t.answer_due_at is not None
                          and t.answer_due_at < now]
    breaches = session.scalar(
        select(func.count(TalkBreach.id)).where(TalkBreach.org_unit_id == unit.id, TalkBreach.due_at >= start,
                                                TalkBreach.due_at < end)
    ) or 0

    problems = session.scalars(select(TalkProblem).where(TalkProblem.org_unit_id == unit.id)).all()
    on = min(today(), half.end)
    raised = [p for p in problems if start <= p.created_at < end]
    closed = [p for p in problems if p.closed_at is not None and start <= p.closed_at < end]
    still_open = [p for p in problems if p.created_at < end and (p.closed_at is None or p.closed_at >= end)]
    overdue = [p for p in still_open if p.deadline < on]
    cov = coverage(session, unit, half)
    return {
        "org_unit": unit_dict(unit),
        "period": half.code,
        "period_label": half.label,
        "from": half.start.isoformat(),
        "to": half.end.isoformat(),
        "generated_at": now.isoformat(),
        "talks_held": {**by_kind, "total": sum(by_kind.values())},
        "must_by_trigger": by_trigger,
        "requests": {
            "received": len(requests),
            "answered": len(answered),
            "answered_on_time": len(answered) - len(late),
            "answered_late": len(late),
            "unanswered_overdue": len(unanswered_overdue),
        },
        "replies_late": len(late) + len(unanswered_overdue),
        "breaches": breaches,
        "problems": {"raised": len(raised), "closed": len(closed), "open": len(still_open),
                     "overdue": len(overdue)},
        "coverage": {"members": cov["members"], "covered": cov["covered_count"],
                     "uncovered": [p["name"] for p in cov["uncovered"]]},
    }


# -- reports -------------------------------------------------------------------------------------


def _report_unit_check(session: Session, actor: Person | None, unit: OrgUnit) -> None:
    if unit.type not in ("branch", "general_branch"):
        raise Conflict(f"{unit.name} is not a branch: talk reports are made by branches")
    if actor is not None and not (
        holds_any(session, actor.id, [(unit.id, "secretary")])
        or holds_any(session, actor.id, [(uid, "org_admin") for uid in unit.ancestor_ids()])
    ):
        raise Forbidden(f"only the secretary of {unit.name} (or the organisation department) opens its report")


def open_report(session: Session, actor: Person | None, org_unit: OrgUnit | int | str, code: str | None
                ) -> TalkReport:
    """Generate a branch's half-year report and put it in the secretary's inbox to submit."""
    unit = org_unit if isinstance(org_unit, OrgUnit) else unit_by_ref(session, org_unit)
    half = period(code)
    instance = start_instance(session, process_key=REPORT_KEY, org_unit=unit.id, actor=actor,
                              data={"period": half.code}, title=f"谈心谈话半年报告：{unit.name} {half.label}")
    return _report_of_instance(session, instance.id)


def report_start(session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
                  actor: Person | None, parent_id: int | None) -> dict[str, Any]:
    """However a report is started: a branch, its secretary (or org_admin above), once per half year."""
    code = data.get("period")
    half = period(str(code) if code else None)
    _report_unit_check(session, actor, unit)
    existing = session.scalar(select(TalkReport.id).where(TalkReport.org_unit_id == unit.id,
                                                          TalkReport.period == half.code))
    if existing is not None:
        raise Conflict(f"the report of {unit.name} for {half.label} exists already (report {existing})")
    return {"period": half.code, "period_label": half.label, "report_due": half.end.isoformat()}


def _report_of_instance(session: Session, instance_id: int) -> TalkReport:
    report = session.scalar(select(TalkReport).where(TalkReport.instance_id == instance_id))
    if report is None:
        raise NotFound(f"process instance {instance_id} carries no talk report")
    return report


def get_report(session: Session, report_id: int) -> TalkReport:
    report = session.get(TalkReport, report_id)
    if report is None:
        raise NotFound(f"talk report {report_id} does not exist")
    return report


def may_see_report(session: Session, person: Person, report: TalkReport) -> bool:
    return may_manage(session, person, report.org_unit)


def report_dict(session: Session, report: TalkReport) -> dict[str, Any]:
    live = report.state == "draft"
    unit = report.org_unit
    open_tasks = session.scalars(
        select(Task).where(Task.instance_id == report.instance_id, Task.state == OPEN).order_by(Task.id)
    ).all() if report.instance_id else []
    return {
        "id": report.id,
        "org_unit": unit_dict(unit),
        "period": report.period,
        "period_label": period(report.period).label,
        "instance_id": report.instance_id,
        "state": report.state,
        "due_on": report.due_on.isoformat(),
        "figures": figures(session, unit, period(report.period)) if live else report.figures,
        "figures_live": live,
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
        "submitted_by": report.submitted_by.username if report.submitted_by else None,
        "remarks": report.remarks,
        "acknowledged_at": report.acknowledged_at.isoformat() if report.acknowledged_at else None,
        "acknowledged_by": report.acknowledged_by.username if report.acknowledged_by else None,
        "ack_note": report.ack_note,
        "open_tasks": [{"id": t.id, "element_id": t.element_id, "name": t.name} for t in open_tasks],
    }


def visible_reports(session: Session, viewer: Person, unit: OrgUnit | None, code: str | None) -> dict[str, Any]:
    stmt = select(TalkReport).order_by(TalkReport.period.desc(), TalkReport.org_unit_id)
    if unit is not None:
        stmt = stmt.where(TalkReport.org_unit_id == unit.id)
    if code:
        stmt = stmt.where(TalkReport.period == period(code).code)
    items = [r for r in session.scalars(stmt) if may_see_report(session, viewer, r)]
    return {"items": [report_dict(session, r) for r in items], "total": len(items)}


# -- coverage reminders ----------------------------------------------------------------------------


def send_coverage_reminders(session: Session, on: date | None = None, *, under: OrgUnit | None = None,
                            days_before: int = REMIND_DAYS_BEFORE) -> list[TalkReminder]:
    """Before the half year ends, remind each branch secretary of the members not yet talked with.

    Once per branch and half year; a branch with everyone covered gets nothing.
    """
    day = on or today()
    half = period(on=day)
    if (half.end - day).days > days_before:
        return []
    stmt = select(OrgUnit).where(OrgUnit.type == "branch").order_by(OrgUnit.id)
    if under is not None:
        stmt = stmt.where(OrgUnit.path.startswith(under.path))
    sent = []
    for unit in session.scalars(stmt).all():
        done = session.scalar(select(TalkReminder.id).where(TalkReminder.org_unit_id == unit.id,
                                                            TalkReminder.period == half.code))
        if done is not None:
            continue
        cov = coverage(session, unit, half)
        if not cov["uncovered"]:
            continue
        instance = start_instance(
            session, process_key=COVERAGE_KEY, org_unit=unit.id, actor=None, data=_reminder_data(half, cov),
            title=f"定期谈心提醒：{unit.name} {half.label}尚有 {cov['uncovered_count']} 名党员未谈",
        )
        reminder = TalkReminder(org_unit_id=unit.id, period=half.code, sent_at=clock.now(), instance_id=instance.id,
                                uncovered=[p["username"] for p in cov["uncovered"]])
        session.add(reminder)
        session.flush()
        _notify_secretary(session, instance.id, unit, half, cov)
        sent.append(reminder)
    return sent


def _notify_secretary(session: Session, instance_id: int, unit: OrgUnit, half: Period, cov: dict[str, Any]) -> None:
    """The reminder goes out as a notification (in the app, and by e-mail when SMTP is set up)."""
    task = session.scalar(select(Task).where(Task.instance_id == instance_id, Task.state == OPEN))
    if task is None:
        return
    names = "、".join(p["name"] for p in cov["uncovered"])
    title = f"定期谈心提醒：{half.label}尚有 {cov['uncovered_count']} 名党员未谈"
    body = (f"{unit.name}{half.label}将于 {half.end.strftime('%Y年%m月%d日')} 结束，支部书记尚未与以下党员专门面谈："
            f"{names}。请在半年结束前安排谈心：/tasks/{task.id}")
    now = clock.now()
    for person in recipients(session, task):
        session.add(Notification(
            person_id=person.id, kind="talk_coverage", task_id=task.id, instance_id=instance_id, title=title[:300],
            body=body, created_at=now, email_state="pending" if mail.enabled() and person.email else None,
            email_attempts=0,
        ))
    session.flush()


def _reminder_data(half: Period, cov: dict[str, Any]) -> dict[str, Any]:
    return {"period": half.code, "period_label": half.label, "period_end": half.end.isoformat(),
            "uncovered": [p["username"] for p in cov["uncovered"]],
            "uncovered_names": "、".join(p["name"] for p in cov["uncovered"]),
            "covered_count": cov["covered_count"], "members": cov["members"]}


def reminder_start(session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
                    actor: Person | None, parent_id: int | None) -> dict[str, Any]:
    """A reminder started by hand (an org_admin) names the uncovered members too."""
    if "uncovered" in data:
        return data
    code = data.get("period")
    half = period(str(code) if code else None)
    return _reminder_data(half, coverage(session, unit, half))


def open_due_reports(session: Session, on: date | None = None, *, under: OrgUnit | None = None
                     ) -> list[TalkReport]:
    """From 1 June and 1 December, open every branch's report for the half year."""
    day = on or today()
    half = period(on=day)
    if day.month not in REPORT_MONTHS:
        return []
    stmt = select(OrgUnit).where(OrgUnit.type == "branch").order_by(OrgUnit.id)
    if under is not None:
        stmt = stmt.where(OrgUnit.path.startswith(under.path))
    opened = []
    for unit in session.scalars(stmt).all():
        exists = session.scalar(select(TalkReport.id).where(TalkReport.org_unit_id == unit.id,
                                                            TalkReport.period == half.code))
        if exists is None:
            opened.append(open_report(session, None, unit, half.code))
    return opened


def daily(session: Session, on: date | None = None, *, under: OrgUnit | None = None) -> dict[str, Any]:
    """What the talk loop does once a day: open due reports, send coverage reminders."""
    reports = open_due_reports(session, on, under=under)
    reminders = send_coverage_reminders(session, on, under=under)
    return {"reports_opened": [r.id for r in reports],
            "reminders_sent": [{"org_unit_id": r.org_unit_id, "period": r.period, "instance_id": r.instance_id,
                                "uncovered": r.uncovered} for r in reminders]}


# -- hooks (plugged in by server.talks.family) -----------------------------------------------------


def on_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    report = session.scalar(select(TalkReport).where(TalkReport.instance_id == instance.id))
    if report is None:
        unit = instance.org_unit
        code = snapshot.data.get("period")
        half = period(str(code) if code else None)
        report = TalkReport(org_unit_id=unit.id, period=half.code, instance_id=instance.id, state="draft",
                            figures=figures(session, unit, half), due_on=half.end, created_at=clock.now())
        session.add(report)
        session.flush()


def _submit(c: Completion) -> bool:
    report = _report_of_instance(c.session, c.task.instance_id)
    report.figures = figures(c.session, report.org_unit, period(report.period))
    report.state = "submitted"
    report.submitted_at = c.now
    report.submitted_by_id = c.person.id
    report.remarks = c.data.get("remarks")
    return False


def _acknowledge(c: Completion) -> bool:
    report = _report_of_instance(c.session, c.task.instance_id)
    report.state = "acknowledged"
    report.acknowledged_at = c.now
    report.acknowledged_by_id = c.person.id
    report.ack_note = c.data.get("comment")
    return False


COMPLETIONS: dict[tuple[str, str], CompletionHandler] = {
    (REPORT_KEY, "SubmitReport"): _submit,
    (REPORT_KEY, "AcknowledgeReport"): _acknowledge,
}
