"""Finishing the work an earlier release left, with today's code, as the people it is offered to.

Time moves forward only. A timer job that was waiting at the upgrade guards what it belongs
to (its task, or the instance of a BPMN timer): that is completed only after the job has
fired, so every such job gets its chance to fire once. Between guards, every open task is
completed by its holder, or else by the first person who may claim it, with the data its
form asks for (``DATA``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from inbox import completion
from inbox.models import OPEN, Task
from server import clock
from server.database import db
from server.org.models import Person, Position
from server.org.tree import active_position_filter, holders
from server.workflow.jobs import BPMN_TIMER
from server.workflow.models import JOB_WAITING, ProcessInstance, TimerJob
from server.workflow.scheduler import run_pending

SHANGHAI = ZoneInfo("Asia/Shanghai")
GOOD = {"party_spirit": "excellent", "service": "excellent", "vanguard": "qualified"}
LAST = {"CloseCampaign"}
"""Closed when nothing else is open (the district closes its campaign after the branches)."""


def today() -> date:
    return clock.now().astimezone(SHANGHAI).date()


def _members(session: Any, task: Task) -> list[str]:
    members = task.data.get("members")
    if isinstance(members, list):
        return [str(m) for m in members]
    return [p.username for p in holders(session, task.org_unit_id, "member")]


def _talker(session: Any, task: Task) -> str:
    return holders(session, task.org_unit_id, "secretary")[0].username


Data = Callable[[Any, Task], dict[str, Any]]
DATA: dict[str, Data] = {
    "WriteReport": lambda s, t: {"activity": "参加社区志愿服务活动", "activity_date": today().isoformat(), "hours": 2},
    "ReviewReport": lambda s, t: {"decision": "approve"},
    "Mobilise": lambda s, t: {"theme": "服务群众当先锋", "carrier": "党员责任区", "meeting_date": today().isoformat(),
                              "meeting_place": "党员活动室", "attendance": 12},
    "DraftPledge": lambda s, t: {"content": "每月走访两户困难群众",
                                 "deadline": t.data.get("timetable", {}).get("fulfil")
                                 or (today() + timedelta(days=30)).isoformat()},
    "ReviewPledge": lambda s, t: {"decision": "approve"},
    "ReportFulfilment": lambda s, t: {"report": "已按承诺完成全部事项", "completed_on": today().isoformat()},
    "RateFulfilment": lambda s, t: {"rating": "good", "comment": "兑现良好"},
    "LeaderReview": lambda s, t: {"achievements": "承诺全部兑现", "problems": "个别承诺不够具体",
                                  "direction": "加强跟踪问效"},
    "MassAppraisal": lambda s, t: {"ratings": [{"member": m, **GOOD} for m in _members(s, t)
                                               if m != t.data.get("rater")]},
    "Commendation": lambda s, t: {"advanced_branch": True, "branch_citation": "承诺践诺扎实", "excellent_members": []},
    "CloseCampaign": lambda s, t: {"summary": "各支部全部完成"},
    "ReviewUnits": lambda s, t: {"reviews": [{"unit": u, "achievements": "承诺全部兑现", "problems": "个别承诺不够具体",
                                              "direction": "加强跟踪问效"} for u in t.data["targets"]]},
    "AnswerRequest": lambda s, t: {"scheduled_at": (clock.now() + timedelta(hours=1)).isoformat(),
                                   "place": "支部活动室", "talker": _talker(s, t), "way": "face_to_face"},
    "EscalateAnswer": lambda s, t: {"action": "已督促联络员尽快答复"},
    "RecordTalk": lambda s, t: {"held_on": today().isoformat(), "way": "face_to_face",
                                "main_content": "交流了近期思想、工作和生活情况。", "problems": [],
                                "measures": "按期跟踪"},
    "SelfAndPeerEvaluation": lambda s, t: {"self_summary": "本季度按时参加组织生活", "self_grade": "qualified",
                                           "peers": []},
    "ProposeCandidates": lambda s, t: {"candidates": [{"member": _members(s, t)[0], "reason": "表现突出"}]},
    "CloseNotice": lambda s, t: {"note": "公示期满"},
    "ResolveObjections": lambda s, t: {"resolutions": [
        {"objection_id": o["objection_id"], "outcome": "dismissed", "reply": "经核实，反映情况不属实"}
        for o in t.data.get("objections", [])]},
    "FileRecord": lambda s, t: {"report": "本季度推荐优秀党员一名"},
    "ConfirmRecord": lambda s, t: {"decision": "approve"},
    "GiveFeedback": lambda s, t: {"feedback": [{"member": m, "grade": "affirmed", "comment": "继续保持"}
                                               for m in _members(s, t)]},
    "AcknowledgeFeedback": lambda s, t: {"acknowledged": True},
}


def actor(session: Any, task: Task) -> Person:
    """Who holds the task, or else the first (by username) who may claim it."""
    if task.assignee_id is not None:
        person = session.get(Person, task.assignee_id)
        assert person is not None
        return person
    offered = or_(*[and_(Position.org_unit_id == c.org_unit_id, Position.role == c.role) for c in task.candidates])
    person = session.scalar(select(Person).join(Position, Position.person_id == Person.id)
                            .where(offered, active_position_filter()).order_by(Person.username).limit(1))
    assert person is not None, f"task {task.id} {task.element_id} is offered to nobody"
    return person


class Finisher:
    def __init__(self, pending_jobs: set[int], fake_clock: Any) -> None:
        self.pending = pending_jobs
        self.clock = fake_clock
        self.fired: Counter[int] = Counter()
        self.completed: list[tuple[str, str]] = []

    def _guarded(self, session: Any) -> tuple[set[int], set[int]]:
        """(task ids, instance ids) that a job waiting since the upgrade still guards."""
        waiting = session.execute(select(TimerJob.task_id, TimerJob.instance_id, TimerJob.kind).where(
            TimerJob.id.in_(self.pending), TimerJob.state == JOB_WAITING)).all() if self.pending else []
        return ({t for t, _, _ in waiting if t is not None},
                {i for _, i, kind in waiting if kind == BPMN_TIMER and i is not None})

    def _next_task(self) -> tuple[int, int, dict[str, Any]] | None:
        with db.transaction() as session:
            tasks, instances = self._guarded(session)
            open_tasks = session.scalars(select(Task).where(Task.state == OPEN).order_by(Task.id)).all()
            ready = [t for t in open_tasks if t.id not in tasks and t.instance_id not in instances]
            first = [t for t in ready if t.element_id not in LAST] or (ready if len(ready) == len(open_tasks) else [])
            if not first:
                return None
            task = first[0]
            if task.element_id not in DATA:
                raise AssertionError(f"no data for {task.process_key}/{task.element_id}")
            self.completed.append((task.element_id, actor(session, task).username))
            return task.id, actor(session, task).id, DATA[task.element_id](session, task)

    def _fire_next(self) -> bool:
        with db.transaction() as session:
            due = session.scalar(select(TimerJob.due_at).where(TimerJob.id.in_(self.pending),
                                                                TimerJob.state == JOB_WAITING)
                                 .order_by(TimerJob.due_at).limit(1)) if self.pending else None
        if due is None:
            return False
        self.clock.now = max(self.clock.now, due + timedelta(seconds=1))
        result = run_pending()
        assert result.failed == 0, result.outcomes
        self.fired.update(job_id for job_id, outcome in result.outcomes if outcome == "fired")
        return True

    def run(self, limit: int = 2000) -> None:
        for _ in range(limit):
            step = self._next_task()
            if step is not None:
                task_id, person_id, data = step
                with db.transaction() as session:
                    person = session.get(Person, person_id)
                    assert person is not None
                    try:
                        completion.complete(session, person, task_id, data)
                    except Exception as exc:
                        raise AssertionError(f"completing {self.completed[-1]} with {data}: {exc!r}") from exc
                continue
            if not self._fire_next():
                return
        raise AssertionError(f"the work did not finish in {limit} steps")


def states() -> dict[int, str]:
    with db.transaction() as session:
        return dict(session.execute(select(ProcessInstance.id, ProcessInstance.state)).all())  # type: ignore[arg-type]
