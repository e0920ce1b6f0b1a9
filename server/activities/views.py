"""What the API and pages read: the quota view, the list of records, the xlsx ledger."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from server import spreadsheets
from server.access import check_may_view_unit
from server.activities import periods, quota, records, rollup
from server.activities.models import RECORD_STATES, ActivityRecord
from server.attachments import service as attachments
from server.errors import Invalid
from server.org.models import OrgUnit, Person

STATE_LABELS = {"submitted": "待确认", "confirmed": "已确认", "returned": "已退回"}
CADENCE_LABELS = {"month": "每月", "quarter": "每季度", "year": "每年"}
LEDGER_HEADER = ("序号", "姓名", "所在支部", "活动项目", "活动内容（做了什么）", "时间", "地点", "服务对象（为谁）",
                 "时长（小时）", "照片和文件", "状态", "确认人", "备注")
"""The service ledger's columns: seed 000 asks the community to 建立工作台账做好档案记录 of what
each member did; the issue's what/when/where/for whom/how long, with the evidence and review."""
QUOTA_HEADER = ("姓名", "所在支部", "应完成", "已完成", "未完成", "逾期未完成", "完成率")


def quota_view(session: Session, viewer: Person, unit: OrgUnit, period_code: str | None, *, limit: int = 500,
               offset: int = 0, only_missing: bool = False) -> dict[str, Any]:
    check_may_view_unit(session, viewer, unit)
    period = periods.parse(period_code)
    today = records.today()
    ledger = None if only_missing else rollup.compute(session, unit, period, today, limit=limit, offset=offset)
    if ledger is None:  # who misses something needs every member's numbers
        ledger = quota.compute(session, unit, period, today)
    return quota.ledger_dict(ledger, limit=limit, offset=offset, only_missing=only_missing)


def _in_subtree(unit: OrgUnit) -> Any:
    return OrgUnit.path.startswith(unit.path)


def list_records(session: Session, viewer: Person, unit: OrgUnit | None, period_code: str | None,
                 state: str | None, member: str | None, limit: int, offset: int) -> dict[str, Any]:
    """Records the viewer may see: of a unit's subtree (he may view it), or his own."""
    stmt = select(ActivityRecord).join(OrgUnit, OrgUnit.id == ActivityRecord.org_unit_id)
    if unit is not None:
        records.check_oversees_records(session, viewer, unit)
        stmt = stmt.where(_in_subtree(unit))
    else:
        stmt = stmt.where((ActivityRecord.member_id == viewer.id) | (ActivityRecord.recorded_by_id == viewer.id))
    if period_code:
        period = periods.parse(period_code)
        stmt = stmt.where(ActivityRecord.done_on >= period.start, ActivityRecord.done_on <= period.end)
    if state:
        if state not in RECORD_STATES:
            raise Invalid("state is submitted, confirmed or returned", [{"field": "state", "message": "unknown"}])
        stmt = stmt.where(ActivityRecord.state == state)
    if member:
        stmt = stmt.join(Person, Person.id == ActivityRecord.member_id).where(Person.username == member)
    stmt = stmt.order_by(ActivityRecord.done_on.desc(), ActivityRecord.id.desc()).options(
        joinedload(ActivityRecord.member), joinedload(ActivityRecord.programme))
    rows = [r for r in session.scalars(stmt) if records.may_see(session, viewer, r)]
    return {"items": [records.record_dict(session, r) for r in rows[offset:offset + limit]], "total": len(rows)}


def ledger_xlsx(session: Session, viewer: Person, unit: OrgUnit, period_code: str | None) -> tuple[bytes, str]:
    records.check_oversees_records(session, viewer, unit)
    period = periods.parse(period_code)
    rows = list(session.scalars(
        select(ActivityRecord).join(OrgUnit, OrgUnit.id == ActivityRecord.org_unit_id)
        .where(_in_subtree(unit), ActivityRecord.done_on >= period.start, ActivityRecord.done_on <= period.end)
        .options(joinedload(ActivityRecord.member), joinedload(ActivityRecord.programme),
                 joinedload(ActivityRecord.org_unit), joinedload(ActivityRecord.reviewed_by))
        .order_by(OrgUnit.path, ActivityRecord.done_on, ActivityRecord.id)))
    files = attachments.attached(session, records.OWNER_KIND, [r.id for r in rows])
    ledger_rows = [
        (n, r.member.display_name, r.org_unit.name, r.programme.name if r.programme else "其他", r.what, r.done_on,
         r.place or "", r.beneficiary or "", r.hours, len(files[r.id]), STATE_LABELS.get(r.state, r.state),
         r.reviewed_by.display_name if r.reviewed_by else "", r.review_note or "")
        for n, r in enumerate(rows, start=1)]
    ledger = quota.compute(session, unit, period, records.today())
    quota_rows = [(m.name, m.unit.name, m.total.due, m.total.done, m.total.missing, m.total.overdue,
                   quota.rate(m.total)) for m in ledger.members]
    title = f"{unit.name} 党员活动台账 {period.code}"
    content = spreadsheets.workbook(
        spreadsheets.Sheet("活动台账", LEDGER_HEADER, ledger_rows, caption=(title,),
                           widths=(6, 12, 16, 18, 40, 12, 18, 18, 10, 10, 8, 12, 24)),
        spreadsheets.Sheet("完成情况", QUOTA_HEADER, quota_rows, widths=(12, 16, 8, 8, 8, 10, 8),
                           caption=(f"{unit.name} 活动完成情况 {period.code}（截至 {ledger.today.isoformat()}）",)),
    )
    return content, f"{title}.xlsx"
