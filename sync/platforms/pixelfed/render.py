"""The pixelfed post for a photo: caption with hashtags, alt text and visibility.

pixelfed runs PHP's `strip_tags` over a new post's caption: a `<` followed by anything but
whitespace opens a "tag" that swallows everything up to the next `>`, or to the end of the
caption ("I <3 fog" is published as "I "). The caption is protected before it is sent:
each such `<` becomes `‹` (U+2039), which reads the same and which pixelfed keeps, so
what the detail pane shows is exactly what is published, never a cut caption.
"""

from __future__ import annotations

import functools
import re

from sync.config import Settings
from sync.photo import Photo
from sync.platforms.pixelfed.platform import PixelfedPost
from sync.platforms.pixelfed.settings import PixelfedCredentials
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
MAX_HASHTAG_CHARS = 124
"""pixelfed ignores a longer hashtag (StatusEntityLexer, Extractor)."""
TAG_OPENER_LOOKALIKE = "\u2039"
"""SINGLE LEFT-POINTING ANGLE QUOTATION MARK: looks like `<`, is punctuation (never part
of a hashtag), is in every common font and is not markup to PHP or HTML Purifier."""
_TAG_OPENER = re.compile(r"<(?![ \t\n\r\v\f])")
_HASH_SIGNS = ("#", "\uff03")
_HASHTAG_IN_TEXT = re.compile(r"(?<![\w&])[#\uff03](?![\ufe0f\u20e3])(\w+)")
"""A hashtag as pixelfed's lexer finds one in running text (`Regex.php`, `valid_hashtag`:
after a character that is not a letter, digit, `_` or `&`; `#` or the full-width `＃`)."""


def protect_from_strip_tags(text: str) -> str:
    """`text` with every `<` that PHP's strip_tags would read as the start of a tag (any
    `<` not followed by whitespace, the last character included) replaced by a look-alike;
    a `<` before whitespace is left alone, strip_tags keeps it."""
    if "<" not in text:  # most captions: no need for the pattern
        return text
    return _TAG_OPENER.sub(TAG_OPENER_LOOKALIKE, text)


@functools.lru_cache(maxsize=65536)
def _is_linked(tag: str) -> bool:
    """Cached: the same hashtags come back on thousands of photos."""
    return len(tag) <= MAX_HASHTAG_CHARS and any(c.isalpha() for c in tag)


def hashtags_in_text(text: str) -> int:
    """How many hashtags pixelfed would link in the user's own text (a title such as
    "Fog #dawn"): they come before the keywords' hashtags and use up links."""
    if not any(sign in text for sign in _HASH_SIGNS):
        return 0
    return sum(map(_is_linked, _HASHTAG_IN_TEXT.findall(text)))


def pixelfed_hashtags(photo: Photo, settings: Settings) -> list[str]:
    """Keywords as hashtags (letters and digits only) plus `photography`, sorted."""
    terms = keyword_terms(photo, settings.keywords, settings.categories)
    # Hashtags are letters, digits and underscores only: already normalized.
    return unique_sorted(t for t in (*map(hashtag, terms), ALWAYS_TAGGED) if t)


def pixelfed_caption(photo: Photo, settings: Settings, tags: list[str] | None = None) -> str:
    """`<title> -- <headline> (Taken <date>)`, hashtags, then the camera lines.

    `tags` are the photo's hashtags when the caller has them already."""
    tags = pixelfed_hashtags(photo, settings) if tags is None else tags
    return protect_from_strip_tags(status_caption(photo, tags))


def render_pixelfed(
    photo: Photo, settings: Settings, credentials: PixelfedCredentials
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
        # pixelfed links the first 60 hashtags of the whole caption, ours and the text's.
        tags=hashtags_in_text(post.caption),
    )
    return Rendered(post, size)


def pixelfed_size_bound(photo: Photo, settings: Settings) -> PostSize:
    """At least each measure `render_pixelfed` gives, without making the caption; every
    `#` of the photo's own text counts as a linked hashtag (planning renders only a photo
    whose bound is over a limit). Protecting the caption from strip_tags changes no length."""
    caption = status_bound(photo, settings, ALWAYS_TAGGED)
    return PostSize(
        title_chars=len(photo.title),
        caption_chars=caption.chars,
        alt_text_chars=len(photo.headline),
        tags=caption.hashtags + caption.hash_signs,
    )
