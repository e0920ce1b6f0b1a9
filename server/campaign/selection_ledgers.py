"""The selection's completion handlers: evaluations, candidates, the notice, filing and feedback as ledger rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from server import audit
from server.calendar.due import SHANGHAI, resolve_due
from server.calendar.store import calendar_for
from server.campaign.models import (
    SelectionCandidate,
    SelectionEvaluation,
    SelectionFeedback,
    SelectionObjection,
    SelectionRound,
)
from server.campaign.plan import check_people, members_in_task, people_by_username
from server.campaign.selection import SELECTION, round_of
from server.errors import Conflict, Invalid
from server.org.tree import person_by_username
from server.workflow.hooks import Completion, CompletionHandler


def _evaluate(c: Completion) -> bool:
    me = str(c.task.data.get("member"))
    peers = c.field("peers") or []
    problems = check_people(peers, members_in_task(c), "peers", exclude=me,
                             exclude_message="your own grade goes in self_grade")
    if problems:
        raise Invalid("the peer evaluation has errors in: " + ", ".join(p["field"] for p in problems), problems)
    evaluator = person_by_username(c.session, me)
    people = people_by_username(c.session, [p["member"] for p in peers])
    c.session.add(SelectionEvaluation(instance_id=c.task.instance_id, evaluator_id=evaluator.id,
                                      subject_id=evaluator.id, grade=c.data["self_grade"],
                                      comment=c.data["self_summary"], created_at=c.now))
    for peer in peers:
        c.session.add(SelectionEvaluation(instance_id=c.task.instance_id, evaluator_id=evaluator.id,
                                          subject_id=people[peer["member"]].id, grade=peer["grade"],
                                          comment=peer.get("comment") or "", created_at=c.now))
    c.session.flush()
    return "peers" in c.confidential


def _propose(c: Completion) -> None:
    rnd = round_of(c.session, c.task.instance_id)
    candidates = c.data.get("candidates") or []
    if len(candidates) > rnd.quota:
        percent = c.task.data.get("quota_percent", 10)
        raise Invalid(
            f"at most {rnd.quota} candidate(s): 不超过本党支部党员人数的10% ({percent}% of the branch's "
            f"{rnd.member_count} members, party groups included, rounded down); {len(candidates)} proposed",
            [{"field": "candidates", "message": f"at most {rnd.quota} ({percent}% of {rnd.member_count} members)",
              "rule": "quota"}],
        )
    problems = check_people(candidates, members_in_task(c), "candidates")
    if problems:
        raise Invalid("the proposal has errors in: " + ", ".join(p["field"] for p in problems), problems)
    people = people_by_username(c.session, [item["member"] for item in candidates])
    for earlier in c.session.scalars(select(SelectionCandidate).where(SelectionCandidate.instance_id == rnd.instance_id,
                                                                      SelectionCandidate.status == "proposed")):
        earlier.status = "replaced"  # proposed again after the superior returned the filing
    c.data["decision"] = None  # the return is answered: a further change needs a further return
    rnd.notice_closed_at = None
    for item in candidates:
        c.session.add(SelectionCandidate(instance_id=rnd.instance_id, org_unit_id=rnd.org_unit_id,
                                         person_id=people[item["member"]].id, reason=item["reason"],
                                         status="proposed", created_at=c.now))
    rnd.notice_started_at = c.now
    rnd.notice_until = resolve_due(f"{rnd.notice_days} working days", ready_at=c.now,
                                   calendar=calendar_for(c.session)).due_at
    audit.record(c.session, "selection.notice_started", actor=c.person, instance_id=rnd.instance_id,
                 candidates=[item["member"] for item in candidates], until=rnd.notice_until.isoformat())


def _notice_until(c: Completion, rnd: SelectionRound) -> datetime | None:
    return c.task.due_at or rnd.notice_until


def _close_notice(c: Completion) -> None:
    rnd = round_of(c.session, c.task.instance_id)
    until = _notice_until(c, rnd)
    if until is not None and c.now <= until:
        local = until.astimezone(SHANGHAI)
        raise Invalid(
            f"the public notice runs for {rnd.notice_days} working days, until {local:%Y-%m-%d %H:%M}; "
            "it can be closed after that",
            [{"field": None, "message": f"notice open until {local.isoformat()}", "rule": "notice_period"}],
        )
    open_objections = c.session.scalars(
        select(SelectionObjection).where(SelectionObjection.instance_id == rnd.instance_id,
                                         SelectionObjection.outcome.is_(None))
        .order_by(SelectionObjection.id)
    ).all()
    rnd.notice_closed_at = c.now
    # Who objected stays in the ledger; the process (and the secretary's task) sees what and against whom.
    c.data["objection_count"] = len(open_objections)
    c.data["objections"] = [
        {"objection_id": o.id, "candidate": o.candidate.username, "candidate_name": o.candidate.display_name,
         "reason": o.reason}
        for o in open_objections
    ]


def _resolve(c: Completion) -> None:
    rnd = round_of(c.session, c.task.instance_id)
    pending = {o.id: o for o in c.session.scalars(
        select(SelectionObjection).where(SelectionObjection.instance_id == rnd.instance_id,
                                         SelectionObjection.outcome.is_(None)))}
    problems = []
    seen: set[int] = set()
    resolutions = c.data.get("resolutions") or []
    for i, item in enumerate(resolutions):
        oid = item.get("objection_id")
        if oid not in pending:
            problems.append({"field": f"resolutions.{i}.objection_id",
                             "message": f"objection {oid} is not open in this selection"})
        elif oid in seen:
            problems.append({"field": f"resolutions.{i}.objection_id", "message": f"objection {oid} twice"})
        seen.add(oid)
    missing = sorted(set(pending) - seen)
    if missing:
        problems.append({"field": "resolutions",
                         "message": f"resolve every objection; missing: {', '.join(map(str, missing))}"})
    if problems:
        raise Invalid("the resolutions have errors in: " + ", ".join(p["field"] for p in problems), problems)
    withdrawn = set()
    for item in resolutions:
        objection = pending[item["objection_id"]]
        objection.outcome = item["outcome"]
        objection.reply = item["reply"]
        objection.resolved_by_id = c.person.id
        objection.resolved_at = c.now
        if item["outcome"] == "upheld":
            withdrawn.add(objection.candidate_id)
    if withdrawn:
        for candidate in c.session.scalars(
            select(SelectionCandidate).where(SelectionCandidate.instance_id == rnd.instance_id,
                                             SelectionCandidate.person_id.in_(withdrawn))
        ):
            candidate.status = "withdrawn"
    c.data["candidates_after_notice"] = [
        cand.person.username for cand in c.session.scalars(
            select(SelectionCandidate).where(SelectionCandidate.instance_id == rnd.instance_id,
                                             SelectionCandidate.status == "proposed"))
    ]


def _file(c: Completion) -> None:
    """File the round; after a return, the branch may instead propose its candidates again
    (``change_candidates``: back to 确定人选 and a new public notice)."""
    rnd = round_of(c.session, c.task.instance_id)
    change = c.data.get("change_candidates") is True
    if change and c.task.data.get("decision") != "return":
        raise Invalid("the candidates can be changed only after the superior organisation returned the filing",
                      [{"field": "change_candidates", "message": "not returned"}])
    c.data["change_candidates"] = change
    rnd.report = c.data["report"]
    if change:
        audit.record(c.session, "selection.candidates_reopened", actor=c.person, instance_id=rnd.instance_id)
        return
    rnd.filed_at = c.now


def _confirm(c: Completion) -> None:
    if c.data["decision"] != "approve":
        return
    rnd = round_of(c.session, c.task.instance_id)
    rnd.confirmed_at = c.now
    rnd.confirmed_by_id = c.person.id
    for candidate in c.session.scalars(
        select(SelectionCandidate).where(SelectionCandidate.instance_id == rnd.instance_id,
                                         SelectionCandidate.status == "proposed")
    ):
        candidate.status = "confirmed"


def _feedback(c: Completion) -> bool:
    rnd = round_of(c.session, c.task.instance_id)
    items = c.field("feedback") or []
    members = members_in_task(c)
    problems = check_people(items, members, "feedback")
    given = {item.get("member") for item in items}
    missing = [m for m in members if m not in given]
    if missing:
        problems.append({"field": "feedback", "message": f"give every member feedback; missing: {', '.join(missing)}"})
    if problems:
        raise Invalid("the feedback has errors in: " + ", ".join(p["field"] for p in problems), problems)
    people = people_by_username(c.session, [item["member"] for item in items])
    for item in items:
        c.session.add(SelectionFeedback(instance_id=rnd.instance_id, person_id=people[item["member"]].id,
                                        grade=item["grade"], comment=item["comment"], given_by_id=c.person.id,
                                        given_at=c.now))
    rnd.feedback_at = c.now
    # The content stays in the ledger (each member reads his own); the process needs only who.
    c.data["feedback_recipients"] = [item["member"] for item in items]
    c.data["investigate_list"] = [item["member"] for item in items if item["grade"] == "investigate"]
    return "feedback" in c.confidential


def _feedback_row(c: Completion, username: str) -> SelectionFeedback:
    person = person_by_username(c.session, username)
    row = c.session.scalar(select(SelectionFeedback).where(SelectionFeedback.instance_id == c.task.instance_id,
                                                           SelectionFeedback.person_id == person.id))
    if row is None:
        raise Conflict(f"no feedback on record for {person.display_name}")
    return row


def _acknowledge(c: Completion) -> None:
    row = _feedback_row(c, str(c.task.data.get("recipient")))
    row.acknowledged_at = c.now
    row.response = c.data.get("response")


def _investigate(c: Completion) -> None:
    row = _feedback_row(c, str(c.task.data.get("suspect")))
    row.findings = c.data["findings"]
    row.action = c.data["action"]
    row.investigated_at = c.now


COMPLETIONS: dict[tuple[str, str], CompletionHandler] = {
    (SELECTION, "SelfAndPeerEvaluation"): _evaluate,
    (SELECTION, "ProposeCandidates"): _propose,
    (SELECTION, "CloseNotice"): _close_notice,
    (SELECTION, "ResolveObjections"): _resolve,
    (SELECTION, "FileRecord"): _file,
    (SELECTION, "ConfirmRecord"): _confirm,
    (SELECTION, "GiveFeedback"): _feedback,
    (SELECTION, "AcknowledgeFeedback"): _acknowledge,
    (SELECTION, "InvestigateMember"): _investigate,
}
