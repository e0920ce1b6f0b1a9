"""What an uploaded file is, read from its bytes: never from its name or the browser's word.

Accepted: JPEG, PNG, GIF and WebP images (opened and re-encoded by ``images``), PDF, and Office
documents in OOXML (docx, xlsx, pptx) or ODF (odt, ods, odp). Anything else is refused with a
reason that names the file field.

* **PDF** by structure: the ``%PDF-`` header, a ``startxref`` and the ``%%EOF`` trailer; a PDF
  carrying active content (``/JavaScript``, ``/JS``, ``/Launch``, ``/EmbeddedFile``) is refused.
* **OOXML/ODF** by structure: a zip archive whose parts say what it is (``[Content_Types].xml``
  and the main part; ODF's ``mimetype`` entry). Macro-enabled documents (``vbaProject.bin``)
  are refused.
* **Zip bombs**: every entry is really inflated, in chunks, counting what comes out (the sizes
  an archive declares can lie): more than ``MAX_UNCOMPRESSED`` in all, an entry inflating
  more than ``MAX_RATIO`` times its compressed size, or more than ``MAX_ENTRIES`` entries, and
  the file is refused before anything is written.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO

from server.errors import Invalid

MAX_UNCOMPRESSED = 50 * 1024 * 1024
"""All entries of an Office document together, inflated (a 300-page report is ~10 MB)."""
MAX_RATIO = 100
"""Inflated/compressed size of one entry (ordinary XML parts compress 5–20 times)."""
RATIO_FLOOR = 1024 * 1024
"""Entries smaller than this once inflated are not checked for their ratio."""
MAX_ENTRIES = 2000
CHUNK = 64 * 1024

IMAGE_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}
OOXML = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ODF = (
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
)
PDF = "application/pdf"
ACTIVE_PDF = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile)(?![A-Za-z0-9])")
MAX_NAME = 120


@dataclass(frozen=True)
class Detected:
    kind: str
    """``image`` or ``document``."""
    content_type: str
    image_format: str | None = None
    """For an image: ``jpeg``, ``png``, ``gif`` or ``webp``."""


def refuse(message: str, detail: str) -> Invalid:
    return Invalid(message, [{"field": "file", "message": detail}])


def detect(data: bytes) -> Detected:
    """What ``data`` is, or ``Invalid`` naming why it is refused."""
    if not data:
        raise refuse("the file is empty", "empty")
    image = _image_format(data)
    if image is not None:
        return Detected("image", IMAGE_TYPES[image], image)
    if data.startswith(b"%PDF-"):
        _check_pdf(data)
        return Detected("document", PDF)
    if data.startswith(b"PK\x03\x04"):
        return Detected("document", _office_type(data))
    raise refuse("the file is not an image (JPEG, PNG, GIF, WebP), a PDF or an Office document, "
                 "whatever its name says", "unsupported content")


def _image_format(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _check_pdf(data: bytes) -> None:
    if b"startxref" not in data[-4096:] or b"%%EOF" not in data[-2048:]:
        raise refuse("the PDF is incomplete: it has no cross-reference trailer (startxref, %%EOF)",
                     "not a complete PDF")
    found = ACTIVE_PDF.search(data)
    if found is not None:
        name = found.group(1).decode()
        raise refuse(f"the PDF carries active content (/{name}): print it to a plain PDF first",
                     f"active content /{name}")


def _office_type(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise refuse(f"the file is a damaged zip archive: {exc}", "damaged archive") from None
    if len(entries) > MAX_ENTRIES:
        raise refuse(f"the document has {len(entries)} parts (at most {MAX_ENTRIES})", "too many parts")
    names = {entry.filename for entry in entries}
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise refuse("the document contains macros: save it as a document without macros (.docx, .xlsx, .pptx)",
                     "macros")
    _inflate_all(archive, entries)
    if "[Content_Types].xml" in names:
        for part, content_type in OOXML.items():
            if part in names:
                return content_type
    if "mimetype" in names:
        declared = archive.read("mimetype").decode("ascii", "replace").strip()
        if declared in ODF:
            return declared
    raise refuse("the zip archive is not a Word, Excel, PowerPoint or OpenDocument file", "unsupported content")


def _inflate_all(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """Inflate every entry, counting the bytes that really come out (the zip-bomb guard)."""
    total = 0
    for entry in entries:
        inflated = 0
        try:
            with archive.open(entry) as part:
                while chunk := part.read(CHUNK):
                    inflated += len(chunk)
                    total += len(chunk)
                    if total > MAX_UNCOMPRESSED:
                        raise refuse(f"the document inflates to more than {MAX_UNCOMPRESSED // (1024 * 1024)} MB "
                                     "(a zip bomb?)", "inflates too much")
                    if inflated > RATIO_FLOOR and inflated > MAX_RATIO * max(entry.compress_size, 1):
                        raise refuse(f"a part of the document ({entry.filename[:80]}) inflates more than "
                                     f"{MAX_RATIO} times (a zip bomb?)", "compression ratio")
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise refuse(f"a part of the document cannot be read: {exc}", "damaged archive") from None


def clean_name(raw: str | None) -> str:
    """The uploader's file name for display: its last path component, without control
    characters, leading dots or path separators, at most ``MAX_NAME`` characters.
    Never used to build a path (files are stored by random id)."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).lstrip(".").strip()
    return name[:MAX_NAME] or "附件"
