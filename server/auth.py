"""Login sessions (flask-login) and password hashing."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_login import LoginManager, UserMixin
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from server.errors import DomainError
from server.org.models import Person
from server.requests import db_session


class Unauthorized(DomainError):
    code = "unauthorized"


class User(UserMixin):
    """The logged-in person as flask-login sees it; a plain value, not an ORM row."""

    def __init__(self, person: Person):
        self.person_id = person.id
        self.username = person.username
        self.display_name = person.display_name
        self.locale = person.locale

    def get_id(self) -> str:
        return str(self.person_id)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="pbkdf2:sha256:100000")


def authenticate(session: Session, username: str, password: str) -> Person:
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None or not person.active or not check_password_hash(person.password_hash, password):
        raise Unauthorized("wrong username or password")
    return person


def init_login(manager: LoginManager) -> None:
    manager.login_view = "web.login"

    @manager.user_loader
    def _load(user_id: str) -> Any:
        person = db_session().get(Person, int(user_id))
        if person is None or not person.active:
            return None
        g.login_person = person  # held for ``server.requests.me``: sessions keep rows only weakly
        return User(person)
