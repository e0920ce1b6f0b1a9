"""The demo and training clock (``VANGUARD_CLOCK_CONTROL=1`` only; else these routes answer 404)."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Blueprint, jsonify
from pydantic import Field

from server.api.contract import Body, declare
from server.api.schemas.common import Out
from server.ops import clock_control
from server.requests import me, read, write

bp = Blueprint("clock", __name__)
TAGS = ("admin",)


class ClockMove(Body):
    advance: str | None = Field(None, description="ISO 8601 duration to move forward, e.g. P10D")
    set: str | None = Field(None, description="a later moment with offset, e.g. 2027-01-04T09:00:00+08:00")
    reset: bool = Field(False, description="back to real time")
    invalid_status: ClassVar[int] = 422
    invalid_message: ClassVar[str] = "give one of advance (ISO 8601 duration), set (date-time) or reset: {fields}"


class Clock(Out):
    now: str
    real: str
    offset_seconds: float
    shifted: bool


@bp.get("/admin/clock")
@declare(ok=Clock, errors=(403, 404), tags=TAGS)
def get_clock() -> Any:
    """The server's time and the training clock's offset (org_admin of a top-level unit)"""
    return jsonify(read(lambda s: clock_control.state(s, me(s))))


@bp.post("/admin/clock")
@declare(body=ClockMove, ok=Clock, errors=(403, 404, 422), write=True, tags=TAGS)
def move_clock(json: ClockMove) -> Any:
    """Move the server's time forward (advance, set) or back to real time (reset)"""
    return jsonify(write(lambda s: clock_control.move(s, me(s), advance=json.advance, set_to=json.set,
                                                      reset=json.reset)))
