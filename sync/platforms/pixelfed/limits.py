"""What a pixelfed instance accepts, read from `/api/v2/instance` (v1 on older servers).

Defaults are pixelfed's own (`config/pixelfed.php`), used when the instance does not
report a value, and before it is asked: 15,000 KB images (`MAX_PHOTO_SIZE`), 500
characters of caption (`MAX_CAPTION_LENGTH`), 1,000 of alt text
(`PF_MEDIA_MAX_ALTTEXT_LENGTH`), JPEG, PNG and GIF, and the first 60 hashtags of a
caption linked (`Status::MAX_HASHTAGS`). A published post's photo cannot be replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.platforms.base import Limits

DEFAULT_MAX_FILE_BYTES = 15_000 * 1024
DEFAULT_MAX_CAPTION_CHARS = 500
DEFAULT_MAX_ALT_TEXT_CHARS = 1000
MAX_LINKED_HASHTAGS = 60
"""pixelfed links (and indexes) the first 60 hashtags of a caption (Status::MAX_HASHTAGS)."""
FORMAT_OF_MIME = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "image/avif": "AVIF",
    "image/tiff": "TIFF",
}
MIME_OF_FORMAT = {fmt.upper(): mime for mime, fmt in FORMAT_OF_MIME.items()} | {"JPG": "image/jpeg"}
DEFAULT_FORMATS = frozenset({"JPEG", "PNG", "GIF"})


def limits_from_instance(instance: Mapping[str, Any]) -> Limits:
    """Limits from /api/v2/instance or /api/v1/instance (both carry `configuration`)."""
    configuration = _mapping(instance.get("configuration"))
    media = _mapping(configuration.get("media_attachments"))
    statuses = _mapping(configuration.get("statuses"))
    mimes = media.get("supported_mime_types")
    formats = frozenset(
        FORMAT_OF_MIME[m] for m in (mimes if isinstance(mimes, list) else []) if m in FORMAT_OF_MIME
    )
    return Limits(
        max_file_bytes=_positive_int(media.get("image_size_limit"), DEFAULT_MAX_FILE_BYTES),
        formats=formats or DEFAULT_FORMATS,
        max_caption_chars=_positive_int(statuses.get("max_characters"), DEFAULT_MAX_CAPTION_CHARS),
        max_alt_text_chars=_positive_int(
            media.get("description_limit"), DEFAULT_MAX_ALT_TEXT_CHARS
        ),
        max_tags=MAX_LINKED_HASHTAGS,
        replaces_images=False,
        fixed_fields=frozenset({"visibility"}),  # an edit cannot change it
    )


def default_limits() -> Limits:
    """What an unmodified pixelfed instance accepts (before its instance document is read)."""
    return limits_from_instance({})


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _positive_int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default
