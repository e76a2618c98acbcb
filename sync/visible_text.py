"""What a text shows: IMatch fields and record ids typed with only invisible characters
(zero-width and no-break spaces, joiners, Hangul fillers) count as empty, and a
category's description says its album or group id on its first line that shows."""

from __future__ import annotations

import unicodedata

# Characters that show nothing even though they are not whitespace (Hangul fillers,
# braille blank); format characters (category Cf) are found by category.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_PRINTABLE_ASCII = frozenset(chr(code) for code in range(0x21, 0x7F))


def visible(text: str) -> str:
    """`text` trimmed, or empty when it shows nothing (only whitespace, zero-width
    spaces and joiners, no-break spaces, other invisible characters)."""
    text = text.strip()
    # Most texts start with a printable ASCII character, which is never invisible.
    if text and text[0] in _PRINTABLE_ASCII:
        return text
    if any(not _invisible(c) for c in text):
        return text
    return ""


def _invisible(char: str) -> bool:
    return (
        char.isspace()
        or unicodedata.category(char) in ("Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me")
        or char in _BLANK_LETTERS
    )


def first_line(text: str) -> str:
    """The trimmed first non-empty line (album and group ids live there)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
