"""The notifications table: messages to one person, in the app and by e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database import Base, UTCDateTime, utcnow
from server.org.models import Person


class Notification(Base):
    """A message to one person (an overdue task, an escalation), read in the app or by e-mail.

    ``job_id`` is the firing that wrote it: one notification per person per firing
    (unique), however often a crashed firing is retried. ``email_state``: ``None`` (no
    e-mail wanted or possible), ``pending``, ``sent`` or ``failed``.
    """

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_person_read", "person_id", "read_at"),
        Index("ix_notification_email_state", "email_state"),
        UniqueConstraint("job_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[int | None] = mapped_column(Integer)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("timer_job.id"))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_state: Mapped[str | None] = mapped_column(String(16))
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()
