"""A synthetic organisation of any size, inserted in bulk straight into the tables.

district ``bench-district`` → party committees (one per 20 branches) →
branches of ``per_branch`` members each. Member ``b0001m01`` of each branch is
also its secretary (as in the demo, a secretary is a member of his branch);
every committee has a secretary ``pc001sec``; ``benchadmin`` is the
``org_admin`` of the district.

Everyone's password is ``BENCH_PASSWORD``. The hash uses 1,000 PBKDF2 rounds
instead of the product's 100,000, so that logging a few thousand people in
costs the benchmark seconds rather than minutes; logins are never timed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from werkzeug.security import generate_password_hash

from bench.db import backend_of, bulk_insert, flag, reset_sequences, stamp

BENCH_PASSWORD = "bench"
ADMIN = "benchadmin"


@dataclass
class Branch:
    id: int
    code: str
    name: str
    secretary: str
    members: list[str]


@dataclass
class Org:
    district_id: int
    admin: str
    branches: list[Branch]
    committees: list[int]
    person_ids: dict[str, int] = field(default_factory=dict)

    @property
    def member_count(self) -> int:
        return sum(len(b.members) for b in self.branches)

    def branch_of(self, username: str) -> Branch:
        return self.branches[int(username[1:5]) - 1]

    def members(self) -> list[str]:
        return [m for b in self.branches for m in b.members]


def generate(engine: Engine, members: int, per_branch: int = 50) -> Org:
    """Insert the organisation into an empty, migrated database."""
    backend = backend_of(str(engine.url))
    now = stamp(backend, datetime.now(UTC))
    pw_hash = generate_password_hash(BENCH_PASSWORD, method="pbkdf2:sha256:1000")
    n_branches = max(1, -(-members // per_branch))
    n_committees = max(1, -(-n_branches // 20))

    units: list[tuple[object, ...]] = []
    district_id = 1
    units.append((district_id, "bench-district", "基准区委", "district", None, "/1/", now))
    committees = []
    for c in range(n_committees):
        uid = 2 + c
        committees.append(uid)
        units.append((uid, f"bench-pc{c + 1:03d}", f"第{c + 1}党委", "party_committee", district_id,
                       f"/1/{uid}/", now))
    branches: list[Branch] = []
    next_id = 2 + n_committees
    remaining = members
    for b in range(n_branches):
        uid = next_id + b
        parent = committees[b // 20]
        size = min(per_branch, remaining)
        remaining -= size
        code, name = f"bench-b{b + 1:04d}", f"第{b + 1}党支部"
        units.append((uid, code, name, "branch", parent, f"/1/{parent}/{uid}/", now))
        names = [f"b{b + 1:04d}m{k + 1:02d}" for k in range(size)]
        branches.append(Branch(uid, code, name, names[0], names))

    people: list[tuple[object, ...]] = []
    positions: list[tuple[object, ...]] = []
    person_ids: dict[str, int] = {}

    def person(username: str, display: str) -> int:
        pid = len(people) + 1
        people.append((pid, username, display, pw_hash, None, "zh_Hans_CN", flag(backend, True), now))
        person_ids[username] = pid
        return pid

    def hold(pid: int, unit: int, role: str) -> None:
        positions.append((len(positions) + 1, pid, unit, role, None, None))

    hold(person(ADMIN, "基准区组织部管理员"), district_id, "org_admin")
    for c, uid in enumerate(committees):
        hold(person(f"pc{c + 1:03d}sec", f"第{c + 1}党委书记"), uid, "secretary")
    for branch in branches:
        for k, username in enumerate(branch.members):
            pid = person(username, f"党员{username}")
            hold(pid, branch.id, "member")
            if k == 0:
                hold(pid, branch.id, "secretary")

    bulk_insert(engine, "org_unit", ["id", "code", "name", "type", "parent_id", "path", "created_at"], units)
    bulk_insert(engine, "person", ["id", "username", "display_name", "password_hash", "email", "locale", "active",
                                   "created_at"], people)
    bulk_insert(engine, "position", ["id", "person_id", "org_unit_id", "role", "start", '"end"'], positions)
    reset_sequences(engine, ["org_unit", "person", "position"])
    return Org(district_id, ADMIN, branches, committees, person_ids)
