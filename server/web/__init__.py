"""The pages: one ``web`` blueprint (``server.web.shell``) whose routes live in a module per area."""

from __future__ import annotations

from server.web import accounts, activities, designer, org, pages, talks
from server.web.shell import web_bp

__all__ = ["web_bp", "accounts", "activities", "designer", "org", "pages", "talks"]
