"""The talk loop (谈心谈话): requests, talks and records, problem lists, coverage, reports."""
