"""Password hashing, the rules for a new password, and temporary passwords.

Hashing uses werkzeug's PBKDF2 (100,000 rounds of SHA-256): a check costs tens of
milliseconds, which is the point. ``verify_or_waste`` spends the same time when there is
no account to check against, so that a wrong username answers as slowly as a wrong
password and the timing does not tell which usernames exist.

The rules follow NIST SP 800-63B rather than composition rules: long enough, not the
username, not a password that is known to be common. "Common" is zxcvbn's list of the
30,000 most frequent leaked passwords (which holds the usual Chinese ones: 123456,
woaini, 5201314, qq123456 ...) and its estimate of how guessable the password is
(sequences, repeats, keyboard walks, dates, the person's own names).
"""

from __future__ import annotations

import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

METHOD = "pbkdf2:sha256:100000"
MIN_LENGTH = 8
MAX_LENGTH = 128
"""Long enough for a passphrase; short enough that hashing it costs what hashing any costs."""
MIN_SCORE = 2
"""zxcvbn's 0–4 scale: 2 is "somewhat guessable" (about 10^8 guesses), enough behind the
login throttle (server.auth) and the PBKDF2 cost."""
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/l/I: a temporary password is read out or copied by hand."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=METHOD)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash, the same work is done and False returned."""
    if not password_hash:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(password_hash, password)


@cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def problems(password: str, *, username: str, names: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with ``password`` as a new password for ``username`` (empty: nothing)."""
    if len(password) < MIN_LENGTH:
        return [f"at least {MIN_LENGTH} characters"]
    if len(password) > MAX_LENGTH:
        return [f"at most {MAX_LENGTH} characters"]
    lowered = password.lower()
    if username and username.lower() in lowered:
        return ["must not contain the username"]
    if lowered in _common():
        return ["is one of the most common passwords"]
    if zxcvbn(password, user_inputs=[username, *names])["score"] < MIN_SCORE:
        return ["is too easy to guess (a sequence, a repetition, a date or a name)"]
    return []


def temporary(length: int = 12) -> str:
    """A random password that meets the rules, for an administrator's reset."""
    while True:
        candidate = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(length))
        if not problems(candidate, username=""):
            return candidate
