"""Headless Chromium against a real threaded server around the test ``app``.

* ``browser``: one Chromium per test session (per xdist worker), launched from
  ``/usr/bin/chromium`` without ``playwright install``. Missing Chromium skips
  the browser tests, unless ``CI=true``: then it is a failure.
* ``live_server``: the base URL of ``tests.livehttp.serve(app)``; ``app`` is the
  usual fixture, so every browser test runs on SQLite and on PostgreSQL.
* ``page_as(username)``: a fresh browser context logged in through the /login
  form. Uncaught page errors fail the test at teardown.
* ``api_as(username)``: a ``livehttp.Client`` logged in to the same server.
* ``shot(page, name)``: a full-page screenshot in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.livehttp import Client, serve

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("VANGUARD_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (make browser) to run the browser tests"
        if IN_CI:
            pytest.fail(message + " (CI=true)")
        pytest.skip(message)
    if not (ROOT / "static" / "vendor" / "bpmn-js").is_dir():
        message = "static/vendor is missing: run `bash scripts/vendor-assets.sh` (make node)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log in test output
    with serve(app) as base:
        yield base


def _db_label(request: pytest.FixtureRequest) -> str:
    match = re.search(r"\[(sqlite|postgresql)", request.node.name)
    return match.group(1) if match else "db"


_KEEP = """() => {
  const focused = document.activeElement && document.activeElement !== document.body ? document.activeElement : null;
  window.__vgShotFocus = focused;
  if (focused) focused.blur();
  return [window.scrollX, window.scrollY];
}"""
_RESTORE = """([x, y]) => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => {
  window.scrollTo(x, y);
  if (window.__vgShotFocus) window.__vgShotFocus.focus({ preventScroll: true });
  window.__vgShotFocus = null;
  done();
})))"""


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``shot(page, "inbox-m1")`` → test-artifacts/screenshots/inbox-m1-sqlite.png"""
    label = _db_label(request)

    def take(page: Any, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{label}.png"
        if not full_page:
            page.screenshot(path=str(path))
            return path
        # A full-page screenshot stretches the viewport to the page's height and back. Chromium
        # then scrolls the focused field into view, a frame or two later, after the page was left
        # at the bottom: a click computed in between lands beside its target (on a phone, the
        # submit button's click arrived on the form). The page is left as it was found instead.
        kept = page.evaluate(_KEEP)
        page.screenshot(path=str(path), full_page=True)
        page.evaluate(_RESTORE, kept)
        return path

    return take


@pytest.fixture
def page_as(browser: Any, live_server: str) -> Iterator[Callable[..., Any]]:
    """``page_as("m1")`` logs in through the /login form and returns the page on the inbox."""
    contexts: list[Any] = []
    errors: list[str] = []
    dialogs: list[str] = []

    def open_page(username: str, *, password: str = "demo", viewport: dict[str, int] | None = None,
                  locale: str | None = None) -> Any:
        # Playwright evaluates string predicates (wait_for_function) with eval, which the pages'
        # content security policy forbids; test_accounts.py checks the policy without this bypass.
        context = browser.new_context(viewport=viewport or DESKTOP, locale="zh-CN", base_url=live_server,
                                      bypass_csp=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        if locale:
            context.add_cookies([{"name": "vanguard_locale", "value": locale, "url": live_server}])
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{username}: {exc}"))
        # alert/confirm/beforeunload: accepted, and kept for assertions (page_as.dialogs)
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", password)
        with page.expect_navigation():
            page.click("form.login button[type=submit]")
        assert not page.url.endswith("/login"), f"login as {username} failed"
        return page

    open_page.dialogs = dialogs  # type: ignore[attr-defined]
    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def api_as(live_server: str) -> Callable[[str], Client]:
    cache: dict[str, Client] = {}

    def get(username: str) -> Client:
        if username not in cache:
            cache[username] = Client(live_server).login(username)
        return cache[username]

    return get
