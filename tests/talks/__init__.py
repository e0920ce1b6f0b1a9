"""The talk loop."""
