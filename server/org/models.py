"""Tables of the organisation: units, people and the positions they hold."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database import Base, UTCDateTime, utcnow

UNIT_TYPES = ("district", "party_committee", "general_branch", "branch", "party_group")
ROLES = (
    "member",
    "activist",
    "development_candidate",
    "secretary",
    "deputy_secretary",
    "committee_member",
    "group_leader",
    "contact",
    "org_admin",
    "masses_rep",
    "designer",
    "development_target",
)
"""``activist``: 入党积极分子; ``development_target``: 发展对象 (both talk subjects, seed 001 annex 4)."""


class OrgUnit(Base):
    """A node of the organisation tree.

    ``path`` is the materialised path of ids (``/1/4/9/``) so that a subtree is
    one indexed prefix query, whatever its depth.
    """

    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    path: Mapped[str] = mapped_column(String(512), index=True, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A unit is never deleted: dissolving or merging it stamps it (migration 0014, server.orgadmin).
    dissolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], foreign_keys=[parent_id])

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this unit, itself included."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (
        # The few inactive people, found without reading every person (the quota view's roll-up,
        # server.activities.rollup; migration 0020).
        Index("ix_person_inactive", "id", postgresql_where=text("active = false"), sqlite_where=text("active = 0")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(16), default="zh_Hans_CN")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The account (server.accounts): every cookie of the person carries ``session_key``;
    # drawing a new one ends all of them (migration 0009).
    session_key: Mapped[str | None] = mapped_column(String(64))
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    positions: Mapped[list[Position]] = relationship(back_populates="person")


class Position(Base):
    """A person holding a role in an org unit, from ``start`` until ``end`` (open if null)."""

    __tablename__ = "position"
    __table_args__ = (
        Index("ix_position_unit_role", "org_unit_id", "role"),
        # Positions that ended or start later (server.activities.rollup; migration 0020).
        Index("ix_position_end", "end"),
        Index("ix_position_start", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    role: Mapped[str] = mapped_column(String(32))
    start: Mapped[date | None]
    end: Mapped[date | None]

    person: Mapped[Person] = relationship(back_populates="positions")
    org_unit: Mapped[OrgUnit] = relationship()


class MemberContact(Base):
    """联系党员: a committee member or group leader of a branch looks after a member, a
    development target or an activist of it (seed 001 annex 4: "支委委员和党小组长每半年与所联系的
    党员、发展对象和入党积极分子至少有1次专门面谈"). Kept by the branch's secretary (migration 0016)."""

    __tablename__ = "member_contact"
    __table_args__ = (UniqueConstraint("org_unit_id", "member_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contact: Mapped[Person] = relationship(foreign_keys=[contact_id])
    member: Mapped[Person] = relationship(foreign_keys=[member_id])
