"""WSGI entry point for gunicorn: ``server.wsgi:app`` (``python -m server serve`` and ``make scale-out``).

A serving process also tunes Python's cyclic garbage collector. A completion allocates tens
of thousands of short-lived objects (ORM rows, engine tasks, JSON); with the default
threshold of 700 the collector ran several times per request and, on PostgreSQL, took about
a seventh of a completion's instructions (docs/benchmarks.md). A higher first threshold lets
short-lived garbage die by reference counting first; ``freeze`` moves everything the start-up
made (mappers, specs, the app) out of the collector's sight, so a full collection does not
walk it again and again.
"""

import gc
import os
import sys

from server.app import create_app
from server.config import ConfigError, Settings
from server.ops import logs
from server.ops.serving import hold_while_serving
from server.ops.version import sqlite_file
from server.workflow.engine import warm_sandbox

APP_LOAD_ERROR = 4
"""gunicorn's exit status for "the app cannot be loaded": the master stops instead of respawning workers."""

logs.configure()
try:
    hold_while_serving(sqlite_file(Settings.from_env().database_url))  # `upgrade` refuses while this process lives
    app = create_app()
    warm_sandbox()  # the first script of this serving process finds a worker ready (docs/security.md)
except ConfigError as exc:
    print(f"refused: {exc}", file=sys.stderr, flush=True)
    sys.exit(APP_LOAD_ERROR)

if os.environ.get("VANGUARD_BENCH_FLOOR") == "1":
    # Benchmark-only endpoints (the floor and the naive baseline), never on otherwise: docs/benchmarks.md.
    from bench.floor import floor_bp

    app.register_blueprint(floor_bp)

GC_THRESHOLDS = (10_000, 20, 20)
gc.collect()
gc.freeze()
gc.set_threshold(*GC_THRESHOLDS)
