"""Flask extensions, created unbound here and bound to the app by ``server.app.create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=False)
"""Only the login routes carry limits (``server.auth``); storage from ``Settings.rate_limit_storage``."""
