"""What pixelfed does to the text it is sent: PHP's `strip_tags` on new captions, HTML
Purifier on edited captions and on alt text set with PUT /api/v1/media/{id}, hashtag
extraction and the autolinked HTML `content` (reference platform-apis.md C6-C8).

These are re-implementations of the behaviour read in pixelfed 0.11.13's code
(`ApiV1Controller@statusCreate` calls `strip_tags`, `UpdateStatusService` and
`ApiV1Controller@mediaUpdate` call `Purify::clean` with `config/purify.php`), so the
client's text protection is tested against the real rules, odd answers included.
"""

from __future__ import annotations

import html
import re

# --- PHP strip_tags ---------------------------------------------------------------------

PHP_SPACE = " \t\n\r\v\f"


def php_strip_tags(text: str) -> str:
    """PHP's `strip_tags($text)` without allowed tags.

    A `<` followed by anything but whitespace opens a tag, and everything up to the
    matching `>` is dropped, however far away it is: with no `>` the rest of the text
    goes ("I <3 fog" becomes "I "). A `<` followed by whitespace is kept as text, and so
    is a `>` outside a tag. Inside a tag, quotes hide `>` and a nested `<` needs its own
    `>`; `<!--` runs to `-->` and `<?` to `?>`.
    """
    kept: list[str] = []
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char != "<":
            kept.append(char)
            index += 1
            continue
        following = text[index + 1] if index + 1 < length else ""
        if following and following in PHP_SPACE:
            kept.append(char)
            index += 1
            continue
        index = _end_of_tag(text, index)
    return "".join(kept)


def _end_of_tag(text: str, start: int) -> int:
    """The index just after the tag, comment or processing instruction at `start`."""
    if text.startswith("<!--", start):
        end = text.find("-->", start + 4)
        return len(text) if end < 0 else end + 3
    if text.startswith("<?", start):
        end = text.find("?>", start + 2)
        return len(text) if end < 0 else end + 2
    depth, quote = 0, ""
    for index in range(start + 1, len(text)):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "<":
            depth += 1
        elif char == ">":
            if depth == 0:
                return index + 1
            depth -= 1
    return len(text)


# --- HTML Purifier with pixelfed's config/purify.php -----------------------------------

PURIFIER_ALLOWED = frozenset({"a", "p", "span", "br"})
"""`HTML.Allowed` with RESTRICT_HTML_TYPES on (the default): other elements are removed,
their text kept."""
_MARKUP = re.compile(r"<!--.*?-->|</?([A-Za-z][A-Za-z0-9]*)\b[^<>]*>", re.DOTALL)
_WHITESPACE = re.compile(r"\s+")


def purify(text: str | None, collapse_whitespace: bool = False) -> str:
    """`Purify::clean($text)`: text escaped (`&`, `<`, `>`), disallowed tags removed.

    Entities in the input are read first, so `&amp;` stays `&amp;` and `&` becomes it.
    Allowed tags are kept as written (the real purifier also rewrites their attributes;
    nothing we send has any). `collapse_whitespace` is pixelfed 0.12's extra step.
    `None` (a missing field) becomes "", as `Purify::clean(null)` does.
    """
    if text is None:
        return ""
    parts: list[str] = []
    position = 0
    for match in _MARKUP.finditer(text):
        parts.append(_escape_text(text[position : match.start()]))
        name = (match.group(1) or "").lower()
        if name in PURIFIER_ALLOWED:
            parts.append(match.group(0))
        position = match.end()
    parts.append(_escape_text(text[position:]))
    cleaned = "".join(parts)
    if collapse_whitespace:
        cleaned = _WHITESPACE.sub(" ", cleaned).strip()
    return cleaned


def _escape_text(text: str) -> str:
    return html.escape(html.unescape(text), quote=False)


# --- hashtags and the rendered content -------------------------------------------------

TAG_PATTERN = re.compile(r"(?<![\w&/#\uff03])[#\uff03](\w+)")
"""Regex.php `valid_hashtag`: `#` or the full-width `＃` after no letter, digit, `_` or `&`."""
URL_PATTERN = re.compile(r"https?://[^\s<]+")
MAX_TAGS = 60
"""`Status::MAX_HASHTAGS`: the extractor keeps the first 60."""
MAX_TAG_LENGTH = 124


def _is_hashtag(name: str) -> bool:
    """pixelfed's Extractor: a hashtag needs a letter (`#2024` is text) and at most 124
    characters; only the first 60 such matches count (Status::MAX_HASHTAGS)."""
    return len(name) <= MAX_TAG_LENGTH and any(c.isalpha() for c in name)


def _first_hashtags(caption: str) -> list[str]:
    return [name for name in TAG_PATTERN.findall(caption) if _is_hashtag(name)][:MAX_TAGS]


def extract_tags(caption: str | None) -> list[str]:
    """The hashtags stored for a post: of the first 60 hashtags, each name once (C7)."""
    tags: list[str] = []
    for name in _first_hashtags(caption or ""):
        if name.lower() not in (t.lower() for t in tags):
            tags.append(name)
    return tags


def render_caption(caption: str | None, base_url: str, line_breaks: bool = False) -> str | None:
    """The HTML `content`: `Autolink::create()->autolink($caption)`, which links URLs and
    the first 60 hashtags but does not escape the text; edits also run `nl2br` (C8). A
    cleared caption has no content at all (`null`)."""
    if not caption:
        return None
    linked = URL_PATTERN.sub(
        lambda m: f'<a href="{m.group(0)}" rel="external nofollow noopener">{m.group(0)}</a>',
        caption,
    )
    budget = [MAX_TAGS]

    def link(match: re.Match[str]) -> str:
        name = match.group(1)
        if not _is_hashtag(name) or budget[0] == 0:
            return match.group(0)
        budget[0] -= 1
        return (
            f'<a href="{base_url}/discover/tags/{name.lower()}?src=hash" '
            f'title="#{name}" class="u-url hashtag" rel="external nofollow noopener">'
            f"#{name}</a>"
        )

    linked = TAG_PATTERN.sub(link, linked)
    return linked.replace("\n", "<br />\n") if line_breaks else linked
