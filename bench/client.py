"""A small keep-alive HTTP client that keeps the session cookie.

One ``Client`` is one person in one browser tab: one TCP connection reused
for every request (gunicorn's threaded worker keeps it open; a sync worker
closes it and the client reconnects), so the timings are the server's and not
the cost of opening connections.
"""

from __future__ import annotations

import http.client
import json
import time
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit


class HTTPFailure(Exception):
    def __init__(self, method: str, path: str, status: int, body: Any):
        super().__init__(f"{method} {path} -> {status}: {str(body)[:300]}")
        self.status = status
        self.body = body


class Client:
    def __init__(self, base: str, timeout: float = 120.0):
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
             extra: dict[str, str] | None = None) -> tuple[int, Any]:
        """``body`` as JSON, or ``raw`` bytes with the headers in ``extra`` (a multipart upload)."""
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json", **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=data, headers=headers)
                res = conn.getresponse()
                raw = res.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                # The server closed a kept-alive connection between two requests: reconnect once.
                self.close()
                if attempt == 2:
                    raise
        for header in res.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value
        if res.will_close:
            self.close()
        ctype = res.headers.get("Content-Type", "")
        payload: Any = json.loads(raw) if raw and "json" in ctype else raw.decode("utf-8", "replace")
        return res.status, payload

    def ok(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201, 202)) -> Any:
        status, payload = self.call(method, path, body)
        if status not in expect:
            raise HTTPFailure(method, path, status, payload)
        return payload

    def timed(self, method: str, path: str, body: Any = None) -> tuple[float, int, Any]:
        """(seconds, status, body) of one request."""
        start = time.perf_counter()
        status, payload = self.call(method, path, body)
        return time.perf_counter() - start, status, payload

    def timed_upload(self, path: str, content: bytes, fields: dict[str, str]) -> tuple[float, int, Any]:
        """(seconds, status, body) of a multipart POST of one file (``file``) and form fields, with the
        CSRF header a non-JSON POST needs."""
        token = self.ok("GET", "/api/me")["csrf_token"]
        boundary = "vanguard-bench-boundary"
        head = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                       for k, v in fields.items())
        head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.xlsx\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n")
        data = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
        start = time.perf_counter()
        status, payload = self.call("POST", path, raw=data, extra={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": token})
        return time.perf_counter() - start, status, payload

    def login(self, username: str, password: str) -> Client:
        self.ok("POST", "/api/session", {"username": username, "password": password})
        return self
