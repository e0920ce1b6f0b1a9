"""``VANGUARD_ENV=production`` (issue 22.2): what it requires, what it refuses, what it says at start."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from server.accounts.first_admin import create_first_admin
from server.app import create_app
from server.cli import main
from server.config import ROOT, ConfigError, Settings
from server.database import db
from server.hardening import TrustedProxies

KEY = "k" * 40
PASSWORD = "Vanguard-first-admin-42"


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("VANGUARD_DEMO", "VANGUARD_CLOCK_CONTROL", "VANGUARD_TLS", "VANGUARD_PROXY_HOPS",
                 "VANGUARD_TRUSTED_PROXIES", "VANGUARD_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VANGUARD_ENV", "production")
    monkeypatch.setenv("VANGUARD_INSTANCE_DIR", str(tmp_path / "instance"))
    return monkeypatch


def test_production_needs_an_explicit_secret_key_and_keeps_none_of_its_own(production_env, tmp_path):
    with pytest.raises(ConfigError, match="VANGUARD_SECRET_KEY of at least 32"):
        Settings.from_env()
    production_env.setenv("VANGUARD_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="VANGUARD_SECRET_KEY"):
        Settings.from_env()
    assert not (tmp_path / "instance" / "secret_key").exists()
    production_env.setenv("VANGUARD_SECRET_KEY", KEY)
    settings = Settings.from_env()
    assert settings.production and settings.tls and settings.secret_key == KEY


@pytest.mark.parametrize(("name", "value", "message"), [
    ("VANGUARD_DEMO", "1", "VANGUARD_DEMO=1"),
    ("VANGUARD_CLOCK_CONTROL", "1", "training clock"),
    ("VANGUARD_PROXY_HOPS", "1", "VANGUARD_TRUSTED_PROXIES"),
    ("VANGUARD_ENV", "staging", "one of development, production"),
])
def test_production_refuses_the_demo_the_clock_and_unnamed_proxies(production_env, name, value, message):
    production_env.setenv("VANGUARD_SECRET_KEY", KEY)
    production_env.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        Settings.from_env()


def test_the_demo_seed_and_the_clock_commands_refuse_in_production(production_env, capsys, database_url):
    production_env.setenv("VANGUARD_SECRET_KEY", KEY)
    production_env.setenv("VANGUARD_DATABASE_URL", database_url)
    assert main(["seed-demo"]) == 2
    assert "seed-demo is refused when VANGUARD_ENV=production" in capsys.readouterr().err
    assert main(["clock", "show"]) == 2
    assert "clock is refused" in capsys.readouterr().err
    production_env.delenv("VANGUARD_SECRET_KEY")
    assert main(["version"]) == 2
    assert "needs VANGUARD_SECRET_KEY" in capsys.readouterr().err


def test_overrides_cannot_sneak_the_demo_into_a_production_app(app_config):
    with pytest.raises(ConfigError, match="VANGUARD_DEMO"):
        create_app({**app_config, "env": "production", "secret_key": KEY, "tls": True})
    db.dispose()


@pytest.fixture
def production_app(app_config: dict[str, Any], caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.INFO, logger="vanguard")
    application = create_app({**app_config, "env": "production", "secret_key": KEY, "tls": True, "demo": False,
                              "smtp_host": "mail.example.org", "TESTING": False})
    with db.transaction() as session:
        create_first_admin(session, "oa", PASSWORD, unit_code="d1", unit_name="某某区委")
    yield application
    db.dispose()


def test_a_production_app_says_what_runs_sets_secure_cookies_and_shows_no_debugger(production_app, caplog,
                                                                                   database_url):
    lines = [r.getMessage() for r in caplog.get_records("setup") if "starting:" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "mode=production" in lines[0] and "scheduler=off" in lines[0]
    assert "mail=smtp mail.example.org:25" in lines[0] and "tls=on" in lines[0]
    assert database_url.split("://")[0] in lines[0] and "trusted_proxies=none" in lines[0]
    assert not production_app.debug and production_app.config["PROPAGATE_EXCEPTIONS"] is False
    client = production_app.test_client()
    res = client.post("/api/session", json={"username": "oa", "password": PASSWORD})
    assert res.status_code == 200, res.get_json()
    cookies = res.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies if c.startswith(("session", "remember")))
    assert res.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_start_up_line_hides_the_database_password():
    settings = Settings(database_url="postgresql+psycopg://vanguard:s3cret@db.internal/vanguard", secret_key=KEY)
    line = settings.summary()
    assert "s3cret" not in line and "vanguard:***@db.internal/vanguard" in line
    assert "mode=development" in line and "mail=off" in line


def _echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ['REMOTE_ADDR']} {environ['wsgi.url_scheme']} {environ.get('HTTP_HOST')}".encode()]


@pytest.mark.parametrize(("peer", "expected"), [
    ("127.0.0.1", "203.0.113.9 https vanguard.example.org"),  # the proxy: its headers are believed
    ("10.1.2.3", "203.0.113.9 https vanguard.example.org"),   # inside a trusted network
    ("198.51.100.7", "198.51.100.7 http internal:8000"),       # anyone else: ignored
    ("", " http internal:8000"),                               # a unix socket peer is nobody in particular
])
def test_forwarded_headers_are_believed_only_from_trusted_proxies(peer, expected):
    app = Flask(__name__)
    app.wsgi_app = TrustedProxies(_echo, ["127.0.0.1", "10.0.0.0/8"], 1)  # type: ignore[method-assign]
    res = app.test_client().get("/", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
                                              "X-Forwarded-Host": "vanguard.example.org", "Host": "internal:8000"},
                                environ_base={"REMOTE_ADDR": peer})
    assert res.get_data(as_text=True) == expected


def test_a_bad_trusted_proxy_is_refused_at_start():
    with pytest.raises(ConfigError, match="VANGUARD_TRUSTED_PROXIES"):
        TrustedProxies(_echo, ["127.0.0.1", "not-an-address"], 1)




def test_gunicorn_refuses_to_serve_without_the_key_and_says_why(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
    env.update(VANGUARD_ENV="production", VANGUARD_INSTANCE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    done = subprocess.run([str(gunicorn), "--bind", "127.0.0.1:0", "--no-control-socket", "server.wsgi:app"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 4, done.stderr[-2000:]  # the systemd units' RestartPreventExitStatus
    assert "refused: VANGUARD_ENV=production needs VANGUARD_SECRET_KEY" in done.stdout + done.stderr
