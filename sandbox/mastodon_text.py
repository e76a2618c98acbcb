"""What Mastodon does with a status's text: how it is counted against the character limit
(`StatusLengthValidator`), which hashtags it holds (`Tag::HASHTAG_RE`) and the HTML
`content` it is rendered to (`TextFormatter`); and Paperclip's way of writing a size.

pixelfed's text rules (`strip_tags`, the purifier, 60 hashtags) are in
`sandbox/pixelfed_text.py`.
"""

from __future__ import annotations

import html
import re
import unicodedata

# --- counting and rendering a status (StatusLengthValidator, TextFormatter) ----------------------

URL_PLACEHOLDER = "x" * 23
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_MENTION = re.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(@\w+(?:[.-]+\w+)*)?", re.IGNORECASE
)
_HASHTAG = re.compile(r"(?:^|(?<=\s))[#＃](\w*[^\W\d]\w*)")
_TRAILING_PUNCTUATION = ".,;:!?'\")]}"


def _urls(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        spans.append((match.start(), match.start() + len(url)))
    return spans


def countable_text(text: str) -> str:
    """The text with every URL replaced by 23 characters and mentions by their local part."""
    out, last = [], 0
    for start, end in _urls(text):
        out += [text[last:start], URL_PLACEHOLDER]
        last = end
    out.append(text[last:])
    return _MENTION.sub(lambda m: "@" + m.group(1), "".join(out))


def grapheme_clusters(text: str) -> int:
    """Extended grapheme clusters, for the scripts and emoji a caption holds: marks,
    variation selectors, emoji modifiers and tags and ZWJ sequences join the previous
    cluster; regional indicators pair into flags; CR LF is one."""
    clusters = 0
    after_joiner = False
    pending_flag = False
    previous = ""
    for char in text:
        code = ord(char)
        extends = (
            unicodedata.category(char) in ("Mn", "Mc", "Me")
            or 0xFE00 <= code <= 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF
            or 0xE0020 <= code <= 0xE007F
            or code == 0x200D
        )
        if 0x1F1E6 <= code <= 0x1F1FF:
            if pending_flag:
                pending_flag = False
                previous = char
                continue
            pending_flag = True
        else:
            pending_flag = False
        if not (extends or after_joiner or (previous == "\r" and char == "\n")):
            clusters += 1
        after_joiner = code == 0x200D
        previous = char
    return clusters


def status_length(text: str, spoiler_text: str) -> int:
    return grapheme_clusters(spoiler_text + countable_text(text))


def hashtags(text: str) -> list[str]:
    """`Tag::HASHTAG_RE` names, first spelling kept, case-insensitively unique."""
    seen: dict[str, str] = {}
    for name in _HASHTAG.findall(text):
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def render_content(text: str, base: str) -> str:
    """`TextFormatter`: paragraphs, `<br />`, escaped text, linked URLs and hashtags."""
    if not text:
        return ""
    paragraphs = re.split(r"\n\n+", text.replace("\r\n", "\n"))
    return "".join(f"<p>{_render_line(p, base).replace(chr(10), '<br />')}</p>" for p in paragraphs)


def _render_line(text: str, base: str) -> str:
    out, last = [], 0
    for start, end in _urls(text):
        out.append(_render_words(text[last:start], base))
        url = text[start:end]
        scheme, _, rest = url.partition("://")
        out.append(
            f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" '
            f'translate="no"><span class="invisible">{scheme}://</span>'
            f'<span class="">{html.escape(rest)}</span><span class="invisible"></span></a>'
        )
        last = end
    out.append(_render_words(text[last:], base))
    return "".join(out)


def _render_words(text: str, base: str) -> str:
    escaped = html.escape(text, quote=False)
    return _HASHTAG.sub(
        lambda m: (
            f'<a href="{base}/tags/{m.group(1).lower()}" class="mention hashtag" rel="tag">'
            f"#<span>{m.group(1)}</span></a>"
        ),
        escaped,
    )


def human_size(size: int) -> str:
    """Paperclip's `human_size` for limits (`16 MB`)."""
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.0f} MB" if megabytes.is_integer() else f"{megabytes:.1f} MB"
