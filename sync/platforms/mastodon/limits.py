"""What a Mastodon server accepts, read from `/api/v2/instance` (v1 on servers before 4.0).

Defaults are Mastodon's own constants, used when the server does not report a value:
500 characters (`StatusLengthValidator::MAX_CHARS`), 16 MB images
(`MediaAttachment::IMAGE_LIMIT`), 1,500 characters of alt text (`MAX_DESCRIPTION_LENGTH`
before 4.6; reported as `description_limit` since 4.4) and 33,177,600 pixels per image
(`Attachmentable::MAX_MATRIX_LIMIT`, reported as `image_matrix_limit`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync.platforms.base import Limits

DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_MAX_ALT_TEXT_CHARS = 1500
DEFAULT_MAX_PIXELS = 33_177_600
GIF_MAX_PIXELS = 921_600
"""`Attachmentable::GIF_MATRIX_LIMIT`: GIFs become videos, so they are kept small."""

FORMAT_OF_MIME = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "image/avif": "AVIF",
}
MIME_OF_FORMAT = {fmt.upper(): mime for mime, fmt in FORMAT_OF_MIME.items()} | {"JPG": "image/jpeg"}
DEFAULT_FORMATS = frozenset(FORMAT_OF_MIME.values())


@dataclass(frozen=True)
class ServerLimits:
    """The engine's `Limits` plus what only the adapter checks (pixels)."""

    limits: Limits
    max_pixels: int = DEFAULT_MAX_PIXELS


def limits_from_instance(instance: Mapping[str, Any]) -> ServerLimits:
    """Limits from a v2 (or v1) instance document; missing values fall back to defaults."""
    configuration = _mapping(instance.get("configuration"))
    media = _mapping(configuration.get("media_attachments"))
    statuses = _mapping(configuration.get("statuses"))
    mimes = media.get("supported_mime_types")
    formats = frozenset(
        FORMAT_OF_MIME[m] for m in (mimes if isinstance(mimes, list) else []) if m in FORMAT_OF_MIME
    )
    limits = Limits(
        max_file_bytes=_positive_int(media.get("image_size_limit"), DEFAULT_MAX_FILE_BYTES),
        formats=formats or DEFAULT_FORMATS,
        max_caption_chars=_positive_int(statuses.get("max_characters"), DEFAULT_MAX_CHARACTERS),
        max_alt_text_chars=_positive_int(
            media.get("description_limit"), DEFAULT_MAX_ALT_TEXT_CHARS
        ),
        max_tags=None,
        # A status edit keeps the post's photo (the adapter says so when asked to update
        # one): the plan says "text only" and the run counts such updates as metadata.
        replaces_images=False,
        fixed_fields=frozenset({"visibility"}),  # an edit cannot change it
    )
    return ServerLimits(limits, _positive_int(media.get("image_matrix_limit"), DEFAULT_MAX_PIXELS))


def default_limits() -> Limits:
    """What an unmodified Mastodon server accepts (before its instance document is read)."""
    return limits_from_instance({}).limits


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _positive_int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default
