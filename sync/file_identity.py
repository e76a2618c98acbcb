"""Whether a photo's image changed, telling a new image from metadata written into the file.

IMatch writes edited metadata back into the image file (XMP, EXIF, IPTC), which changes the
file's size and modification time but not its picture. A file whose size or time changed
since it was published is therefore compared by its image data: for a JPEG, every segment
except the metadata ones (APPn, comments), the length of the compressed picture and its
first and last 16 KB. Reading that is a few small reads, never the whole file. Formats
without such a digest are compared by size and time alone.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO

WINDOW = 16 * 1024
_METADATA_MARKERS = frozenset(range(0xE0, 0xF0)) | {0xFE}
"""APP0-APP15 (EXIF, XMP, IPTC, ICC...) and COM: what writing metadata back changes."""
_START_OF_SCAN = 0xDA
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def image_digest(path: Path) -> str:
    """A digest of the picture in `path` that metadata written into the file does not
    change; "" when the file cannot be read or its format has no such digest."""
    try:
        with open(path, "rb") as file:
            if file.read(2) != b"\xff\xd8":
                return ""
            return _jpeg_digest(file, os.fstat(file.fileno()).st_size)
    except (OSError, ValueError):
        return ""


def _jpeg_digest(file: BinaryIO, size: int) -> str:
    digest = hashlib.sha256()
    while True:
        marker = file.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return ""
        kind = marker[1]
        if kind == 0xFF:  # fill byte before a marker
            file.seek(-1, os.SEEK_CUR)
            continue
        if kind in _STANDALONE:
            continue
        length_bytes = file.read(2)
        if len(length_bytes) < 2:
            return ""
        length = int.from_bytes(length_bytes, "big")
        if length < 2:
            return ""
        if kind in _METADATA_MARKERS:
            file.seek(length - 2, os.SEEK_CUR)
            continue
        segment = file.read(length - 2)
        digest.update(marker + length_bytes + segment)
        if kind == _START_OF_SCAN:
            break
    start = file.tell()
    digest.update(file.read(WINDOW))
    file.seek(max(start, size - WINDOW))
    digest.update(file.read(WINDOW))
    return f"jpeg:{size - start}:{digest.hexdigest()[:24]}"
