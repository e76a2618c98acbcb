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
from sync.platforms.mastodon.text import URL_CHARS, countable_length, is_hashtag, mentions_in
from sync.rendering import (
    PostSize,
    Rendered,
    hashtag,
    keyword_terms,
    status_bound,
    status_caption,
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


def render_mastodon(
    photo: Photo, settings: Settings, credentials: HasMastodonVisibility
) -> Rendered[MastodonPost]:
    tags = mastodon_hashtags(photo, settings)
    post = MastodonPost(
        file=photo.file,
        caption=status_caption(photo, tags),
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


def mastodon_size_bound(photo: Photo, settings: Settings) -> PostSize:
    """At least each measure `render_mastodon` gives, without making the status: its
    characters before Mastodon's counting (which merges graphemes and shortens mentions)
    plus a whole URL's worth for every `://`, as if each began a short URL (planning
    renders only a photo whose bound is over a limit)."""
    caption = status_bound(photo, settings, ALWAYS_TAGGED)
    return PostSize(
        title_chars=len(photo.title),
        caption_chars=caption.chars + caption.url_marks * URL_CHARS,
        alt_text_chars=len(photo.headline),
        tags=caption.hashtags,
    )
