"""The Flask application factory: what the web app is made of, in one list."""

from __future__ import annotations

import logging
import os
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request
from flask_babel import get_locale
from flask_login import current_user

from server import api
from server.auth import init_login
from server.bootstrap import bootstrap
from server.config import ROOT, Settings
from server.extensions import babel, csrf, login_manager
from server.ops import upgrade as ops_upgrade
from server.startup import on_start, start_background
from server.web import assets, web_bp

log = logging.getLogger("vanguard")

LOCALES = ("zh_Hans_CN", "en")
TRANSLATIONS = ROOT / "translations"


def _compile_translations() -> None:
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
    bootstrap(settings)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    init_login(login_manager)
    api.register(app)
    app.register_blueprint(web_bp)
    assets.install(app, settings.static_dist)
    ops_upgrade.register(app)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    if app.config.get("VANGUARD_STARTUP", True):
        on_start(app, settings)
        start_background(settings)
    return app
