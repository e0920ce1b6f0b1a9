"""Running BPMN: definitions, instances and their parts, timer jobs, schedules, the hook registry."""
