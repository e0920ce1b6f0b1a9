"""What every request and response goes through: strict JSON, size limits, security headers.

* **JSON in** (``StrictJSONProvider``): ``NaN``, ``Infinity`` and numbers that overflow to
  infinity are not JSON (RFC 8259) and would break every page that later shows them;
  integers beyond ±(2^53 − 1) lose their value in a browser (I-JSON, RFC 7493); nesting
  deeper than ``MAX_DEPTH`` is a way to exhaust the stack, not data; a lone surrogate
  (``"\\ud800"``) is not text and cannot be stored in PostgreSQL. Each is refused as
  ``ValueError`` naming where it is, which ``server.api`` answers with 400.
* **Sizes**: ``MAX_CONTENT_LENGTH`` (``Settings.max_request_bytes``) for every request (a
  BPMN upload), and ``JSON_LIMIT`` for a JSON body (set per request by the API's guard).
* **Headers** (``security_headers``): a content security policy, frame denial, ``nosniff``, a
  referrer policy, ``no-store`` on everything but static files, and HSTS when served over TLS.
  A small ``after_request`` rather than flask-talisman: the headers are fixed strings, and
  talisman's other duties (forcing HTTPS, cookie flags) belong to the TLS proxy and to
  ``Settings.tls`` here, so we would mostly be switching it off (docs/security.md).
* **Proxies** (``TrustedProxies``): ``X-Forwarded-For``/``-Proto``/``-Host`` are read (werkzeug's
  ``ProxyFix``) only on a connection from a configured proxy; from anyone else they are
  ignored, so a client cannot choose the address the login throttle counts or fake https.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Iterable
from typing import Any

from flask import Flask, Request, Response, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

from server.config import ConfigError

MAX_DEPTH = 32
"""Objects and arrays inside each other; our forms use four or five."""
MAX_SAFE_INTEGER = 2**53 - 1
JSON_LIMIT = 2 * 1024 * 1024
"""A JSON request body (a bulk completion of a few hundred tasks fits); uploads use the global limit."""

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # bpmn-js, the properties panel and echarts set style attributes on the elements they draw
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number: send a finite number or null")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large for a number: send a finite number")
    return value


def _where(path: list[str]) -> str:
    return ".".join(path) if path else "the body"


def check_value(value: Any) -> None:
    """Raise ``ValueError`` for a value nested too deeply, a lone surrogate or an unsafe integer.

    Iterative, so that checking does not itself exhaust the stack.
    """
    stack: list[tuple[Any, list[str]]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise ValueError(f"{_where(path[:3])}…: nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, path)
                stack.append((child, [*path, key]))
        elif isinstance(item, list):
            stack.extend((child, [*path, str(index)]) for index, child in enumerate(item))
        elif isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_SAFE_INTEGER:
            raise ValueError(f"{_where(path)}: integer out of range (at most ±{MAX_SAFE_INTEGER})")


def _check_text(text: str, path: list[str]) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{_where(path)}: contains a lone surrogate (\\ud800–\\udfff), which is not text") from None


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing what is not interoperable JSON (see the module's docstring)."""

    ensure_ascii = False  # Chinese stays readable
    sort_keys = False  # forms keep their authored field order

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(s, parse_constant=_refuse_constant, parse_float=_finite, **kwargs)
        except RecursionError:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
        check_value(value)
        return value


class StrictRequest(Request):
    """A request whose JSON errors say what is wrong (Flask says so only in debug mode)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        raise BadRequest(f"Failed to decode JSON object: {e}" if e is not None else None)


DRAIN_LIMIT = 64 * 1024 * 1024
"""Largest refused body still read to its end before the 413 (the proxy allows 16 MiB)."""


def drain_refused_body(environ: dict[str, Any]) -> None:
    """Read and drop a refused request's body before answering 413.

    Answered while a reverse proxy is still sending, the 413 is lost: gunicorn closes the
    connection on the unread body and nginx reports 502 instead. A body of a declared length up
    to ``DRAIN_LIMIT`` is therefore read to its end (a few milliseconds on the proxy's local
    connection); a larger or undeclared one is left, and the connection closed, as before.
    """
    try:
        remaining = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    stream = environ.get("wsgi.input")
    if stream is None or not 0 < remaining <= DRAIN_LIMIT:
        return
    while remaining > 0:
        chunk = stream.read(min(remaining, 64 * 1024))
        if not chunk:
            return
        remaining -= len(chunk)


def header_values(*, tls: bool) -> dict[str, str]:
    """The security headers of every response (HSTS only behind TLS)."""
    return {**HEADERS, "Strict-Transport-Security": HSTS} if tls else dict(HEADERS)


def security_headers(app: Flask, *, tls: bool) -> None:
    """Every response Flask makes, pages, API and errors alike, carries ``header_values``.

    Static files never reach Flask (WhiteNoise answers them first): ``server.web.assets``
    gives them the same values.
    """
    values = header_values(tls=tls)

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in values.items():
            response.headers.setdefault(name, value)
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(proxies: Iterable[str]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)
    except ValueError as exc:
        raise ConfigError(f"VANGUARD_TRUSTED_PROXIES: {exc}") from None


class TrustedProxies:
    """WSGI middleware: ``ProxyFix`` for requests whose peer is a trusted proxy, nothing for others."""

    def __init__(self, app: Any, proxies: Iterable[str], hops: int) -> None:
        self.direct = app
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops)
        self.networks = _networks(proxies)

    def trusted(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.direct(environ, start_response)
