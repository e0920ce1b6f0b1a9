"""The shipped systemd units and settings example agree with the code they start (issue 22.5)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from server.config import ROOT

UNITS = ROOT / "deploy" / "systemd"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((UNITS / name).read_text().replace("\\\n", " "))
    return parser


@pytest.mark.parametrize("name", ["vanguard-web.service", "vanguard-web-scaled.service"])
def test_web_units_serve_the_wsgi_app_and_stop_on_refused_settings(name):
    unit = _unit(name)
    service = unit["Service"]
    assert "server.wsgi:app" in service["ExecStart"] and "--bind 127.0.0.1:8000" in service["ExecStart"]
    assert service["EnvironmentFile"] == "/etc/vanguard/vanguard.env" and service["User"] == "vanguard"
    wsgi = (ROOT / "server" / "wsgi.py").read_text()
    assert "APP_LOAD_ERROR = 4" in wsgi and service["RestartPreventExitStatus"] == "4"


def test_scale_out_units_turn_the_embedded_scheduler_off_and_sum_worker_metrics():
    web, worker = _unit("vanguard-web-scaled.service")["Service"], _unit("vanguard-worker.service")["Service"]
    for name in ("vanguard-web-scaled.service", "vanguard-worker.service"):
        assert "\nEnvironment=VANGUARD_SCHEDULER=off\n" in (UNITS / name).read_text(), name
    assert "celery -A server.worker worker" in worker["ExecStart"]
    assert "--workers 4" in web["ExecStart"]
    assert "\nEnvironment=PROMETHEUS_MULTIPROC_DIR=" in (UNITS / "vanguard-web-scaled.service").read_text()


def test_the_settings_example_is_production_with_a_named_proxy():
    lines = dict(line.split("=", 1) for line in (UNITS / "vanguard.env.example").read_text().splitlines()
                 if line and not line.startswith("#"))
    assert lines["VANGUARD_ENV"] == "production" and lines["VANGUARD_TRUSTED_PROXIES"] == "127.0.0.1"
    assert "VANGUARD_DEMO" not in lines and "VANGUARD_CLOCK_CONTROL" not in lines


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("name", ["vanguard-web.service", "vanguard-web-scaled.service", "vanguard-worker.service"])
def test_systemd_finds_no_syntax_error(name, tmp_path: Path):
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(UNITS / name)], capture_output=True,
                          text=True, timeout=60)
    # Missing /opt/vanguard binaries and users are expected here; a misspelt directive is not.
    unknown = [line for line in done.stderr.splitlines() if "Unknown" in line or "Invalid" in line]
    assert not unknown, done.stderr
