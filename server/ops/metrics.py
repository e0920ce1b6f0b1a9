"""Prometheus metrics (``GET /metrics``) through ``prometheus_client``.

Two kinds:

* **per request**, counted by this process (``observe``, called by ``server.ops.telemetry``):
  requests and their latency by method, route template (``/api/tasks/<int:task_id>``, never
  the filled-in path) and status;
* **of the work**, read from the database at each scrape (``WorkCollector``), so that every
  process reports the same numbers whichever one is scraped: open tasks, task completions,
  timer jobs due now, how long the oldest due job has waited (the job lag), the age of the
  newest scheduler heartbeat, and in scale-out mode the length of the Celery queue.

Several gunicorn workers: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before they
start (the systemd unit does); the request counts of all workers are then summed
(``prometheus_client.multiprocess``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import redis
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from inbox.models import COMPLETED, OPEN, Task
from server import clock
from server.config import Settings
from server.database import db
from server.workflow.jobs import due_condition
from server.workflow.models import SchedulerHeartbeat, TimerJob

log = logging.getLogger("vanguard.metrics")

REQUESTS_REGISTRY = CollectorRegistry()
REQUESTS = Counter("vanguard_http_requests", "HTTP requests answered, by method, route template and status",
                   ["method", "route", "status"], registry=REQUESTS_REGISTRY)
LATENCY = Histogram("vanguard_http_request_duration_seconds", "Time to answer a request, by method and route template",
                    ["method", "route"], registry=REQUESTS_REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))


def observe(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


class WorkCollector(Collector):
    """The state of the work, read from the database when scraped."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        up = GaugeMetricFamily("vanguard_database_up", "1 when the database answered this scrape")
        try:
            values = self._read()
        except Exception:  # noqa: BLE001 - a scrape must answer even when the database does not
            log.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("vanguard_open_tasks", "Tasks open in the inbox", value=values["open"])
        yield CounterMetricFamily("vanguard_task_completions", "Tasks completed since the database began",
                                  value=values["completed"])
        yield GaugeMetricFamily("vanguard_due_timer_jobs", "Timer jobs due now and not yet fired (timers, due dates, "
                                "schedules)", value=values["due"])
        yield GaugeMetricFamily("vanguard_job_lag_seconds", "How long the oldest due timer job has waited (0: none)",
                                value=values["lag"])
        if values["heartbeat_age"] is not None:
            yield GaugeMetricFamily("vanguard_scheduler_heartbeat_age_seconds",
                                    "Seconds since a scheduler last wrote its heartbeat", value=values["heartbeat_age"])
        queue = self._celery_queue_length()
        if queue is not None:
            yield GaugeMetricFamily("vanguard_celery_queue_length", "Messages waiting in the Celery queue",
                                    value=queue)

    def _read(self) -> dict[str, float | None]:
        now = clock.now()
        session = db.read_session()
        try:
            counts = {state: count for state, count in session.execute(
                select(Task.state, func.count()).where(Task.state.in_((OPEN, COMPLETED))).group_by(Task.state))}
            due, oldest = session.execute(select(func.count(), func.min(TimerJob.due_at))
                                          .where(due_condition(now))).one()
            beat = session.scalar(select(func.max(SchedulerHeartbeat.beat_at)))
        finally:
            session.close()
        return {"open": counts.get(OPEN, 0), "completed": counts.get(COMPLETED, 0), "due": due,
                "lag": max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0,
                "heartbeat_age": (now - beat).total_seconds() if beat is not None else None}

    def _celery_queue_length(self) -> int | None:
        """Scale-out mode with a Redis broker: the length of the queue's list (kombu keeps one per queue)."""
        if self.settings.scheduler == "embedded" or not self.settings.broker_url.startswith("redis"):
            return None
        try:
            client = redis.Redis.from_url(self.settings.broker_url, socket_timeout=1, socket_connect_timeout=1)
            return int(client.llen(os.environ.get("VANGUARD_CELERY_QUEUE", "vanguard")))
        except redis.RedisError:
            log.warning("metrics: the broker did not answer")
            return None


def render(settings: Settings) -> bytes:
    """The text exposition of every metric: this process's (or all workers') requests, then the work."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests)
    else:
        requests = REQUESTS_REGISTRY
    work = CollectorRegistry()
    work.register(WorkCollector(settings))
    return generate_latest(requests) + generate_latest(work)
