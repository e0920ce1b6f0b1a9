"""The district's quota view from the counters (issue 20) gives the numbers of the computation it
replaces, record by record (``quota_reference``), on a seeded random organisation: heads with
their own quota, per-unit quotas, seasons, a quota of 0, members who left, moved, start later or
were deactivated, records submitted, returned and confirmed one by one through the counters."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.activities import periods, programmes, quota, rollup, tally
from server.activities.models import ActivityProgramme, ActivityRecord, ActivityTally
from server.database import db
from server.org.models import OrgUnit, Person, Position
from server.org.tree import add_unit
from tests.activities import quota_reference

TODAY = date(2026, 8, 15)
PERIODS = ("2026", "2026-Q1", "2026-Q3", "2026-08", "2026-12", "2025")


def _programme(s: Any, unit: OrgUnit, code: str, cadence: str, quota_: int, **more: Any) -> ActivityProgramme:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    p = ActivityProgramme(org_unit_id=unit.id, code=code, name=code, kind="other", cadence=cadence, quota=quota_,
                          description="", active=more.pop("active", True), created_at=now, updated_at=now, **more)
    s.add(p)
    return p


def _seed(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    today = date.today()
    with db.transaction() as s:
        district = add_unit(s, f"qd{seed}", "区", "district")
        committees = [add_unit(s, f"qc{seed}-{i}", f"党委{i}", "party_committee", district) for i in range(2)]
        branches = [add_unit(s, f"qb{seed}-{i}", f"支部{i}", "branch", committees[i % 2]) for i in range(6)]
        branches.append(add_unit(s, f"qb{seed}-d", "直属支部", "branch", district))
        progs = [
            _programme(s, district, "deed", "month", 1),
            _programme(s, district, "clean", "month", 2, season_months=[3, 4, 5, 6, 7, 8, 9, 10]),
            _programme(s, district, "visit", "quarter", 1, head_quota=3),
            _programme(s, district, "households", "year", 4, head_quota=5,
                       unit_quotas={committees[0].code: 2, branches[1].code: 3}),
            _programme(s, district, "tourism", "quarter", 1, season_months=[7, 8, 9]),
            _programme(s, committees[1], "calls", "month", 1, head_quota=0),
            _programme(s, district, "retired", "month", 1, active=False),
            _programme(s, branches[2], "nothing", "year", 0),
        ]
        s.flush()
        pairs: list[tuple[int, int]] = []  # every (person, unit) that was ever a member
        for n in range(70):
            person = Person(username=f"q{seed}-{n:03d}", display_name=f"成员{n}", password_hash="x",
                            active=rng.random() > 0.05)
            s.add(person)
            s.flush()
            unit = rng.choice(branches)
            member = {"person_id": person.id, "role": "member"}
            fate = rng.random()
            if fate < 0.1:  # left this year, moved to another branch
                s.add(Position(person_id=person.id, org_unit_id=unit.id, role="member", end=today - timedelta(days=30)))
                pairs.append((person.id, unit.id))
                unit = rng.choice(branches)
                s.add(Position(person_id=person.id, org_unit_id=unit.id, role="member",
                               start=today - timedelta(days=29)))
            elif fate < 0.15:  # starts later
                s.add(Position(**member, org_unit_id=unit.id, start=today + timedelta(days=9)))
            elif fate < 0.2:  # left and came back
                s.add(Position(**member, org_unit_id=unit.id, end=today - timedelta(days=90)))
                s.add(Position(**member, org_unit_id=unit.id, start=today - timedelta(days=80)))
            else:
                s.add(Position(person_id=person.id, org_unit_id=unit.id, role="member"))
            pairs.append((person.id, unit.id))
        s.flush()
        for branch in branches:  # a head per branch, mostly one of its members
            holders = [p for p, u in pairs if u == branch.id]
            head = rng.choice(holders) if holders and rng.random() < 0.85 else pairs[rng.randrange(len(pairs))][0]
            s.add(Position(person_id=head, org_unit_id=branch.id, role="secretary"))
        ids = [p.id for p in progs]
        rows = []
        for person_id, unit_id in pairs:
            for _ in range(rng.randint(0, 30)):
                day = date(2025, 12, 1) + timedelta(days=rng.randrange(430))
                rows.append(ActivityRecord(
                    programme_id=rng.choice([*ids, None]), org_unit_id=unit_id, member_id=person_id,
                    recorded_by_id=person_id, what="好事", done_on=day, hours=1.0,
                    state=rng.choice(["confirmed", "confirmed", "confirmed", "submitted", "returned", "later"])))
        for record in rows:
            record.state = "submitted" if record.state == "later" else record.state
        s.add_all(rows)
        s.flush()
        later = [r for r in rows if r.state == "submitted" and rng.random() < 0.6]
        tally.rebuild(s)
        return {"district": district.id, "committee": committees[0].id, "branch": branches[1].id,
                "later": [r.id for r in later]}


def _confirm_one_by_one(record_ids: list[int]) -> None:
    for record_id in record_ids:
        with db.transaction() as s:
            record = s.get(ActivityRecord, record_id)
            assert record is not None
            record.state = "confirmed"
            tally.count(s, record)


def _tallies(s: Any) -> list[tuple[Any, ...]]:
    return sorted(tuple(r) for r in s.execute(select(ActivityTally.__table__)))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_counters_give_the_numbers_of_every_record_counted(app: Any, seed: int) -> None:
    made = _seed(seed)
    _confirm_one_by_one(made["later"])
    with db.transaction() as s:
        kept = _tallies(s)
        tally.rebuild(s)
        assert _tallies(s) == kept, "counted one by one as recounted from the records"
        for unit_id in (made["district"], made["committee"], made["branch"]):
            unit = s.get(OrgUnit, unit_id)
            assert unit is not None
            for code in PERIODS:
                period = periods.parse(code)
                expected = quota_reference.compute(s, unit, period, TODAY)
                assert expected.members, "the dataset has members"
                for limit, offset in ((500, 0), (7, 5), (9, 30), (5, 1000)):
                    got = rollup.compute(s, unit, period, TODAY, limit=limit, offset=offset)
                    assert got is not None
                    assert quota.ledger_dict(got, limit=limit, offset=offset) == quota.ledger_dict(
                        expected, limit=limit, offset=offset), (unit.code, code, limit, offset)


def test_a_quota_above_the_counters_depth_is_counted_from_the_records(app: Any) -> None:
    made = _seed(3)
    with db.transaction() as s:
        programme = s.scalar(select(ActivityProgramme).where(ActivityProgramme.code == "deed",
                                                             ActivityProgramme.org_unit_id == made["district"]))
        assert programme is not None
        programme.quota = 9
        unit = s.get(OrgUnit, made["district"])
        assert unit is not None
        assert rollup.highest_quota(programme) == 9
        assert rollup.compute(s, unit, periods.parse("2026"), TODAY, limit=10, offset=0) is None


def test_a_cadence_change_recounts_the_programme(app: Any) -> None:
    made = _seed(4)
    with db.transaction() as s:
        admin = s.scalar(select(Person).where(Person.username == "admin"))
        programme = s.scalar(select(ActivityProgramme).where(ActivityProgramme.code == "visit",
                                                             ActivityProgramme.org_unit_id == made["district"]))
        assert admin is not None and programme is not None
        s.add(Position(person_id=admin.id, org_unit_id=made["district"], role="secretary"))
        s.flush()
        programmes.update(s, admin, programme.id, {"cadence": "month"})
        unit = s.get(OrgUnit, made["district"])
        assert unit is not None
        period = periods.parse("2026")
        got = rollup.compute(s, unit, period, TODAY, limit=20, offset=3)
        assert got is not None
        assert quota.ledger_dict(got, limit=20, offset=3) == quota.ledger_dict(
            quota_reference.compute(s, unit, period, TODAY), limit=20, offset=3)
