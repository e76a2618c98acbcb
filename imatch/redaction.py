"""Keep secrets out of logs written by the HTTP libraries we use.

httpx logs every request URL at INFO level, and IMatch's `auth_token` travels in the
query string of every GET. A filter on those loggers masks secret parameters and bearer
tokens in each record before any handler sees it.
"""

from __future__ import annotations

import logging
import re

SECRET_NAMES = (
    "auth_token",
    "access_token",
    "oauth_token",
    "oauth_token_secret",
    "oauth_signature",
    "oauth_verifier",
    "oauth_consumer_key",
    "api_key",
    "api_sig",
    "password",
    "client_secret",
    "token",
)
MASK = "***"
_PARAMETER = re.compile(
    r"(?i)\b(" + "|".join(re.escape(n) for n in SECRET_NAMES) + r")=([^&\s\"',]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
HTTP_LOGGERS = ("httpx", "httpcore", "urllib3", "requests_oauthlib", "oauthlib", "flickrapi")


_VALUE = re.compile(r"[^&\s\"',]+")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def redact_text(text: str) -> str:
    """`text` with secret query/form parameters and bearer tokens masked."""
    if not text.isascii():
        # Case-insensitive matching of other scripts (the Kelvin sign is a `k`) is the
        # patterns' own.
        return _BEARER.sub(rf"\1 {MASK}", _PARAMETER.sub(rf"\1={MASK}", text))
    lowered = text.lower()
    if "=" in text:
        text = _masked_parameters(text, lowered)
        lowered = text.lower()
    if "bearer" in lowered:
        text = _BEARER.sub(rf"\1 {MASK}", text)
    return text


def _masked_parameters(text: str, lowered: str) -> str:
    """What `_PARAMETER.sub` makes of ASCII `text`, found from its `=` signs: a request
    line carries hundreds of ids and a handful of `=`, and the case-insensitive pattern
    tried every name at every character (twice a request: 6 % of a dry run's CPU)."""
    parts: list[str] = []
    done = 0  # where the text not yet copied starts (the pattern's matches never overlap)
    equals = text.find("=")
    while equals != -1:
        if any(_ends_a_name(text, lowered, n, done, equals) for n in SECRET_NAMES):
            value = _VALUE.match(text, equals + 1)
            if value:
                parts += [text[done : equals + 1], MASK]
                done = value.end()
        equals = text.find("=", max(equals + 1, done))
    parts.append(text[done:])
    return "".join(parts)


def _ends_a_name(text: str, lowered: str, name: str, earliest: int, end: int) -> bool:
    """`name` (any case) ends at `end`, starts at `earliest` or later, after no letter,
    digit or underscore (the pattern's word boundary)."""
    start = end - len(name)
    return (
        start >= earliest
        and lowered.startswith(name, start, end)
        and (start == 0 or text[start - 1] not in _WORD)
    )


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with secrets masked (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = RedactingFilter()


def protect_loggers(names: tuple[str, ...] = HTTP_LOGGERS) -> None:
    """Install the redacting filter on the named loggers (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
