"""The Mastodon post for a photo: status text with hashtags, alt text and visibility.

The text follows the pixelfed caption (DESIGN section 9): `<title> -- <headline> (Taken
<date>)`, the hashtags, then the camera lines. Mastodon keeps the text as written (it
escapes HTML rather than stripping it), so nothing needs protecting; hashtags without a
letter (`#2024`) would stay plain text there, so they are left out. Sizes are measured
the way Mastodon counts them (see `text.countable_length`).
"""

from __future__ import annotations

from typing import Protocol

from sync.config import Settings
from sync.photo import Photo
from sync.platforms.mastodon.post import MastodonPost
from sync.platforms.mastodon.settings import DEFAULT_VISIBILITY
from sync.platforms.mastodon.text import countable_length, is_hashtag, mentions_in
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


class HasMastodonVisibility(Protocol):
    """Anything carrying the `mastodon_visibility` app variable (credentials)."""

    @property
    def mastodon_visibility(self) -> str: ...


def mastodon_hashtags(photo: Photo, settings: Settings) -> list[str]:
    """Keywords as hashtags (letters, digits, underscores) plus `photography`, sorted."""
    terms = keyword_terms(photo, settings.keywords, settings.categories)
    tags = (hashtag(t) for t in (*terms, ALWAYS_TAGGED))
    return unique_sorted(t for t in tags if is_hashtag(t))


def mastodon_caption(photo: Photo, tags: list[str]) -> str:
    """`<title> -- <headline> (Taken <date>)`, hashtags, then the camera lines."""
    first = (photo.title or photo.name).strip()
    if photo.headline:
        first += f" -- {photo.headline}"
    if photo.date_taken is not None:
        first += f" (Taken {date_text(photo)})"
    hashtags = " ".join(f"#{t}" for t in tags)
    info = "\n".join(line for line in (shooting_info(photo), camera_info(photo)) if line)
    return "\n\n".join(block for block in (first, hashtags, info) if block)


def render_mastodon(
    photo: Photo, settings: Settings, credentials: HasMastodonVisibility
) -> Rendered[MastodonPost]:
    tags = mastodon_hashtags(photo, settings)
    post = MastodonPost(
        file=photo.file,
        caption=mastodon_caption(photo, tags),
        alt_text=photo.headline,
        visibility=credentials.mastodon_visibility or DEFAULT_VISIBILITY,
    )
    size = PostSize(
        title_chars=len(photo.title),
        caption_chars=countable_length(post.caption),
        alt_text_chars=len(post.alt_text),
        tags=len(tags),
    )
    warnings: tuple[str, ...] = ()
    mentioned = sorted(set(mentions_in(post.caption)), key=str.casefold)
    if mentioned:
        warnings = (
            f"the text mentions {', '.join(mentioned)}: Mastodon will notify "
            + ("that account" if len(mentioned) == 1 else "those accounts"),
        )
    return Rendered(post, size, warnings)
