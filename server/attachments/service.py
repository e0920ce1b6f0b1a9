"""Upload, claim and read attachments.

Who may read one is not decided here: ``open_for`` asks the rule of what it is attached to
(``AccessRule`` by ``owner_kind``, given by ``server/bridges/attachment_access.py``). An
attachment not yet attached to anything is visible to its uploader only. Whoever may not see
it gets 404, the same answer as for an id that does not exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import clock
from server.attachments import checks, images, storage
from server.attachments.models import Attachment
from server.errors import Invalid, NotFound
from server.org.models import Person

AccessRule = Callable[[Session, Person, int], bool]
"""May this person see the thing (by id) an attachment is attached to?"""
MAX_PER_RECORD = 12


def upload(session: Session, person: Person, data: bytes, filename: str | None) -> Attachment:
    """Check ``data`` by its content, re-encode an image, store it; the row (unattached)."""
    limit = storage.max_bytes()
    if len(data) > limit:
        raise checks.refuse(f"the file is larger than {limit // (1024 * 1024)} MB", "too large")
    detected = checks.detect(data)
    content, content_type, width, height, thumbnail = data, detected.content_type, None, None, None
    if detected.image_format is not None:
        encoded = images.reencode(data, detected.image_format)
        content, content_type = encoded.content, encoded.content_type
        width, height, thumbnail = encoded.width, encoded.height, encoded.thumbnail
    key = storage.new_key()
    folder = storage.folder()
    folder.put(key, content)
    if thumbnail is not None:
        folder.put(key, thumbnail, storage.THUMBNAIL)
    attachment = Attachment(
        id=key, kind=detected.kind, content_type=content_type, size=len(content), name=checks.clean_name(filename),
        sha256=hashlib.sha256(content).hexdigest(), width=width, height=height, has_thumbnail=thumbnail is not None,
        uploaded_by_id=person.id, uploaded_at=clock.now(),
    )
    session.add(attachment)
    session.flush()
    return attachment


def attachment_dict(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.id, "kind": attachment.kind, "content_type": attachment.content_type,
            "size": attachment.size, "name": attachment.name, "width": attachment.width,
            "height": attachment.height, "has_thumbnail": attachment.has_thumbnail,
            "url": f"/api/attachments/{attachment.id}",
            "thumbnail_url": f"/api/attachments/{attachment.id}/thumbnail" if attachment.has_thumbnail else None}


def claim(session: Session, person: Person, ids: Iterable[Any], owner_kind: str, owner_id: int,
          field: str = "attachments") -> list[Attachment]:
    """Attach the person's uploads to a record (those already on it stay); refuse others'."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_PER_RECORD:
        raise Invalid(f"at most {MAX_PER_RECORD} attachments", [{"field": field, "message": "too many"}])
    if not all(isinstance(key, str) for key in wanted):
        raise Invalid("attachments are ids from POST /api/attachments", [{"field": field, "message": "not an id"}])
    found = {a.id: a for a in session.scalars(select(Attachment).where(Attachment.id.in_(wanted)))} if wanted else {}
    for key in wanted:
        attachment = found.get(key)
        if attachment is None:
            raise Invalid(f"no attachment {key}", [{"field": field, "message": f"unknown attachment {key}"}])
        mine_free = attachment.owner_kind is None and attachment.uploaded_by_id == person.id
        already = attachment.owner_kind == owner_kind and attachment.owner_id == owner_id
        if not (mine_free or already):
            raise Invalid(f"attachment {key} is not one of your own new uploads",
                          [{"field": field, "message": f"attachment {key} is not yours to attach"}])
        attachment.owner_kind, attachment.owner_id = owner_kind, owner_id
    return [found[key] for key in wanted]


def attached(session: Session, owner_kind: str, owner_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    ids = list(owner_ids)
    result: dict[int, list[Attachment]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = session.scalars(select(Attachment).where(Attachment.owner_kind == owner_kind,
                                                    Attachment.owner_id.in_(ids)).order_by(Attachment.uploaded_at))
    for row in rows:
        assert row.owner_id is not None
        result[row.owner_id].append(row)
    return result


def open_for(session: Session, person: Person, key: str, rules: Mapping[str, AccessRule]) -> Attachment:
    """The attachment if ``person`` may see what it is attached to, else ``NotFound``."""
    attachment = session.get(Attachment, key) if storage.KEY.match(key) else None
    if attachment is None:
        raise NotFound("no such attachment")
    if attachment.owner_kind is None or attachment.owner_id is None:
        visible = attachment.uploaded_by_id == person.id
    else:
        rule = rules.get(attachment.owner_kind)
        visible = rule is not None and rule(session, person, attachment.owner_id)
    if not visible:
        raise NotFound("no such attachment")
    return attachment


def content(attachment: Attachment) -> bytes:
    return storage.folder().get(attachment.id)


def thumbnail(attachment: Attachment) -> bytes:
    if not attachment.has_thumbnail:
        raise NotFound("this attachment has no thumbnail (only images have one)")
    return storage.folder().get(attachment.id, storage.THUMBNAIL)
