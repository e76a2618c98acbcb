"""A limit error in numbers: `caption too long` becomes "612 characters; at most 500".

The plan keeps only error names (they are IMatch category names); the rendered post's
measured size and the platform's limits say by how much a photo is over, which is what
the photographer needs to know to fix it.
"""

from __future__ import annotations

from sync.error_names import ALT_TEXT_TOO_LONG, CAPTION_TOO_LONG, TITLE_TOO_LONG, TOO_MANY_TAGS
from sync.platforms.base import Limits
from sync.rendering import PostSize

MEASURES = {
    CAPTION_TOO_LONG: ("caption_chars", "max_caption_chars", "characters"),
    ALT_TEXT_TOO_LONG: ("alt_text_chars", "max_alt_text_chars", "characters"),
    TITLE_TOO_LONG: ("title_chars", "max_title_chars", "characters"),
    TOO_MANY_TAGS: ("tags", "max_tags", "tags"),
}
"""Limit error -> the post's measure (`PostSize`), the platform's limit (`Limits`), unit."""
LIMIT_ERRORS = frozenset(MEASURES)
"""The errors `limit_detail` gives numbers for (the others need no post rendered again)."""


def limit_detail(error_name: str, size: PostSize, limits: Limits) -> str:
    """`612 characters; at most 500`, or "" when `error_name` is not a limit error."""
    measure = MEASURES.get(error_name)
    if measure is None:
        return ""
    measured, limited, unit = measure
    limit = getattr(limits, limited)
    if limit is None:
        return ""
    return f"{getattr(size, measured):,} {unit}; at most {limit:,}"
