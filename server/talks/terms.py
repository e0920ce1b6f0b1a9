"""The talk loop's vocabulary: process keys, kinds, triggers, states, close-out criteria, roles;
and how its forms' dates, moments and people are read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import clock
from server.calendar.due import SHANGHAI
from server.errors import Invalid
from server.org.models import Person

REQUEST_KEY = "talk_request"


TALK_KEY = "talk"


TALK_KEYS = (REQUEST_KEY, TALK_KEY)


KIND_LABELS = {"request": "双向约谈（党员申请）", "must": "八必谈", "periodic": "定期谈心", "topical": "专题谈话"}


TRIGGERS = {
    "job_change": "工作变动或职务调整",
    "probation_or_retirement": "预备期满或办理退休",
    "emerging_problem": "有苗头性倾向性问题",
    "setback_or_low_mood": "遇到工作挫折或情绪持续低落",
    "family_hardship": "遭遇家庭变故或重大困难",
    "appraisal": "民主评议中“基本合格”“不合格”票数较多",
    "commendation_or_punishment": "受到表彰或处罚",
    "conflict": "与他人产生矛盾",
}
"""八必谈: the eight occasions on which the branch must talk with a member."""


WAY_LABELS = {"face_to_face": "面对面", "phone": "电话", "home_visit": "登门"}


REQUESTED_WITH_LABELS = {"secretary": "支部书记", "committee_member": "支委委员", "member": "其他党员"}


STATE_LABELS = {
    "requested": "待答复",
    "planning": "待安排",
    "scheduled": "已约定",
    "following_up": "整改中",
    "closed": "已闭环",
}


CRITERIA = {
    "problem_solved": "问题得到解决",
    "request_met": "诉求得到满足",
    "feelings_eased": "情绪得到疏通",
    "work_improved": "工作得到促进",
    "affection_deepened": "情意得到增进",
    "member_satisfied": "党员满意",
}
"""The close-out standard of annex 4 §五（三）: an item is closed (销号) only when all hold."""


GUIDANCE_CRITERIA = {
    "request_not_met_explained": "诉求不合理或无法按要求满足，已说明依据",
    "educated_and_guided": "已进行教育、加以引导",
    "feelings_eased": "情绪得到疏通",
    "member_informed": "党员知悉处理意见",
}
"""教育引导 (annex 4 §五（三）: "对党员提出的不合理要求，进行教育、加以引导"): an item whose request
cannot be met as asked is closed when all of these hold, instead of forcing "诉求得到满足"."""


CLOSE_WAYS = {"solved": ("解决销号", CRITERIA), "guided": ("教育引导销号", GUIDANCE_CRITERIA)}


FOLLOW_UP_RESULTS = {"progressing": "整改中", "resolved": "已解决", "not_resolved": "未解决"}


APPRAISAL_GRADES = {
    "basically_qualified": "基本合格",
    "unqualified": "不合格",
    "基本合格": "基本合格",
    "不合格": "不合格",
}
"""Appraisal grades that start a must-talk by themselves."""


TALKER_ROLES = ("secretary", "deputy_secretary", "committee_member", "group_leader")
"""约谈一般由支部书记主谈，特殊情况可委托支委成员或党小组长."""


SUBJECT_ROLES = ("member", "activist", "development_target")
"""谈心谈话的对象是党支部全体党员和入党积极分子; with 发展对象 (annex 4 §三（一）: "支委委员和党小组长每半年与
所联系的党员、发展对象和入党积极分子至少有1次专门面谈")."""


FOLLOW_UP_ROLES = ("secretary", "deputy_secretary", "committee_member")


MANAGE_ROLES = ("secretary", "deputy_secretary", "committee_member")


SUPERIOR_ROLES = ("secretary", "deputy_secretary", "org_admin")


def today() -> date:
    return clock.now().astimezone(SHANGHAI).date()


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value else None


def person_ref(session: Session, username: Any, field: str) -> Person:
    person = (
        session.scalar(select(Person).where(Person.username == username))
        if isinstance(username, str) and username
        else None
    )
    if person is None:
        raise Invalid(f"{field}: '{username}' is not a known user", [{"field": field, "message": "unknown user"}])
    return person


def parse_moment(value: Any, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise Invalid(f"{field}: '{value}' is not a date and time", [{"field": field, "message": "not a date-time"}]) \
            from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def parse_day(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise Invalid(f"{field}: '{value}' is not a date", [{"field": field, "message": "not a date"}]) from exc
