"""Images re-encoded from their pixels and thumbnailed (Pillow).

A photo from a phone carries EXIF: the camera, the time and, often, where it was taken (GPS).
What is stored is not the uploaded file but a new one written from the decoded pixels, turned
upright by its EXIF orientation first: no EXIF, XMP, comments or trailing bytes survive (only
the colour profile is kept). A re-encode also drops anything hidden after the image data.

Decompression bombs: an image declaring more than ``MAX_PIXELS`` is refused before its
pixels are decoded.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

from server.attachments.checks import refuse

MAX_PIXELS = 40_000_000
"""A 48-megapixel phone photo is ~8000×6000; larger ones are refused."""
THUMBNAIL = (320, 320)
JPEG_QUALITY = 85
OUTPUT = {"jpeg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png"), "gif": ("PNG", "image/png"),
          "webp": ("PNG", "image/png")}


@dataclass(frozen=True)
class Encoded:
    content: bytes
    content_type: str
    width: int
    height: int
    thumbnail: bytes


def reencode(data: bytes, image_format: str) -> Encoded:
    """The image written anew from its pixels, without metadata, and its JPEG thumbnail."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            source = Image.open(BytesIO(data))
            width, height = source.size
            if width * height > MAX_PIXELS:
                raise refuse(f"the image is {width}×{height} pixels (at most {MAX_PIXELS // 1_000_000} megapixels)",
                             "too many pixels")
            source.load()
            # In place: a 12-megapixel photo is 36 MB of pixels; one copy fewer at a time.
            upright = ImageOps.exif_transpose(source, in_place=True) or source
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise refuse(f"the image declares too many pixels (at most {MAX_PIXELS // 1_000_000} megapixels)",
                         "too many pixels") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise refuse(f"the image cannot be decoded: {exc}", "damaged image") from None
    pillow_format, content_type = OUTPUT[image_format]
    icc = source.info.get("icc_profile")
    clean = _without_metadata(upright, pillow_format)
    del upright, source
    out = BytesIO()
    if pillow_format == "JPEG":
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, **({"icc_profile": icc} if icc else {}))
    else:
        clean.save(out, "PNG", optimize=True)
    return Encoded(out.getvalue(), content_type, clean.width, clean.height, _thumbnail(clean))


def _without_metadata(image: Image.Image, pillow_format: str) -> Image.Image:
    """A copy holding the pixels only (``info``, where EXIF/XMP/comments live, left empty)."""
    if pillow_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif pillow_format == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    clean = Image.new(image.mode, image.size)
    if image.mode == "P":
        palette = image.getpalette()
        if palette is not None:
            clean.putpalette(palette)
    clean.paste(image)
    clean.info = {}
    return clean


def _thumbnail(image: Image.Image) -> bytes:
    small = image.convert("RGBA") if image.mode in ("P", "LA") else image.copy()
    if small.mode == "RGBA":
        background = Image.new("RGB", small.size, (255, 255, 255))
        background.paste(small, mask=small.getchannel("A"))
        small = background
    elif small.mode != "RGB":
        small = small.convert("RGB")
    small.thumbnail(THUMBNAIL)
    out = BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()
