"""Timer expressions in the engine (no database): working days, ISO forms, the controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server import clock
from server.calendar.workdays import WorkdayCalendar
from server.workflow.engine import EngineError, Run, parse_bpmn, start_timer

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 9, 28, 10, 0, tzinfo=SH)  # two working days before National Day

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="Wait"><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="T"><bpmn:{kind}>{expr}</bpmn:{kind}></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="Finish"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Wait"/>
    <bpmn:sequenceFlow id="F2" sourceRef="Wait" targetRef="Finish"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def now():
    current = [MONDAY]
    clock.set_source(lambda: current[0])
    yield current
    clock.set_source(None)


def waiting(kind: str, expr: str, data: dict | None = None, calendar: WorkdayCalendar | None = None):
    xml = TEMPLATE.format(kind=kind, expr=expr)
    process = parse_bpmn(xml.encode(), "t.bpmn")[0]
    key = f"test:{kind}:{expr}"
    run = Run.start(key, lambda: process.spec_json, data or {}, calendar=calendar)
    snapshot = run.advance()
    return key, process, snapshot


def eod(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=SH)


@pytest.mark.parametrize("expr", ['"3 working days"', "3 working days", "3 个工作日", "working_days(3)",
                                  "working_days(n)"])
def test_working_days_timer_skips_national_day(now, expr):
    _, _, snapshot = waiting("timeDuration", expr, {"n": 3})
    [timer] = snapshot.timers
    assert timer.element_id == "Wait"
    assert timer.due_at == eod(2026, 10, 8)


@pytest.mark.parametrize("kind,expr,due", [
    ("timeDuration", '"P3D"', MONDAY + timedelta(days=3)),
    ("timeDuration", "P3D", MONDAY + timedelta(days=3)),
    ("timeDuration", "PT4H", MONDAY + timedelta(hours=4)),
    ("timeDate", '"2026-10-09T09:00:00+08:00"', datetime(2026, 10, 9, 9, 0, tzinfo=SH)),
    ("timeDate", "2026-10-09T09:00:00", datetime(2026, 10, 9, 9, 0, tzinfo=SH)),
    ("timeDate", "working_days(5)", eod(2026, 10, 10)),
    ("timeDate", "deadline", datetime(2026, 10, 9, 18, 0, tzinfo=SH)),
])
def test_iso_forms_and_variables(now, kind, expr, due):
    _, _, snapshot = waiting(kind, expr, {"deadline": "2026-10-09T18:00:00+08:00"})
    assert [t.due_at for t in snapshot.timers] == [due]


def test_overrides_reach_working_day_timers(now):
    # An administrator makes Friday 9 October a day off: 4 working days now end on Saturday 10th.
    cal = WorkdayCalendar(overrides={datetime(2026, 10, 9).date(): (False, "停电")})
    _, _, snapshot = waiting("timeDuration", "working_days(4)", calendar=cal)
    assert snapshot.timers[0].due_at == eod(2026, 10, 10)
    _, _, plain = waiting("timeDuration", "working_days(4)")
    assert plain.timers[0].due_at == eod(2026, 10, 9)


def test_timer_fires_when_the_clock_moves(now):
    key, process, snapshot = waiting("timeDuration", "working_days(1)")
    due = snapshot.timers[0].due_at
    run = Run.load(key, lambda: process.spec_json, snapshot.state)
    assert run.fire_due_timers(due - timedelta(seconds=1)) == []
    assert not run.advance().completed
    now[0] = due + timedelta(microseconds=1)
    run = Run.load(key, lambda: process.spec_json, snapshot.state)
    fired = run.fire_due_timers(now[0])
    assert [f.element_id for f in fired] == ["Wait"]
    after = run.advance()
    assert after.completed and after.timers == []


def test_fire_due_timers_at_exactly_the_due_moment(now):
    key, process, snapshot = waiting("timeDuration", '"PT1H"')
    due = snapshot.timers[0].due_at
    now[0] = due
    run = Run.load(key, lambda: process.spec_json, snapshot.state)
    assert [f.element_id for f in run.fire_due_timers(due)] == ["Wait"]
    assert run.advance().completed


def test_bad_working_days_argument_is_an_engine_error(now):
    with pytest.raises(EngineError):
        waiting("timeDuration", "working_days(-1)")


def test_start_timer_reports_a_cycle():
    xml = TEMPLATE.format(kind="timeDuration", expr='"P1D"')
    process = parse_bpmn(xml.encode(), "t.bpmn")[0]
    assert start_timer("nostart", lambda: process.spec_json) is None
    from tests.timers_support import BPMN

    quarterly = parse_bpmn((BPMN / "quarterly_review.bpmn").read_bytes(), "q.bpmn")[0]
    assert start_timer("q", lambda: quarterly.spec_json) == ("cycle", "R/2026-01-01T00:00:00+08:00/P3M")


def test_start_timer_fired_runs_a_cycle_once(now):
    from tests.timers_support import BPMN

    quarterly = parse_bpmn((BPMN / "quarterly_review.bpmn").read_bytes(), "q.bpmn")[0]
    plain = Run.start("q1", lambda: quarterly.spec_json, {}).advance()
    # Started by hand, the start cycle catches up every quarter since January and keeps waiting.
    assert len(plain.human_tasks) > 1 and plain.timers
    once = Run.start("q1", lambda: quarterly.spec_json, {}, fire_start_timers=True).advance()
    assert [h.element_id for h in once.human_tasks] == ["Review"] and once.timers == []


def test_clock_patch_leaves_real_time_alone_without_a_source():
    before = datetime.now(UTC)
    xml = TEMPLATE.format(kind="timeDuration", expr='"PT1H"')
    process = parse_bpmn(xml.encode(), "t.bpmn")[0]
    snapshot = Run.start("real", lambda: process.spec_json, {}).advance()
    assert before + timedelta(minutes=59) < snapshot.timers[0].due_at < datetime.now(UTC) + timedelta(minutes=61)
