"""Benchmarks of the Vanguard server: ``python -m bench`` (``make bench``); see docs/benchmarks.md."""
