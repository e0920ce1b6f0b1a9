"""The account use cases, each one transaction (``server.requests.write``), each audited.

Who did it (``actor``), what (``action``, ``details.person``), when (``at``) and why
(``details.reason``: required of an administrator) land in the append-only audit trail.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit, clock
from server.accounts import passwords, sessions
from server.accounts.people import managed_person
from server.errors import Forbidden, Invalid, Unauthorized
from server.org.models import Person

MAX_REASON = 500
WRONG = "wrong username or password"


def check_credentials(session: Session, username: str, password: str) -> Person:
    """The person these credentials open, or ``Unauthorized``: costs the same whoever asks.

    A locked account is told so only to someone who knows its password.
    """
    person = session.scalar(select(Person).where(Person.username == username)) if username else None
    if not passwords.verify(person.password_hash if person else None, password) or person is None \
            or not person.active:
        raise Unauthorized(WRONG)
    if person.locked_at is not None:
        raise Forbidden("this account is locked by an administrator; ask your organisation department",
                        [{"field": "username", "message": "locked"}])
    return person


def start_session(session: Session, person_id: int) -> Person:
    """After ``check_credentials``: the person with a session key (drawn on first login), audited.

    The row is locked and read afresh: two first logins at once (a phone and a desktop) would
    otherwise each draw a key, and the one committed last would end the other's session.
    """
    person = session.get(Person, person_id, with_for_update=True, populate_existing=True)
    if person is None or not person.active or person.locked_at is not None:
        raise Unauthorized(WRONG)
    if person.session_key is None:
        sessions.new_key(person)
    audit.record(session, "account.login", actor=person, person=person.username)
    return person


def log_out(session: Session, person: Person) -> None:
    """Logging out ends every session of the person, on every device (issue 14 item 3)."""
    sessions.new_key(person)
    audit.record(session, "account.logout", actor=person, person=person.username)


def _new_password_problems(person: Person, new: str) -> list[dict[str, Any]]:
    found = passwords.problems(new, username=person.username, names=(person.display_name,))
    return [{"field": "new", "message": message} for message in found]


def change_password(session: Session, person: Person, old: str, new: str) -> Person:
    """My own password: the old one proven, the new one within the rules; every session ends
    (the caller logs the current one in again with the new key)."""
    if not passwords.verify(person.password_hash, old):
        raise Invalid("the current password is wrong", [{"field": "old", "message": "wrong password"}])
    problems = _new_password_problems(person, new)
    if new == old:
        problems.append({"field": "new", "message": "must differ from the current password"})
    if problems:
        raise Invalid("the new password is not allowed: " + "; ".join(p["message"] for p in problems), problems)
    person.password_hash = passwords.hash_password(new)
    person.must_change_password = False
    person.password_changed_at = clock.now()
    sessions.new_key(person)
    audit.record(session, "account.password_changed", actor=person, person=person.username)
    return person


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise Invalid("say why (reason): it goes into the audit trail", [{"field": "reason", "message": "required"}])
    if len(text) > MAX_REASON:
        raise Invalid(f"the reason is longer than {MAX_REASON} characters",
                      [{"field": "reason", "message": f"at most {MAX_REASON} characters"}])
    return text


def _not_myself(admin: Person, username: str, what: str) -> None:
    if admin.username == username:
        raise Invalid(f"you cannot {what} your own account", [{"field": "username", "message": "yourself"}])


def reset_password(session: Session, admin: Person, username: str, reason: str | None) -> dict[str, Any]:
    """A temporary password, shown once to the administrator; the person must choose a new one
    at her next login, and every session she has ends now."""
    _not_myself(admin, username, "reset the password of (change it instead)")
    person = managed_person(session, admin, username)
    why = _reason(reason)
    temporary = passwords.temporary()
    person.password_hash = passwords.hash_password(temporary)
    person.must_change_password = True
    person.password_changed_at = clock.now()
    sessions.new_key(person)
    audit.record(session, "account.password_reset", actor=admin, person=person.username, reason=why)
    return {"username": person.username, "temporary_password": temporary, "must_change_password": True}


def lock(session: Session, admin: Person, username: str, reason: str | None) -> dict[str, Any]:
    """The person can no longer log in; every session she has ends now."""
    _not_myself(admin, username, "lock")
    person = managed_person(session, admin, username)
    why = _reason(reason)
    if person.locked_at is None:
        person.locked_at = clock.now()
        sessions.new_key(person)
        audit.record(session, "account.locked", actor=admin, person=person.username, reason=why)
    return {"username": person.username, "locked": True}


def unlock(session: Session, admin: Person, username: str, reason: str | None) -> dict[str, Any]:
    person = managed_person(session, admin, username)
    why = _reason(reason)
    if person.locked_at is not None:
        person.locked_at = None
        audit.record(session, "account.unlocked", actor=admin, person=person.username, reason=why)
    return {"username": person.username, "locked": False}


def log_out_everywhere(session: Session, admin: Person, username: str, reason: str | None) -> dict[str, Any]:
    """Every session of the person ends now (a lost phone, a shared computer)."""
    person = managed_person(session, admin, username)
    why = _reason(reason)
    sessions.new_key(person)
    audit.record(session, "account.logged_out_everywhere", actor=admin, person=person.username, reason=why)
    return {"username": person.username, "sessions_ended": True}


def load_for_cookie(session: Session, cookie_id: str) -> Person | None:
    """The person a session or remember-me cookie stands for, while it is still valid."""
    parsed = sessions.parse_cookie_id(cookie_id)
    if parsed is None or parsed[0] >= 2**31:
        return None
    person = session.get(Person, parsed[0])
    if person is None or not person.active or person.locked_at is not None \
            or not sessions.carries_current_key(person, parsed[1]):
        return None
    return person

