"""Keyset pagination of the inbox: an opaque cursor for every sort, and where the next page starts.

A page ends with ``next_cursor``: the sort and the sort key of its last task
(``due_at`` and ``id`` for "due"), base64url-encoded JSON. The next page is read
from that key onwards, as index ranges, so a deep page costs what the first
costs, and a task completed between two pages shifts nothing: no task is shown
twice or skipped (an offset would skip one for each task closed above it).

"After the key" is written as disjoint conditions in page order (``segments``),
each an index range of its own: ``(due_at, id) > (d, i)`` then ``due_at IS
NULL`` for "due" (tasks without a due date come last), ``priority = p AND id >
i`` then ``priority < p`` for "-priority".
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, true, tuple_

from inbox.models import Task
from server.errors import BadRequest

# Each sort is a list of (column, descending); "due" lists tasks without a due date last.
SORTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "due": (("due_at", False), ("id", False)),
    "-priority": (("priority", True), ("id", False)),
    "created": (("id", False),),
    "-created": (("id", True),),
}

MAX_CURSOR = 200


def state_is(state: str) -> ColumnElement[bool]:
    """``task.state = 'open'`` with the value in the SQL text, so that the partial indexes of open
    tasks apply (SQLite never proves a partial index's predicate from a bound parameter)."""
    return Task.state == bindparam(None, state, literal_execute=True)


def _bad(message: str) -> BadRequest:
    return BadRequest(message, [{"field": "cursor", "message": message}])


def encode(sort: str, task: Task) -> str:
    return encode_key(sort, [getattr(task, name) for name, _ in SORTS[sort]])


def encode_key(sort: str, values: list[Any]) -> str:
    """The cursor of the page after a task with these sort values (``SORTS[sort]``'s columns)."""
    key = [v.astimezone(UTC).isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({"s": sort, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str, sort: str) -> list[Any]:
    """The sort key a cursor names, checked against ``sort``; BadRequest (field ``cursor``) otherwise."""
    if len(cursor) > MAX_CURSOR:
        raise _bad("cursor is too long: pass the next_cursor of the previous page unchanged")
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad("cursor is not one this server gave: pass the next_cursor of the previous page") from None
    spec = SORTS[sort]
    if not isinstance(body, dict) or body.get("s") not in SORTS or not isinstance(body.get("k"), list):
        raise _bad("cursor is not one this server gave: pass the next_cursor of the previous page")
    if body["s"] != sort:
        raise _bad(f"cursor belongs to another sort than {sort!r}: start again without a cursor")
    if len(body["k"]) != len(spec):
        raise _bad("cursor is not one this server gave: pass the next_cursor of the previous page")
    key: list[Any] = []
    for (name, _), value in zip(spec, body["k"], strict=True):
        key.append(_value(name, value))
    return key


def _value(name: str, value: Any) -> Any:
    if name == "due_at":
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise _bad("cursor holds a bad due date: pass the next_cursor of the previous page")
        return parsed
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(f"cursor holds a bad {name}: pass the next_cursor of the previous page")
    return value


def segments(sort: str, key: list[Any] | None) -> list[ColumnElement[bool]]:
    """Disjoint conditions, in page order, that together mean "after ``key``" (all, without one)."""
    if sort == "due":
        if key is None:
            return [Task.due_at.is_not(None), Task.due_at.is_(None)]
        due, last = key
        if due is None:
            return [and_(Task.due_at.is_(None), Task.id > last)]
        return [tuple_(Task.due_at, Task.id) > tuple_(bindparam(None, due, type_=Task.due_at.type), last),
                Task.due_at.is_(None)]
    if key is None:
        return [true()]
    if sort == "-priority":
        priority, last = key
        return [and_(Task.priority == priority, Task.id > last), Task.priority < priority]
    (last,) = key
    return [Task.id > last] if sort == "created" else [Task.id < last]
