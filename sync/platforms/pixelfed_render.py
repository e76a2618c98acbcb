"""The pixelfed post for a photo: caption with hashtags, alt text and visibility."""

from __future__ import annotations

from sync.config import Credentials, Settings
from sync.photo import Photo
from sync.platforms.pixelfed import PixelfedPost
from sync.rendering import (
    PostSize,
    Rendered,
    camera_info,
    date_text,
    hashtag,
    keyword_terms,
    shooting_info,
    unique_sorted,
)

ALWAYS_TAGGED = "photography"
MAX_HASHTAG_CHARS = 124
"""pixelfed ignores a longer hashtag (StatusEntityLexer, Extractor)."""


def linked_hashtags(tags: list[str]) -> int:
    """How many of `tags` pixelfed would link: those with a letter (`#2024` is plain
    text to pixelfed) and at most 124 characters. It links the first 60 of them."""
    return sum(1 for t in tags if len(t) <= MAX_HASHTAG_CHARS and any(c.isalpha() for c in t))


def pixelfed_hashtags(photo: Photo, settings: Settings) -> list[str]:
    """Keywords as hashtags (letters and digits only) plus `photography`, sorted."""
    terms = keyword_terms(photo, settings.keywords, settings.categories)
    # Hashtags are letters, digits and underscores only: already normalized.
    return unique_sorted(t for t in (*map(hashtag, terms), ALWAYS_TAGGED) if t)


def pixelfed_caption(photo: Photo, settings: Settings, tags: list[str] | None = None) -> str:
    """`<title> -- <headline> (Taken <date>)`, hashtags, then the camera lines.

    `tags` are the photo's hashtags when the caller has them already."""
    tags = pixelfed_hashtags(photo, settings) if tags is None else tags
    first = photo.title or photo.name
    if photo.headline:
        first += f" -- {photo.headline}"
    if photo.date_taken is not None:
        first += f" (Taken {date_text(photo)})"
    hashtags = " ".join(f"#{t}" for t in tags)
    info = "\n".join(line for line in (shooting_info(photo), camera_info(photo)) if line)
    return "\n\n".join(block for block in (first, hashtags, info) if block)


def render_pixelfed(
    photo: Photo, settings: Settings, credentials: Credentials
) -> Rendered[PixelfedPost]:
    tags = pixelfed_hashtags(photo, settings)
    post = PixelfedPost(
        file=photo.file,
        caption=pixelfed_caption(photo, settings, tags),
        alt_text=photo.headline,
        visibility=credentials.pixelfed_visibility or "public",
    )
    size = PostSize(
        title_chars=len(photo.title),
        caption_chars=len(post.caption),
        alt_text_chars=len(post.alt_text),
        tags=linked_hashtags(tags),
    )
    return Rendered(post, size)
