"""Many running instances fast: copy one real instance row by row, with fresh ids.

A template instance is started through the HTTP API like any other. Its
``process_instance`` row, its open ``task`` rows with their candidates and its
audit rows are then copied for other people and units: every engine task
UUID is replaced by a fresh one (consistently, so the copy is a valid
engine state of its own), and the person- and unit-specific values of the
instance data are replaced. The copies are what the server would have written
had each person started the process himself, at a thousandth of the cost, so
that a scenario can have 20,000 open tasks ready in seconds.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from bench.db import backend_of, bulk_insert, reset_sequences

JSON_COLUMNS = {"data", "details"}
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Target:
    """Who and where one copy is for."""

    username: str
    person_id: int
    unit_id: int
    unit_code: str
    unit_name: str


@dataclass(frozen=True)
class Cloned:
    username: str
    instance_id: int
    task_ids: list[int]


def _rows(engine: Engine, sql: str, params: Sequence[Any]) -> tuple[list[str], list[list[Any]]]:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if backend_of(str(engine.url)) == "postgresql":
            sql = sql.replace("?", "%s")
        cur.execute(sql, tuple(params))
        names = [d[0] for d in cur.description]
        rows = [list(r) for r in cur.fetchall()]
        raw.rollback()
        return names, rows
    finally:
        raw.close()


def _max_id(engine: Engine, table: str) -> int:
    _, rows = _rows(engine, f'SELECT COALESCE(MAX(id), 0) FROM "{table}"', [])
    return int(rows[0][0])


def _as_db(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _quote(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def clone_instance(engine: Engine, template_id: int, template: Target, targets: Sequence[Target]) -> list[Cloned]:
    """Copy instance ``template_id`` (started by ``template``) once per target."""
    inst_cols, inst_rows = _rows(engine, "SELECT * FROM process_instance WHERE id = ?", [template_id])
    task_cols, task_rows = _rows(engine, "SELECT * FROM task WHERE instance_id = ? AND state = 'open' ORDER BY id",
                                 [template_id])
    task_ids = [r[task_cols.index("id")] for r in task_rows]
    cand_cols: list[str] = []
    cand_rows: list[list[Any]] = []
    if task_ids:
        marks = ", ".join("?" for _ in task_ids)
        cand_cols, cand_rows = _rows(engine, f"SELECT * FROM task_candidate WHERE task_id IN ({marks}) ORDER BY id",
                                     task_ids)
    audit_cols, audit_rows = _rows(engine, "SELECT * FROM audit_event WHERE instance_id = ? ORDER BY id",
                                   [template_id])
    instance = dict(zip(inst_cols, inst_rows[0], strict=True))

    # The engine state as a format string: UUIDs and personal values become placeholders.
    state: str = instance["engine_state"]
    uuids = sorted(set(UUID_RE.findall(state)))
    slots = {u: i for i, u in enumerate(uuids)}
    skeleton = state.replace("{", "{{").replace("}", "}}")
    skeleton = skeleton.replace(f'"started_by": {_quote(template.username)}', "{started_by}")
    skeleton = skeleton.replace(f'"org_unit_name": {_quote(template.unit_name)}', "{org_unit_name}")
    skeleton = re.sub(rf'"org_unit_id": {template.unit_id}(?!\d)', "{org_unit_id}", skeleton)
    skeleton = UUID_RE.sub(lambda m: "{u" + str(slots[m.group(0)]) + "}", skeleton)

    next_inst = _max_id(engine, "process_instance") + 1
    next_task = _max_id(engine, "task") + 1
    next_cand = _max_id(engine, "task_candidate") + 1
    next_audit = _max_id(engine, "audit_event") + 1

    def personalise(target: Target) -> Callable[[str, Any], Any]:
        swap = {template.username: target.username, template.unit_name: target.unit_name,
                template.unit_code: target.unit_code}

        def walk(value: Any, key: str | None = None) -> Any:
            if isinstance(value, dict):
                return {k: walk(v, k) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v) for v in value]
            if isinstance(value, str):
                return swap.get(value, value)
            if key == "org_unit_id" and value == template.unit_id:
                return target.unit_id
            return value

        def fix(column: str, value: Any) -> Any:
            if column in JSON_COLUMNS and value is not None:
                parsed = json.loads(value) if isinstance(value, str) else value
                return json.dumps(walk(parsed))
            return _as_db(value)

        return fix

    inst_out: list[list[Any]] = []
    task_out: list[list[Any]] = []
    cand_out: list[list[Any]] = []
    audit_out: list[list[Any]] = []
    result: list[Cloned] = []
    for target in targets:
        fresh = {f"u{i}": str(uuid.uuid4()) for i in range(len(uuids))}
        new_uuid = {u: fresh[f"u{i}"] for u, i in slots.items()}
        fix = personalise(target)
        row = dict(instance)
        row["id"] = next_inst
        row["org_unit_id"] = target.unit_id
        if row.get("started_by_id") == template.person_id:
            row["started_by_id"] = target.person_id
        row["engine_state"] = skeleton.format(
            started_by=f'"started_by": {_quote(target.username)}',
            org_unit_id=f'"org_unit_id": {target.unit_id}',
            org_unit_name=f'"org_unit_name": {_quote(target.unit_name)}',
            **fresh,
        )
        inst_out.append([_as_db(row[c]) for c in inst_cols])
        new_task_ids: dict[int, int] = {}
        for trow in task_rows:
            t = dict(zip(task_cols, trow, strict=True))
            new_task_ids[t["id"]] = next_task
            t["id"] = next_task
            t["instance_id"] = next_inst
            t["engine_task_id"] = new_uuid.get(t["engine_task_id"], t["engine_task_id"])
            t["org_unit_id"] = target.unit_id
            for col in ("assignee_id", "bound_to_id"):
                if t[col] == template.person_id:
                    t[col] = target.person_id
            task_out.append([fix(c, t[c]) for c in task_cols])
            next_task += 1
        for crow in cand_rows:
            c = dict(zip(cand_cols, crow, strict=True))
            c["id"] = next_cand
            c["task_id"] = new_task_ids[c["task_id"]]
            if c["org_unit_id"] == template.unit_id:
                c["org_unit_id"] = target.unit_id
            cand_out.append([c[k] for k in cand_cols])
            next_cand += 1
        for arow in audit_rows:
            a = dict(zip(audit_cols, arow, strict=True))
            a["id"] = next_audit
            a["instance_id"] = next_inst
            if a["task_id"] in new_task_ids:
                a["task_id"] = new_task_ids[a["task_id"]]
            if a["actor_id"] == template.person_id:
                a["actor_id"] = target.person_id
            audit_out.append([fix(k, a[k]) for k in audit_cols])
            next_audit += 1
        result.append(Cloned(target.username, next_inst, list(new_task_ids.values())))
        next_inst += 1

    def quoted(cols: list[str]) -> list[str]:
        return [f'"{c}"' for c in cols]

    def rows(data: list[list[Any]]) -> Iterator[list[Any]]:
        yield from data

    bulk_insert(engine, "process_instance", quoted(inst_cols), rows(inst_out))
    bulk_insert(engine, "task", quoted(task_cols), rows(task_out))
    if cand_out:
        bulk_insert(engine, "task_candidate", quoted(cand_cols), rows(cand_out))
    if audit_out:
        bulk_insert(engine, "audit_event", quoted(audit_cols), rows(audit_out))
    reset_sequences(engine, ["process_instance", "task", "task_candidate", "audit_event"])
    return result
