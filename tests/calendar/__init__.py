"""Working days, due expressions and the calendar API."""
