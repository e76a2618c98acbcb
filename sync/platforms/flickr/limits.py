"""What flickr accepts: its documented limits, written once, and the account's own.

flickr takes files up to 200 MB (`flickr.people.getLimits` says the account's own
maximum, read at connect), 75 tags a photo (our machine tag included) and titles of 255
characters. It answers "Filetype was not recognised" for WebP whatever the settings
say, so WebP is never among the formats offered.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sync.platforms.base import Limits

DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024
FORMATS = frozenset({"JPEG", "PNG", "GIF", "TIFF"})
MAX_TAGS = 75
MAX_TITLE_CHARS = 255
REFUSED_FORMATS = frozenset({"WEBP"})
"""Formats flickr answers "Filetype was not recognised" for, whatever the settings say."""


def default_limits() -> Limits:
    """What flickr accepts before the account's own limits are read."""
    return Limits(
        max_file_bytes=DEFAULT_MAX_UPLOAD_BYTES,
        formats=FORMATS,
        max_tags=MAX_TAGS,
        max_title_chars=MAX_TITLE_CHARS,
    )


def account_limits(max_upload_bytes: int | None, formats: Iterable[str]) -> Limits:
    """The defaults with the account's upload maximum (when flickr said it) and the
    formats the settings allow, less those flickr refuses."""
    return dataclasses.replace(
        default_limits(),
        max_file_bytes=max_upload_bytes or DEFAULT_MAX_UPLOAD_BYTES,
        formats=frozenset(f.upper() for f in formats) - REFUSED_FORMATS,
    )
