"""Reminders before a period ends: the daily duty of the activity ledgers.

``REMIND_DAYS`` days before the end of a programme's cadence period (a month, a quarter, a
year; in season), every member who still owes something for it gets one notification in the
app (and by e-mail when configured). ``THEMED_DAYS`` days before a themed campaign's reporting
date, the secretaries of the units below that have not reported yet are reminded. Idempotent:
one reminder per person and thing, however often the duty runs.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import clock
from server.activities import periods, programmes, quota, themed
from server.activities.models import ActivityProgramme, ThemedCampaign, ThemedReport
from server.calendar.due import SHANGHAI
from server.notifications import mail
from server.notifications.models import Notification
from server.org.models import Person
from server.org.tree import holders

REMIND_DAYS = 5
KIND = "activity_quota"
THEMED_DAYS = 3
THEMED_KIND = "themed_report_due"


def _title(programme: ActivityProgramme, period: periods.Period, missing: int) -> str:
    return f"【活动提醒】{programme.name}（{period.code}）还差 {missing} 次，{period.end.isoformat()} 截止"


def daily(session: Session, on: date | None = None) -> dict[str, Any]:
    today = on or clock.now().astimezone(SHANGHAI).date()
    sent: list[dict[str, Any]] = []
    for programme in session.scalars(select(ActivityProgramme).where(ActivityProgramme.active.is_(True))):
        current = periods.containing(programme.cadence, today)
        if current.end - today != timedelta(days=REMIND_DAYS):
            continue
        if not any(programmes.in_season(programme, m) for _, m in current.months()):
            continue
        ledger = quota.compute(session, programme.org_unit, current, today)
        for member in ledger.members:
            numbers = member.by_programme.get(programme.id)
            if numbers is None or numbers.missing <= 0:
                continue
            title = _title(programme, current, numbers.missing)
            if _already(session, member.person_id, programme, current):
                continue
            person = session.get(Person, member.person_id)
            assert person is not None
            session.add(Notification(
                person_id=person.id, kind=KIND, title=title[:300],
                body=f"{programme.name}：{current.code} 应完成 {numbers.due} 次，已确认 {numbers.done} 次。",
                created_at=clock.now(), email_state="pending" if mail.enabled() and person.email else None,
                email_attempts=0))
            sent.append({"person_id": person.id, "programme_id": programme.id, "period": current.code,
                         "missing": numbers.missing})
    session.flush()
    return {"reminders_sent": sent, "themed_reminders_sent": themed_due(session, today)}


def themed_due(session: Session, today: date) -> list[dict[str, Any]]:
    """``THEMED_DAYS`` before a report is due: the secretaries of the units that owe it."""
    sent: list[dict[str, Any]] = []
    soon = (today + timedelta(days=THEMED_DAYS)).isoformat()
    for campaign in session.scalars(select(ThemedCampaign).where(
            ThemedCampaign.ends_on >= today - timedelta(days=31), ThemedCampaign.starts_on <= today)):
        for seq, item in enumerate(campaign.reporting):
            if item["due_on"] != soon:
                continue
            reported = set(session.scalars(select(ThemedReport.org_unit_id).where(
                ThemedReport.campaign_id == campaign.id, ThemedReport.seq == seq,
                ThemedReport.state.in_(("submitted", "acknowledged")))))
            label = themed.KIND_LABELS[item["kind"]]
            for unit in themed.reporting_units(session, campaign):
                if unit.id in reported:
                    continue
                title = f"【主题活动】{campaign.name}：{unit.name}的{label}请于 {soon} 前报送"
                for person in holders(session, unit.id, "secretary"):
                    if session.scalar(select(Notification.id).where(
                            Notification.person_id == person.id, Notification.kind == THEMED_KIND,
                            Notification.title == title[:300]).limit(1)) is not None:
                        continue
                    session.add(Notification(
                        person_id=person.id, kind=THEMED_KIND, title=title[:300],
                        body=f"{campaign.org_unit.name}的主题实践活动“{campaign.name}”：{label}（附文件、照片）。",
                        created_at=clock.now(), email_state="pending" if mail.enabled() and person.email else None,
                        email_attempts=0))
                    sent.append({"person_id": person.id, "campaign_id": campaign.id, "seq": seq,
                                 "org_unit_id": unit.id})
    session.flush()
    return sent


def _already(session: Session, person_id: int, programme: ActivityProgramme, period: periods.Period) -> bool:
    prefix = f"【活动提醒】{programme.name}（{period.code}）"
    return session.scalar(select(Notification.id).where(
        Notification.person_id == person_id, Notification.kind == KIND,
        Notification.title.startswith(prefix, autoescape=True)).limit(1)) is not None
