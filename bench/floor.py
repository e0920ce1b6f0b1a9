"""Benchmark-only endpoints, registered only when the server runs with ``VANGUARD_BENCH_FLOOR=1``.

* ``POST /bench/floor/<row>``: the floor — the least a request of this stack can
  do: the same gunicorn, Flask, session cookie and user loading as the API,
  one write transaction that updates one row of ``bench_floor``, a JSON answer.
* ``POST /bench/naive/<row>/complete``: the naive baseline
  (``bench/naive.py``): load the campaign's one blob from ``bench_naive``,
  deserialize, complete one task, run the engine, serialize, save.

Their tables are created by the benchmark (``ensure_tables``), never by
Alembic, so a product database never has them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import Engine, text

from server.requests import write

floor_bp = Blueprint("bench_floor", __name__, url_prefix="/bench")

TABLES = (
    "CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, hits INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS bench_naive (id INTEGER PRIMARY KEY, blob TEXT NOT NULL, saves INTEGER NOT NULL)",
)


def ensure_tables(engine: Engine, floor_rows: int = 64) -> None:
    with engine.begin() as conn:
        for ddl in TABLES:
            conn.execute(text(ddl))
        conn.execute(text("DELETE FROM bench_floor"))
        conn.execute(text("INSERT INTO bench_floor (id, hits) VALUES (:id, 0)"),
                     [{"id": i} for i in range(floor_rows)])


def _refuse() -> Any:
    return jsonify({"error": "unauthorized", "message": "log in first: POST /api/session", "details": []}), 401


@floor_bp.post("/floor/<int:row>")
def floor(row: int) -> Any:
    if not current_user.is_authenticated:
        return _refuse()

    def bump(session: Any) -> int:
        result = session.execute(text("UPDATE bench_floor SET hits = hits + 1 WHERE id = :id"), {"id": row})
        return int(result.rowcount)

    return jsonify({"updated": write(bump)})


@floor_bp.post("/naive/<int:row>/complete")
def naive_complete(row: int) -> Any:
    if not current_user.is_authenticated:
        return _refuse()
    from bench import naive

    body = request.get_json(silent=True) or {}
    task_id, data = str(body.get("task_id", "")), body.get("data") or {}

    def run(session: Any) -> int:
        lock = " FOR UPDATE" if session.get_bind().dialect.name == "postgresql" else ""
        blob = session.execute(text(f"SELECT blob FROM bench_naive WHERE id = :id{lock}"), {"id": row}).scalar_one()
        new = naive.complete(blob, task_id, data)
        session.execute(text("UPDATE bench_naive SET blob = :blob, saves = saves + 1 WHERE id = :id"),
                        {"blob": new, "id": row})
        return len(new)

    try:
        size = write(run)
    except LookupError as exc:
        return jsonify({"error": "conflict", "message": str(exc), "details": []}), 409
    return jsonify({"blob_bytes": size})
