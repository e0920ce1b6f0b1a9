"""Behind nginx with TLS (issue 22.3): gunicorn serving ``server.wsgi:app`` in production mode, Debian's nginx
with the shipped ``deploy/nginx/vanguard.conf`` and a self-signed certificate in front, everything checked
through the proxy.

Needs ``/usr/sbin/nginx`` and ``openssl``: skipped without them, except under ``CI=true``, where
``scripts/ensure-nginx.sh`` installs them (apt-get) and their absence fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from server.config import ROOT

pytestmark = pytest.mark.slow
IN_CI = os.environ.get("CI", "").lower() == "true"
NGINX = Path(os.environ.get("NGINX", "/usr/sbin/nginx"))
PASSWORD = "Proxy-tested-admin-2027"
MIB = 1024 * 1024


def _require_tools() -> None:
    if (not NGINX.exists() or shutil.which("openssl") is None) and IN_CI:
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure-nginx.sh")], check=True)
    if NGINX.exists() and shutil.which("openssl") is not None:
        return
    message = f"nginx ({NGINX}) or openssl is not installed: run scripts/ensure-nginx.sh as root"
    if IN_CI:
        pytest.fail(message + " (CI=true)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port} after {seconds} s:\n{log.read_text()[-3000:]}")


def _wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = 180) -> None:
    """gunicorn listens at once; its worker loads the app afterwards (tens of seconds on a busy machine)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"gunicorn not healthy after {seconds} s:\n{log.read_text()[-3000:]}")


