"""Helpers of the activity-ledger tests: uploads, images with GPS, Office files, records."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from PIL import Image


def local(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """A moment given in Beijing time, as UTC."""
    return datetime(year, month, day, hour - 8, 0, tzinfo=UTC) if hour >= 8 else datetime(
        year, month, day, hour, 0, tzinfo=UTC)


def csrf(client: Any) -> str:
    return str(client.get("/api/me").get_json()["csrf_token"])


def upload(client: Any, content: bytes, name: str = "photo.jpg") -> Any:
    return client.post("/api/attachments", data={"file": (BytesIO(content), name)},
                       headers={"X-CSRFToken": csrf(client)}, content_type="multipart/form-data")


def uploaded(client: Any, content: bytes, name: str = "photo.jpg") -> dict[str, Any]:
    res = upload(client, content, name)
    assert res.status_code == 201, res.get_json()
    return dict(res.get_json())


def gps_jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    """A JPEG carrying EXIF with a camera make and a GPS position (Tiananmen Square)."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 27.0)}  # GPSInfo
    out = BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png() -> bytes:
    out = BytesIO()
    Image.new("RGBA", (64, 48), (0, 120, 0, 128)).save(out, "PNG")
    return out.getvalue()


def docx(extra: dict[str, bytes] | None = None, *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A minimal Word document (the parts that say what it is), with ``extra`` parts."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                          'package/2006/content-types"/>')
        z.writestr("word/document.xml", "<w:document/>")
        for name, content in (extra or {}).items():
            z.writestr(name, content)
    return out.getvalue()


def pdf(body: bytes = b"") -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog " + body + b" >> endobj\nxref\n0 1\n"
            b"0000000000 65535 f \ntrailer << /Root 1 0 R >>\nstartxref\n9\n%%EOF\n")


def record(client: Any, **fields: Any) -> Any:
    body = {"activity": "为社区孤寡老人打扫卫生", "activity_date": "2026-09-20", "hours": 2, **fields}
    return client.post("/api/activities/records", json=body)


def recorded(client: Any, **fields: Any) -> dict[str, Any]:
    res = record(client, **fields)
    assert res.status_code == 201, res.get_json()
    return dict(res.get_json())


def programme_id(client: Any, unit: str, code: str) -> int:
    items = client.get(f"/api/activities/programmes?org_unit={unit}").get_json()["items"]
    return int(next(p["id"] for p in items if p["code"] == code))


def review(client: Any, record_id: int, decision: str = "approve", reason: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"decision": decision}
    if reason:
        body["reason"] = reason
    res = client.post(f"/api/activities/records/{record_id}/review", json=body)
    assert res.status_code == 200, res.get_json()
    return dict(res.get_json())


def quota(client: Any, unit: str, period: str) -> dict[str, Any]:
    res = client.get(f"/api/activities/quota?org_unit={unit}&period={period}")
    assert res.status_code == 200, res.get_json()
    return dict(res.get_json())


def member_row(view: dict[str, Any], username: str) -> dict[str, Any]:
    return next(m for m in view["members"] if m["person"]["username"] == username)


def for_programme(row: dict[str, Any], pid: int) -> dict[str, Any]:
    return next(p for p in row["programmes"] if p["id"] == pid)
