"""The ``attachment`` table: one row per uploaded file, the bytes in ``storage``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.database import Base, UTCDateTime, utcnow


class Attachment(Base):
    """An uploaded photo or document.

    ``id`` is a random token (128 bits, URL-safe): it is the file's name in the uploads folder
    and its address in the API, so an address cannot be guessed from another one. ``name`` is
    what the uploader's file was called, cleaned for display; it never becomes a path.
    ``owner_kind``/``owner_id`` say what it is attached to (``activity_record``,
    ``themed_report``); null until the record that uses it is saved.
    """

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_owner", "owner_kind", "owner_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None]
    height: Mapped[int | None]
    has_thumbnail: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    owner_kind: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[int | None]
