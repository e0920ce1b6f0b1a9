"""``/healthz``, ``/readyz``, ``/metrics`` and the request log (issue 22.5)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from dataclasses import replace

import pytest
import redis
from sqlalchemy import select

from server.config import ROOT
from server.database import db
from server.ops import health
from server.ops.logs import JsonFormatter
from server.ops.metrics import WorkCollector
from server.org.models import Person
from server.workflow.scheduler import heartbeat
from tests.inbox.test_inbox_api import REPORT, mine, start_report

REDIS_URL = os.environ.get("VANGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in the metrics")


def test_healthz_answers_without_login_and_readyz_needs_a_live_scheduler(client, fake_clock):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    res = client.get("/readyz")
    assert res.status_code == 503
    body = res.get_json()
    assert body["status"] == "not ready" and body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    assert body["checks"]["scheduler"] == {"ok": False, "last_beat_seconds_ago": None}

    heartbeat("loop", force=True)
    res = client.get("/readyz")
    assert res.status_code == 200 and res.get_json()["status"] == "ready"
    fake_clock.advance(seconds=health.HEARTBEAT_STALE.total_seconds() + 1)
    res = client.get("/readyz")
    assert res.status_code == 503 and res.get_json()["checks"]["scheduler"]["last_beat_seconds_ago"] > 60


def test_readyz_says_when_the_database_is_behind_this_release(client, monkeypatch):
    heartbeat("embedded", force=True)
    monkeypatch.setattr(health, "release_heads", lambda: frozenset({"0002", "9999"}))
    res = client.get("/readyz")
    assert res.status_code == 503
    migrations = res.get_json()["checks"]["migrations"]
    assert not migrations["ok"] and migrations["release"] == "0002 9999" and "0015" in migrations["database"]


def test_metrics_count_requests_by_route_template_and_read_the_work(as_user, client, fake_clock):
    start_report(as_user, "m1")
    start_report(as_user, "m2")
    m1 = as_user("m1")
    task = mine(m1)["items"][0]
    m1.get(f"/api/tasks/{task['id']}")
    before = client.get("/metrics").get_data(as_text=True)
    assert _metric(before, "vanguard_open_tasks") == 2
    completions = _metric(before, "vanguard_task_completions_total")
    assert m1.post(f"/api/tasks/{task['id']}/complete", json={"data": REPORT}).status_code == 200
    fake_clock.advance(days=30)  # every due date passed: the due-date jobs wait for the scheduler
    text = client.get("/metrics").get_data(as_text=True)
    assert _metric(text, "vanguard_task_completions_total") == completions + 1
    assert _metric(text, "vanguard_open_tasks") == 2  # m1's report became the secretary's review
    assert _metric(text, "vanguard_due_timer_jobs") >= 2
    assert _metric(text, "vanguard_job_lag_seconds") > 86400
    assert _metric(text, "vanguard_database_up") == 1
    assert 'route="/api/tasks/<int:task_id>"' in text and f"/api/tasks/{task['id']}" not in text
    assert 'vanguard_http_requests_total{method="POST",route="/api/tasks/<int:task_id>/complete",status="200"}' \
        in text
    assert "vanguard_http_request_duration_seconds_bucket" in text
    embedded = replace(client.application.config["VANGUARD"], scheduler="embedded")
    assert WorkCollector(embedded)._celery_queue_length() is None  # embedded mode: no Celery to ask


@pytest.mark.redis
def test_metrics_report_the_celery_queue_in_scale_out_mode(app, client, monkeypatch):
    broker = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        broker.ping()
    except redis.RedisError:
        pytest.skip("Redis not reachable (VANGUARD_TEST_REDIS_URL)")
    queue = f"vanguard-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("VANGUARD_CELERY_QUEUE", queue)
    monkeypatch.setattr(app.config["VANGUARD"], "broker_url", REDIS_URL)
    assert app.config["VANGUARD"].scheduler == "off"
    broker.rpush(queue, "a", "b", "c")
    try:
        assert _metric(client.get("/metrics").get_data(as_text=True), "vanguard_celery_queue_length") == 3
    finally:
        broker.delete(queue)


def test_one_json_line_per_request_without_the_path_or_query(as_user, caplog):
    m1, sec1 = as_user("m1"), as_user("sec1")
    caplog.set_level(logging.INFO, logger="vanguard.request")
    m1.get("/api/tasks?scope=mine&q=王伟")
    m1.get("/api/process-instances/987654")
    sec1.get("/healthz")
    records = [r for r in caplog.records if r.name == "vanguard.request"]
    assert len(records) == 2  # the probe is not logged
    lines = [json.loads(JsonFormatter().format(r)) for r in records]
    with db.session() as session:
        m1_id = session.scalar(select(Person.id).where(Person.username == "m1"))
    assert lines[0]["route"] == "/api/tasks" and lines[0]["status"] == 200 and lines[0]["method"] == "GET"
    assert lines[0]["user_id"] == m1_id and lines[0]["duration_ms"] >= 0 and lines[0]["message"] == "request"
    assert lines[1]["route"] == "/api/process-instances/<int:instance_id>" and lines[1]["status"] == 404
    formatted = "\n".join(JsonFormatter().format(r) for r in records)
    assert "王伟" not in formatted and "scope=" not in formatted and "987654" not in formatted
    assert {"time", "level", "logger"} <= set(lines[0])


def test_an_anonymous_request_logs_no_user(client, caplog):
    caplog.set_level(logging.INFO, logger="vanguard.request")
    client.get("/api/tasks")
    client.get("/no/such/page?name=王伟")
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "vanguard.request"]
    assert [(line["route"], line["status"], line["user_id"]) for line in lines] == [
        ("/api/tasks", 401, None), ("<unmatched>", 404, None)]


def test_several_workers_sum_their_request_counts(tmp_path, database_url):
    """Scale-out (``PROMETHEUS_MULTIPROC_DIR``): each process writes its counts to the folder, any of them
    renders the sum."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    script = (
        "import sys\n"
        "from server.bootstrap import bootstrap\n"
        "from server.config import Settings\n"
        "from server.ops import metrics\n"
        "settings = Settings(database_url=sys.argv[1], secret_key='k' * 40)\n"
        "bootstrap(settings)\n"
        "metrics.observe('GET', '/api/tasks', 200, 0.01)\n"
        "if sys.argv[2] == 'render':\n"
        "    sys.stdout.write(metrics.render(settings).decode())\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONPATH": str(ROOT)}
    for role in ("count", "count", "render"):
        done = subprocess.run([sys.executable, "-c", script, database_url, role], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
    assert _metric(done.stdout, 'vanguard_http_requests_total{method="GET",route="/api/tasks",status="200"}') == 3
    assert _metric(done.stdout, "vanguard_database_up") == 1
