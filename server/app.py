"""The Flask application factory: what the web app is made of, in one list."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from server import api
from server.auth import init_login, too_many
from server.bootstrap import bootstrap
from server.config import ROOT, Settings
from server.extensions import babel, csrf, limiter, login_manager
from server.hardening import StrictJSONProvider, StrictRequest, TrustedProxies, header_values, security_headers
from server.ops import telemetry
from server.ops import upgrade as ops_upgrade
from server.ops.version import release
from server.startup import on_start, start_background, use_launch_runner
from server.web import assets, web_bp
from server.web.health import health_bp

log = logging.getLogger("vanguard")

LOCALES = ("zh_Hans_CN", "en")
TRANSLATIONS = ROOT / "translations"
REMEMBER_FOR = timedelta(days=30)
"""A remembered login lasts a month (Flask-Login's default is a year); it ends earlier with
every session of the person (server.accounts.sessions)."""


def compile_translations() -> None:
    """Compile the .po catalogues the first time (and after they change); .mo files are not kept in git."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        tmp = mo.with_suffix(f".mo.{os.getpid()}.tmp")
        with tmp.open("wb") as out:
            write_mo(out, catalog)
        tmp.replace(mo)


def _select_locale() -> str:
    if current_user and getattr(current_user, "is_authenticated", False):
        return str(current_user.locale)
    cookie = request.cookies.get("vanguard_locale")
    if cookie in LOCALES:
        return cookie
    return request.accept_languages.best_match(["zh", "en"], default="zh") == "en" and "en" or "zh_Hans_CN"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = Settings.from_env()
    overrides = dict(config or {})
    for key in list(overrides):
        if hasattr(settings, key):
            setattr(settings, key, overrides.pop(key))
    app = Flask(__name__, instance_path=str(settings.instance_dir), static_folder="../static",
                static_url_path="/static")
    if settings.trusted_proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies,  # type: ignore[method-assign]
                                      max(settings.proxy_hops, 1))
    elif settings.proxy_hops:  # development only (Settings.check)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops,  # type: ignore[method-assign]
                                x_proto=settings.proxy_hops, x_host=settings.proxy_hops)
    app.json = StrictJSONProvider(app)
    app.request_class = StrictRequest
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.tls,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.tls,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_DURATION=REMEMBER_FOR,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        RATELIMIT_STORAGE_URI=settings.limiter_storage(),
        RATELIMIT_KEY_PREFIX="vanguard-login",
        RATELIMIT_ON_BREACH_CALLBACK=too_many,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,  # Redis down: count in this process rather than refuse logins
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        JSON_AS_ASCII=False,
        VANGUARD=settings,
    )
    app.config.update(overrides)
    if settings.production:  # no debugger, no tracebacks in pages, whatever FLASK_DEBUG says
        app.debug = False
        app.config.update(DEBUG=False, PROPAGATE_EXCEPTIONS=False)

    compile_translations()
    bootstrap(settings)
    login_manager.init_app(app)
    limiter.init_app(app)
    security_headers(app, tls=settings.tls)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    init_login(login_manager)
    api.register(app)
    app.register_blueprint(web_bp)
    app.register_blueprint(health_bp)
    telemetry.install(app)
    assets.install(app, settings.static_dist, headers=header_values(tls=settings.tls))
    ops_upgrade.register(app)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    use_launch_runner(settings)
    if app.config.get("VANGUARD_STARTUP", True):
        log.info("Vanguard %s starting: %s", release(), settings.summary())
        on_start(app, settings)
        start_background(settings)
    return app
