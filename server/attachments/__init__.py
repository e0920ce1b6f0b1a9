"""Attachments: photos and documents kept as evidence of what members did (docs/attachments.md).

A shared layer below the capabilities: it knows how to take in an upload safely and where the
bytes live, not what they are attached to. Who may see one is decided by what it is attached to
(``server/bridges/attachment_access.py``), asked through ``service.open_for``'s seam.

* ``checks.py``: what a file is, read from its bytes (never its name or the browser's word);
  PDF and OOXML/ODF by structure, with the zip-bomb guard;
* ``images.py``: images re-encoded from their pixels (EXIF, GPS and every other block dropped)
  and thumbnailed, with Pillow;
* ``storage.py``: the folder the bytes live in, by random id;
* ``models.py``: the ``attachment`` row; ``service.py``: upload, claim for a record, read.
"""