def site_config(app_port: int, http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """The shipped site configuration with this test's ports, names and certificate."""
    text = (ROOT / "deploy" / "nginx" / "vanguard.conf").read_text()
    text = re.sub(r"\n\s*listen \[::\]:\d+[^\n]*", "", text)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = re.sub(r"listen 443 ssl http2;[^\n]*", f"listen 127.0.0.1:{https_port} ssl http2;", text)
    text = text.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    text = text.replace("/etc/ssl/vanguard/fullchain.pem", str(cert)).replace("/etc/ssl/vanguard/privkey.pem", str(key))
    return text.replace("vanguard.example.org", "localhost")


def _nginx_conf(work: Path, site: str) -> Path:
    temp = "\n".join(f"    {kind}_temp_path {work / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                          "scgi"))
    conf = work / "nginx.conf"
    conf.write_text(f"""{'user root;' if os.geteuid() == 0 else ''}
worker_processes 1;
pid {work / 'nginx.pid'};
error_log {work / 'error.log'} warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log {work / 'access.log'};
{temp}
{site}
}}
""")
    return conf


@dataclass
class Proxied:
    base: str
    http_base: str
    cert: Path
    app_log: Path

    def session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the test's certificate
        session.verify = str(self.cert)
        return session


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    _require_tools()
    work = tmp_path_factory.mktemp("nginx")
    app_port, http_port, https_port = _free_port(), _free_port(), _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VANGUARD_ENV": "production", "VANGUARD_SECRET_KEY": "p" * 64,
           "VANGUARD_DATABASE_URL": f"sqlite:///{work / 'instance' / 'vanguard.db'}",
           "VANGUARD_INSTANCE_DIR": str(work / "instance"), "VANGUARD_STATIC_DIST": str(work / "static-dist"),
           "VANGUARD_TRUSTED_PROXIES": "127.0.0.1", "VANGUARD_SCHEDULER": "embedded",
           "VANGUARD_ADMIN_PASSWORD": PASSWORD}
    for name in ("VANGUARD_DEMO", "VANGUARD_CLOCK_CONTROL", "VANGUARD_PROXY_HOPS", "VANGUARD_TLS"):
        env.pop(name, None)
    python = [sys.executable, "-m", "server"]
    for step in (["upgrade"], ["create-admin", "zuzhibu", "--unit-code", "qw", "--unit-name", "某某区委"]):
        subprocess.run(python + step, cwd=ROOT, env=env, check=True, capture_output=True)
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    app_log = work / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with app_log.open("wb") as out:
        app = subprocess.Popen([str(gunicorn), "--workers", "1", "--threads", "4", "--bind", f"127.0.0.1:{app_port}",
                                "--no-control-socket", "server.wsgi:app"],
                               cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    nginx_log = work / "nginx.out"
    try:
        _wait_healthy(app_port, app, app_log)
        conf = _nginx_conf(work, site_config(app_port, http_port, https_port, cert, key))
        checked = subprocess.run([str(NGINX), "-t", "-p", str(work), "-c", str(conf)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        with nginx_log.open("wb") as out:
            nginx = subprocess.Popen([str(NGINX), "-p", str(work), "-c", str(conf), "-g", "daemon off;"],
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_for(https_port, nginx, nginx_log)
            yield Proxied(f"https://localhost:{https_port}", f"http://localhost:{http_port}", cert, app_log)
        finally:
            _stop(nginx)
    finally:
        _stop(app)


def test_plain_http_is_sent_to_https(proxied):
    res = requests.get(proxied.http_base + "/login?next=/", allow_redirects=False, timeout=10)
    assert res.status_code == 301 and res.headers["Location"] == "https://localhost/login?next=/"


def test_logging_in_through_the_proxy_sets_secure_cookies_and_redirects_stay_https(proxied):
    browser = proxied.session()
    first = browser.get(proxied.base + "/", allow_redirects=False, timeout=10)
    assert first.status_code == 302
    assert first.headers["Location"].startswith(("/login", proxied.base + "/login")), first.headers["Location"]
    page = browser.get(proxied.base + "/login", timeout=10)
    assert page.status_code == 200 and "Strict-Transport-Security" in page.headers
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page.text)
    form = {"username": "zuzhibu", "password": PASSWORD, **({"csrf_token": token.group(1)} if token else {})}
    res = browser.post(proxied.base + "/login", data=form, allow_redirects=False, timeout=30)
    assert res.status_code == 302, res.text[:500]
    location = res.headers["Location"]
    assert location.startswith(("/", proxied.base)) and not location.startswith("http:"), location
    cookies = res.raw.headers.getlist("Set-Cookie")
    session_cookie = [c for c in cookies if c.startswith("session=")]
    assert session_cookie and all("Secure" in c and "HttpOnly" in c for c in session_cookie), cookies
    inbox = browser.get(proxied.base + location if location.startswith("/") else location, timeout=10)
    assert inbox.status_code == 200 and inbox.url.startswith(proxied.base)

    api = proxied.session()
    res = api.post(proxied.base + "/api/session", json={"username": "zuzhibu", "password": PASSWORD}, timeout=30)
    assert res.status_code == 200, res.text
    assert all("Secure" in c for c in res.raw.headers.getlist("Set-Cookie"))
    me = api.get(proxied.base + "/api/me", timeout=10)
    assert me.status_code == 200 and me.json()["username"] == "zuzhibu"
    assert api.get(proxied.base + "/api/tasks?scope=mine&q=王伟", timeout=10).status_code == 200
    lines = [json.loads(line) for line in proxied.app_log.read_text().splitlines() if line.startswith("{")]
    requests_logged = [line for line in lines if line["logger"] == "vanguard.request"]
    assert any(line["route"] == "/api/tasks" and line["user_id"] for line in requests_logged), requests_logged[-5:]
    assert "王伟" not in proxied.app_log.read_text()
    assert any("mode=production" in line["message"] and "trusted_proxies=127.0.0.1" in line["message"]
               for line in lines)


def test_static_files_come_compressed_with_long_cache_headers(proxied):
    page = proxied.session().get(proxied.base + "/login", timeout=10)
    css = re.search(r'href="(/static/[^"]+\.[0-9a-f]{8,}\.css)"', page.text) or \
        re.search(r'href="(/static/[^"]+\.css)"', page.text)
    assert css, page.text[:1000]
    res = proxied.session().get(proxied.base + css.group(1), headers={"Accept-Encoding": "br, gzip"}, timeout=10)
    assert res.status_code == 200
    assert res.headers["Content-Encoding"] in ("br", "gzip")
    assert "max-age=315360000" in res.headers["Cache-Control"] and "immutable" in res.headers["Cache-Control"]


def test_health_and_readiness_through_the_proxy(proxied):
    browser = proxied.session()
    assert browser.get(proxied.base + "/healthz", timeout=10).json() == {"status": "ok"}
    deadline = time.monotonic() + 20
    ready = browser.get(proxied.base + "/readyz", timeout=10)
    while ready.status_code != 200 and time.monotonic() < deadline:  # the embedded scheduler's first beat
        time.sleep(0.5)
        ready = browser.get(proxied.base + "/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    metrics = browser.get(proxied.base + "/metrics", timeout=10)  # allowed from this machine
    assert metrics.status_code == 200 and "vanguard_open_tasks" in metrics.text


def test_a_large_upload_gets_a_clean_413(proxied):
    browser = proxied.session()
    page = browser.post(proxied.base + "/login", data={"username": "x" * (9 * MIB)}, timeout=60)
    assert page.status_code == 413 and 'id="error-page"' in page.text  # the app's page, in Chinese
    api = browser.post(proxied.base + "/api/session", data=b"{" + b" " * (9 * MIB) + b"}",
                       headers={"Content-Type": "application/json"}, timeout=60)
    assert api.status_code == 413 and api.json()["error"] == "too_large"
    huge = browser.post(proxied.base + "/api/session", data=b"{" + b" " * (17 * MIB) + b"}",
                        headers={"Content-Type": "application/json"}, timeout=60)
    assert huge.status_code == 413 and huge.json()["error"] == "too_large"  # nginx's own, the same JSON
