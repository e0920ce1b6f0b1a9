"""Running BPMN: deploys, parts, timers, schedules, monitoring, scale-out."""
