"""The key that every session and remember-me cookie of a person carries.

Flask-Login keeps in the signed cookie whatever ``User.get_id`` returns; here that is
``"<person id>.<session key>"``. The loader (``server.auth``) accepts a cookie only while
its key is the person's current ``session_key``; drawing a new key therefore ends every
session of the person at once, the year-long remember-me cookie included, without a
table of sessions to keep or sweep.
"""

from __future__ import annotations

import hmac
import secrets

from server.org.models import Person


def new_key(person: Person) -> str:
    """Draw a new key for ``person``: every cookie carrying the old one stops working."""
    person.session_key = secrets.token_urlsafe(24)
    return person.session_key


def cookie_id(person_id: int, key: str) -> str:
    return f"{person_id}.{key}"


def parse_cookie_id(value: str) -> tuple[int, str] | None:
    """(person id, key) from a cookie's id, or None for anything else (an id from before 0009)."""
    person_id, dot, key = value.partition(".")
    if not dot or not key or not person_id.isascii() or not person_id.isdigit() or len(person_id) > 10:
        return None
    return int(person_id), key


def carries_current_key(person: Person, key: str) -> bool:
    return person.session_key is not None and hmac.compare_digest(person.session_key, key)
