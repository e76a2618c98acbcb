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


def redact_text(text: str) -> str:
    """`text` with secret query/form parameters and bearer tokens masked."""
    return _BEARER.sub(rf"\1 {MASK}", _PARAMETER.sub(rf"\1={MASK}", text))


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
