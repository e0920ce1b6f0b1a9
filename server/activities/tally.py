"""The quota's counters (``activity_tally``), kept in the transaction that confirms a record.

For a unit, a programme and one of its cadence periods, ``at_least_k`` is how many members have at
least k confirmed records there (k = 1 … ``TALLY_DEPTH``). A member owing q a period has done
``min(n, q) = Σ_{k ≤ q} [n ≥ k]``, so a unit's capped "done" is ``Σ_{k ≤ q} at_least_k`` whatever
the quota is now: the counters need no change when a quota, a unit quota, a head quota or a season
is edited, only when a programme's cadence changes (``rebuild``). Who is a member of what is not
in them: the quota view corrects for members who left and for heads (``server.activities.rollup``).

A confirmation locks its counter row before counting the member's records in the period, so two
confirmations of one member's records at once are counted one after the other (PostgreSQL: the
second reads the first's record once the lock is its; SQLite: writes are serialised anyway).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.activities.models import TALLY_DEPTH, ActivityProgramme, ActivityRecord, ActivityTally

SPAN = {"month": 1, "quarter": 3, "year": 12}
"""Months in a cadence period."""
LEVELS = tuple(getattr(ActivityTally, f"at_least_{k}") for k in range(1, TALLY_DEPTH + 1))


def period_key(cadence: str, day: date) -> int:
    """The month index (year × 12 + month − 1) of the first month of the cadence period of ``day``."""
    index = day.year * 12 + day.month - 1
    return index - index % SPAN[cadence]


def period_bounds(cadence: str, key: int) -> tuple[date, date]:
    start = date(key // 12, key % 12 + 1, 1)
    after = key + SPAN[cadence]
    return start, date(after // 12, after % 12 + 1, 1) - timedelta(days=1)


def _ensure_row(session: Session, unit_id: int, programme_id: int, key: int) -> None:
    values = {"org_unit_id": unit_id, "programme_id": programme_id, "period": key,
              **{column.key: 0 for column in LEVELS}}
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(ActivityTally).values(values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(ActivityTally).values(values).on_conflict_do_nothing()
    session.execute(stmt)


def count(session: Session, record: ActivityRecord) -> None:
    """A record has just been confirmed: its member's count in its cadence period goes from n − 1 to
    n, so one more member has at least n (nothing to do beyond ``TALLY_DEPTH``)."""
    if record.programme_id is None or record.state != "confirmed":
        return
    programme = session.get(ActivityProgramme, record.programme_id)
    if programme is None:
        return
    key = period_key(programme.cadence, record.done_on)
    where = (ActivityTally.org_unit_id == record.org_unit_id, ActivityTally.programme_id == programme.id,
             ActivityTally.period == key)
    _ensure_row(session, record.org_unit_id, programme.id, key)
    session.execute(select(ActivityTally.period).where(*where).with_for_update())
    start, end = period_bounds(programme.cadence, key)
    session.flush()
    n = session.scalar(select(func.count()).select_from(ActivityRecord).where(
        ActivityRecord.member_id == record.member_id, ActivityRecord.org_unit_id == record.org_unit_id,
        ActivityRecord.programme_id == programme.id, ActivityRecord.state == "confirmed",
        ActivityRecord.done_on >= start, ActivityRecord.done_on <= end)) or 0
    if 1 <= n <= TALLY_DEPTH:
        column = LEVELS[n - 1]
        session.execute(update(ActivityTally).where(*where).values({column.key: column + 1}))


def rebuild_statements(programme_ids: Iterable[int] | None = None) -> list[Any]:
    """Delete and recount the counters (of some programmes, or all) from the confirmed records, in SQL."""
    ids = None if programme_ids is None else list(programme_ids)
    record, programme = ActivityRecord, ActivityProgramme
    index = cast(func.extract("year", record.done_on) * 12 + func.extract("month", record.done_on) - 1, Integer)
    key = case((programme.cadence == "quarter", index - index % 3),
               (programme.cadence == "year", index - index % 12), else_=index)
    per_member = (
        select(record.org_unit_id.label("unit"), record.programme_id.label("programme"), key.label("period"),
               func.count().label("n"))
        .join(programme, programme.id == record.programme_id)
        .where(record.state == "confirmed", *([] if ids is None else [record.programme_id.in_(ids)]))
        .group_by(record.org_unit_id, record.programme_id, key, record.member_id)
    ).subquery()
    counts = select(per_member.c.unit, per_member.c.programme, per_member.c.period,
                    *[func.sum(case((per_member.c.n >= k, 1), else_=0)) for k in range(1, TALLY_DEPTH + 1)]
                    ).group_by(per_member.c.unit, per_member.c.programme, per_member.c.period)
    drop = delete(ActivityTally)
    if ids is not None:
        drop = drop.where(ActivityTally.programme_id.in_(ids))
    columns = ["org_unit_id", "programme_id", "period", *[column.key for column in LEVELS]]
    return [drop, insert(ActivityTally).from_select(columns, counts)]


def rebuild(session: Session, programme_ids: Iterable[int] | None = None) -> None:
    for stmt in rebuild_statements(programme_ids):
        session.execute(stmt)
