"""Logins are throttled per account and per address (issue 14 item 3): only failures count;
past the limit, 429 with a sentence — JSON on the API, the login page otherwise; in
scale-out mode the counts live in Redis, shared by every process."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.app import create_app
from server.database import db
from tests.conftest import IN_CI


def _try(client: FlaskClient, username: str, password: str = "wrong", address: str = "10.0.0.1") -> Any:
    return client.post("/api/session", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_an_account_is_throttled_after_five_failures(app: Flask) -> None:
    client = app.test_client()
    for _ in range(5):
        assert _try(client, "m1").status_code == 401
    res = _try(client, "m1", password="demo")  # even the right password waits now
    assert res.status_code == 429
    body = res.get_json()
    assert body["error"] == "too_many_requests" and "this account" in body["message"]
    assert body["details"][0]["field"] == "username"
    assert int(res.headers["Retry-After"]) >= 1
    assert _try(client, "M1 ").status_code == 429  # the same account, however it is typed
    assert _try(client, "m2", password="demo").status_code == 200  # other accounts are not held up


def test_successful_logins_do_not_count(app: Flask) -> None:
    client = app.test_client()
    for _ in range(8):
        assert _try(client, "m3", password="demo").status_code == 200


@pytest.fixture
def tight_address_limit(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "login_limit_address": "3 per minute"}


def test_an_address_is_throttled_across_accounts(tight_address_limit: dict[str, Any]) -> None:
    app = create_app(tight_address_limit)
    try:
        client = app.test_client()
        for name in ("m1", "m2", "m3"):
            assert _try(client, name).status_code == 401
        assert _try(client, "m4", password="demo").status_code == 429
        assert "this address" in _try(client, "m5").get_json()["message"]
        assert _try(client, "m4", password="demo", address="10.0.0.2").status_code == 200
    finally:
        db.dispose()


def test_the_login_page_says_to_wait(app: Flask) -> None:
    browser = app.test_client()
    page = browser.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": token, "username": "sec1", "password": "wrong"}
    for _ in range(5):
        assert browser.post("/login", data=form).status_code == 401
    res = browser.post("/login", data={**form, "password": "demo"})
    assert res.status_code == 429
    text = res.get_data(as_text=True)
    assert 'class="error"' in text and "form" in text  # the login page again, with the message
    assert res.headers["Content-Type"].startswith("text/html")


REDIS_URL = os.environ.get("VANGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_config(app_config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Scale-out mode: scheduler off, no storage named: the broker (Redis) holds the counts."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception:  # noqa: BLE001 - any failure means "not here"
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {REDIS_URL} and CI=true")
        pytest.skip("Redis not available")
    yield {**app_config, "rate_limit_storage": "", "broker_url": REDIS_URL}
    client.close()


@pytest.mark.redis
def test_in_scale_out_mode_every_process_shares_the_counts(redis_config: dict[str, Any]) -> None:
    """The counts outlive the process that made them: a second app (another gunicorn worker)
    refuses an account that failed five times on the first. Names and addresses are fresh
    per run, so that runs sharing the Redis server never meet."""
    stranger, address = f"ghost-{uuid.uuid4().hex[:12]}", f"10.9.{uuid.uuid4().int % 250}.{os.getpid() % 250}"
    first = create_app(redis_config)
    assert first.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    client = first.test_client()
    for _ in range(5):
        assert _try(client, stranger, address=address).status_code == 401
    second = create_app(redis_config)  # another web worker, its own connection to the same Redis
    try:
        assert _try(second.test_client(), stranger, address=address).status_code == 429
        assert _try(second.test_client(), "m8", password="demo", address=address).status_code == 200
    finally:
        db.dispose()
