"""The mass appraisal's result: votes per member and question, the overall grade, must-talk flags."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.campaign.models import (
    GRADES,
    CampaignRating,
)
from server.campaign.plan import GRADE_LABELS, QUESTIONS
from server.org.models import Person


def overall_grade(votes: Counter[str]) -> str:
    """The grade with the most votes over the three questions; a tie goes to the lower grade."""
    if not votes:
        return "qualified"
    best = max(votes.values())
    return [g for g in GRADES if votes[g] == best][-1]


def appraisal_results(session: Session, branch_instance_id: int) -> list[dict[str, Any]]:
    """Per member: votes per question and grade, the overall grade, and a must-talk flag.

    Every rating gives three votes (one per question). ``needs_talk`` is set when
    basically qualified and unqualified votes together reach a third of the
    member's votes (a must-talk trigger of the talk programme).
    """
    rows = session.execute(
        select(CampaignRating.ratee_id, CampaignRating.party_spirit, CampaignRating.service,
               CampaignRating.vanguard)
        .where(CampaignRating.branch_instance_id == branch_instance_id)
    ).all()
    per: dict[int, dict[str, Counter[str]]] = {}
    raters: Counter[int] = Counter()
    for ratee_id, *grades in rows:
        questions = per.setdefault(ratee_id, {q: Counter() for q in QUESTIONS})
        for q, grade in zip(QUESTIONS, grades, strict=True):
            questions[q][grade] += 1
        raters[ratee_id] += 1
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(list(per))))} if per else {}
    results: list[dict[str, Any]] = []
    for ratee_id, questions in per.items():
        total: Counter[str] = Counter()
        for counter in questions.values():
            total.update(counter)
        votes = sum(total.values())
        low = total["basically_qualified"] + total["unqualified"]
        overall = overall_grade(total)
        person = people[ratee_id]
        results.append({
            "member": person.username,
            "name": person.display_name,
            "raters": raters[ratee_id],
            "questions": {q: {g: questions[q][g] for g in GRADES} for q in QUESTIONS},
            "votes": {g: total[g] for g in GRADES},
            "overall": overall,
            "overall_label": GRADE_LABELS[overall],
            "needs_talk": votes > 0 and low * 3 >= votes,
        })
    results.sort(key=lambda r: str(r["member"]))
    return results
