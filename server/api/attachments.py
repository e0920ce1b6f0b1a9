"""Attachments: upload a photo or document, read it back (docs/attachments.md).

``POST /api/attachments`` takes the multipart field ``file``; what it is comes from its bytes.
Reading needs the right to see what the attachment is attached to (the bridge
``server.bridges.attachment_access``); anyone else, and any unknown id, gets 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.orm import Session

from server.api.contract import declare
from server.api.schemas.activities import UPLOAD, Attachment
from server.api.schemas.common import Binary
from server.attachments import service
from server.bridges import attachment_access
from server.errors import BadRequest
from server.requests import me, read, write

bp = Blueprint("attachments", __name__)
TAGS = ("attachments",)


@bp.post("/attachments")
@declare(ok=Attachment, status=201, errors=(422,), write=True, request_media=UPLOAD, tags=TAGS)
def upload_attachment() -> Any:
    """Upload a photo (re-encoded without EXIF/GPS, thumbnailed) or a PDF/Office document"""
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("send the file as the multipart field 'file'", [{"field": "file", "message": "required"}])
    data = upload.stream.read()
    name = upload.filename

    def run(session: Session) -> dict[str, Any]:
        return service.attachment_dict(service.upload(session, me(session), data, name))

    return jsonify(write(run)), 201


def _file(content: bytes, content_type: str, name: str, inline: bool) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(content, mimetype=content_type, headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
    })


@bp.get("/attachments/<key>")
@declare(ok=Binary, errors=(404,), ok_media="application/octet-stream", tags=TAGS)
def get_attachment(key: str) -> Any:
    """The file, for people who may see what it is attached to (its uploader until then)"""
    def run(session: Session) -> tuple[bytes, str, str, bool]:
        attachment = attachment_access.open_attachment(session, me(session), key)
        return service.content(attachment), attachment.content_type, attachment.name, attachment.kind == "image"

    content, content_type, name, inline = read(run)
    return _file(content, content_type, name, inline)


@bp.get("/attachments/<key>/thumbnail")
@declare(ok=Binary, errors=(404,), ok_media="image/jpeg", tags=TAGS)
def get_thumbnail(key: str) -> Any:
    """An image's thumbnail (JPEG, at most 320 px), for the same people"""
    def run(session: Session) -> tuple[bytes, str]:
        attachment = attachment_access.open_attachment(session, me(session), key)
        return service.thumbnail(attachment), attachment.name

    content, name = read(run)
    return _file(content, "image/jpeg", f"thumb-{name}", True)
