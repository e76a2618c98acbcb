"""How Mastodon counts a status, and which hashtags and mentions it will see in it.

Mastodon (`StatusLengthValidator`) counts grapheme clusters, not code points; every URL
counts as `characters_reserved_per_url` (23) whatever its length, and a mention of a
remote account counts only its local part (`@alice@example.org` counts as `@alice`).
Hashtags (`Tag::HASHTAG_RE`) start after whitespace or at the start and must contain a
letter, so `#2024` stays plain text. Mentions (`Account::MENTION_RE`) notify the account
named, so the renderer warns about them.

Grapheme clusters are approximated without a Unicode segmentation library: combining
marks, variation selectors, emoji modifiers and tags, zero-width-joiner sequences, flag
pairs and CR LF each join the character before them. That covers the text photographers
write (accents, emoji, flags); exotic scripts may count one or two clusters high.
"""

from __future__ import annotations

import functools
import re
import unicodedata

URL_CHARS = 23
"""`StatusLengthValidator::URL_PLACEHOLDER_CHARS`, reported as characters_reserved_per_url."""

_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?'\")]}"
_USERNAME = r"[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*"
_MENTION = re.compile(rf"(?<![=/\w])@({_USERNAME})((?:@\w+(?:[.-]+\w+)*)?)", re.IGNORECASE)
_HASHTAG = re.compile(r"(?:^|(?<=\s))#(\w+)")
_JOINER = "\u200d"
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)


def countable_length(text: str, url_chars: int = URL_CHARS) -> int:
    """The length Mastodon checks against `max_characters`."""
    if "://" not in text and "@" not in text:  # no URL, no mention: nothing to replace
        return grapheme_count(text)
    counted = _URL.sub(lambda match: _url_replacement(match.group(0), url_chars), text)
    counted = _MENTION.sub(lambda match: f"@{match.group(1)}", counted)
    return grapheme_count(counted)


def _url_replacement(url: str, url_chars: int) -> str:
    trimmed = url.rstrip(_URL_TRAILING)
    return "x" * url_chars + url[len(trimmed) :]


def grapheme_count(text: str) -> int:
    """User-perceived characters (see the module docstring for the approximation)."""
    if text.isascii():  # of the joining rules only CR LF applies to ASCII
        return len(text) - text.count("\r\n")
    return _grapheme_count_by_character(text)


def _grapheme_count_by_character(text: str) -> int:
    count = 0
    previous = ""
    regional_run = 0
    for char in text:
        code = ord(char)
        joins = (
            previous == _JOINER
            or char == _JOINER
            or (char == "\n" and previous == "\r")
            or unicodedata.category(char) in ("Mn", "Me", "Mc")
            or 0xFE00 <= code <= 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF
            or 0xE0020 <= code <= 0xE007F
        )
        if code in _REGIONAL_INDICATORS:
            regional_run += 1
            joins = joins or regional_run % 2 == 0
        else:
            regional_run = 0
        if not joins:
            count += 1
        previous = char
    return count


@functools.lru_cache(maxsize=65536)
def is_hashtag(name: str) -> bool:
    """Whether Mastodon links `#name` as a hashtag (it needs a letter)."""
    return (
        bool(name) and any(c.isalpha() for c in name) and all(c.isalnum() or c == "_" for c in name)
    )


def hashtags_in(text: str) -> list[str]:
    """The hashtags Mastodon will link in `text`, in order."""
    return [name for name in _HASHTAG.findall(text) if is_hashtag(name)]


def mentions_in(text: str) -> list[str]:
    """The accounts `text` mentions (`@name` or `@name@domain`), in order."""
    without_urls = _URL.sub(" ", text)
    return [f"@{m.group(1)}{m.group(2)}" for m in _MENTION.finditer(without_urls)]
