"""A limit error in numbers: `caption too long` becomes "612 characters; at most 500".

The plan keeps only error names (they are IMatch category names); the rendered post's
measured size and the platform's limits say by how much a photo is over, which is what
the photographer needs to know to fix it.
"""

from __future__ import annotations

from sync.error_names import ALT_TEXT_TOO_LONG, CAPTION_TOO_LONG, TITLE_TOO_LONG, TOO_MANY_TAGS
from sync.platforms.base import Limits
from sync.rendering import PostSize

LIMIT_ERRORS = frozenset({CAPTION_TOO_LONG, ALT_TEXT_TOO_LONG, TITLE_TOO_LONG, TOO_MANY_TAGS})
"""The errors `limit_detail` gives numbers for (the others need no post rendered again)."""


def limit_detail(error_name: str, size: PostSize, limits: Limits) -> str:
    """`612 characters; at most 500`, or "" when `error_name` is not a limit error."""
    measured = {
        CAPTION_TOO_LONG: (size.caption_chars, limits.max_caption_chars, "characters"),
        ALT_TEXT_TOO_LONG: (size.alt_text_chars, limits.max_alt_text_chars, "characters"),
        TITLE_TOO_LONG: (size.title_chars, limits.max_title_chars, "characters"),
        TOO_MANY_TAGS: (size.tags, limits.max_tags, "tags"),
    }.get(error_name)
    if measured is None or measured[1] is None:
        return ""
    value, limit, unit = measured
    return f"{value:,} {unit}; at most {limit:,}"
