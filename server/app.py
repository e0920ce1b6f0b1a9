"""Vanguard: the Flask application factory."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, g, request
from flask_login import current_user

from server.config import ROOT, Settings
from server.database import db
from server.extensions import babel, csrf, login_manager

log = logging.getLogger("vanguard")

LOCALES = ("zh_Hans_CN", "en")
TRANSLATIONS = ROOT / "translations"


def _compile_translations() -> None:
    """Compile the .po catalogues the first time (and after they change); .mo files are not kept in git."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

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
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        JSON_AS_ASCII=False,
        VANGUARD=settings,
    )
    app.config.update(overrides)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]  # forms keep their authored field order

    _compile_translations()
    db.init(settings.database_url)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    from flask_babel import get_locale

    app.jinja_env.globals["get_locale"] = get_locale

    from server import api, auth, cli
    from server.web import web_bp

    auth.init_login(login_manager)
    api.register(app)
    app.register_blueprint(web_bp)
    cli.register(app)
    from server.workflow import scheduler  # noqa: F401 - timers registers its save hook

    scheduler.configure(settings)
    if os.environ.get("VANGUARD_BENCH_FLOOR") == "1":
        # Benchmark-only endpoints (the floor and the naive baseline), never on otherwise: docs/benchmarks.md.
        from bench.floor import floor_bp

        app.register_blueprint(floor_bp)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    if app.config.get("VANGUARD_STARTUP", True):
        from server.startup import on_start, start_background

        on_start(app, settings)
        start_background(settings)
    return app
