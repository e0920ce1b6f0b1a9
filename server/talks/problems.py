"""Problem items of a talk: follow-up (回头看) and close-out (销号), and closing the talk."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from inbox.completion import complete
from server import audit, clock
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.org.models import Person
from server.org.tree import holds_any
from server.talks.models import TalkFollowUp, TalkProblem
from server.talks.permissions import (
    is_secretary,
)
from server.talks.records import get_talk, open_task
from server.talks.terms import (
    CLOSE_WAYS,
    FOLLOW_UP_RESULTS,
    FOLLOW_UP_ROLES,
)


def get_problem(session: Session, problem_id: int) -> TalkProblem:
    problem = session.get(TalkProblem, problem_id)
    if problem is None:
        raise NotFound(f"problem item {problem_id} does not exist")
    return problem


def follow_up(session: Session, person: Person, problem_id: int, result: Any, note: Any) -> TalkProblem:
    """A look back (回头看) at one item, by the branch committee or the talker."""
    problem = get_problem(session, problem_id)
    talk = problem.talk
    allowed = person.id == talk.talker_id or holds_any(
        session, person.id, [(talk.org_unit_id, role) for role in FOLLOW_UP_ROLES]
    )
    if not allowed:
        raise Forbidden("only the talker and the branch committee look back at a problem item")
    if problem.state == "closed":
        raise Conflict(f"problem item #{problem.seq} is already closed out")
    problems = []
    if result not in FOLLOW_UP_RESULTS:
        problems.append({"field": "result", "message": f"one of {', '.join(FOLLOW_UP_RESULTS)}"})
    if not isinstance(note, str) or len(note.strip()) < 2:
        problems.append({"field": "note", "message": "say what the look back found (2 characters or more)"})
    if problems:
        raise Invalid("the follow-up has errors in: " + ", ".join(p["field"] for p in problems), problems)
    problem.follow_ups.append(TalkFollowUp(at=clock.now(), by_id=person.id, result=str(result), note=str(note).strip()))
    session.flush()
    audit.record(session, "talk.problem.followed_up", actor=person, instance_id=talk.instance_id,
                 talk_id=talk.id, problem_id=problem.id, result=result)
    return problem


def close_problem(session: Session, person: Person, problem_id: int, criteria: Any, note: Any,
                  way: Any = None) -> TalkProblem:
    """Close out (销号) one item: only the branch secretary, after a look back, with every
    criterion of its way affirmed and a note. ``way``: ``solved`` (the six criteria of the seed,
    the default) or ``guided`` (教育引导: a request that cannot be met as asked, its own criteria)."""
    problem = get_problem(session, problem_id)
    talk = problem.talk
    if not is_secretary(session, person, talk.org_unit):
        raise Forbidden("only the branch secretary closes out a problem item")
    if problem.state == "closed":
        raise Conflict(f"problem item #{problem.seq} is already closed out")
    if not problem.follow_ups:
        raise Conflict(f"look back (回头看) at problem item #{problem.seq} before closing it out")
    way = way or "solved"
    if way not in CLOSE_WAYS:
        raise Invalid(f"way must be one of {', '.join(CLOSE_WAYS)}", [{"field": "way", "message": "unknown way"}])
    way_label, standard = CLOSE_WAYS[way]
    criteria = criteria if isinstance(criteria, dict) else {}
    details = [
        {"field": f"criteria.{code}", "message": f"not affirmed: {label}"}
        for code, label in standard.items()
        if criteria.get(code) is not True
    ]
    if not isinstance(note, str) or len(note.strip()) < 2:
        details.append({"field": "note", "message": "a close-out note is required (2 characters or more)"})
    if details:
        unmet = [standard[d["field"].split(".", 1)[1]] for d in details if d["field"].startswith("criteria.")]
        message = f"{way_label}: an item is closed out only when " + "、".join(standard.values())
        if unmet:
            message += f"; not affirmed: {'、'.join(unmet)}"
        raise Invalid(message, details)
    problem.state = "closed"
    problem.closed_at = clock.now()
    problem.closed_by_id = person.id
    problem.close_criteria = {code: True for code in standard}  # the keys say which way (views.closed_as)
    problem.close_note = str(note).strip()
    session.flush()
    audit.record(session, "talk.problem.closed", actor=person, instance_id=talk.instance_id, talk_id=talk.id,
                 problem_id=problem.id, way=way)
    return problem


def close_talk(session: Session, person: Person, talk_id: int, summary: Any) -> dict[str, Any]:
    """Complete the talk's close-out task (refused while any item is open)."""
    talk = get_talk(session, talk_id)
    task = open_task(session, talk.instance_id, "CloseOut")
    if task is None:
        raise Conflict("this talk has no close-out waiting" + (" (it is closed)" if talk.state == "closed" else ""))
    return complete(session, person, task.id, {"summary": summary})
