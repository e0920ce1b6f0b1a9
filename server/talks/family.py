"""What the talk loop plugs into the workflow (installed by ``server.bootstrap``)."""

from __future__ import annotations

from server.talks import records, reports, starts
from server.talks.terms import REQUEST_KEY, TALK_KEY
from server.workflow.hooks import ProcessFamily

TALK_FAMILY = ProcessFamily(
    name="talk loop",
    starts={REQUEST_KEY: starts.start_hook, TALK_KEY: starts.start_hook},
    saves={REQUEST_KEY: records.on_saved, TALK_KEY: records.on_saved},
    completions=records.COMPLETIONS,
)

TALK_REPORT_FAMILY = ProcessFamily(
    name="talk reports and coverage reminders",
    starts={reports.REPORT_KEY: reports.report_start, reports.COVERAGE_KEY: reports.reminder_start},
    saves={reports.REPORT_KEY: reports.on_saved},
    completions=reports.COMPLETIONS,
    daily=(reports.daily,),
)
