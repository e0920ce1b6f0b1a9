"""What the activity ledgers plug into the workflow (installed by ``server.bootstrap``)."""

from __future__ import annotations

from server.activities import records, reminders
from server.workflow.hooks import ProcessFamily

ACTIVITY_FAMILY = ProcessFamily(
    name="activity ledgers",
    starts=records.START_HOOKS,
    completions=records.COMPLETIONS,
    daily=(reminders.daily,),
)
