"""The log file (in the platformdirs log folder), with secrets masked in every record.

The log names private photos and their URLs: on POSIX its folder is 0700 and every file
of it (the rotated ones too) 0600, created so before anything is written. Routine lines
keep only the start of a very long value (an IMatch request carries up to 500 ids), so
the five rotated files hold many runs' history, not one large scan's request lines.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

from imatch.redaction import RedactingFilter, protect_loggers
from sync import paths
from sync.state_db import make_private_file, make_private_folder

LOG_FILE = "imatch-socials.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
LONG_VALUE_KEPT = 120
"""Characters kept of a value longer than `_LONG_VALUE` in a routine (below WARNING) line."""
_LONG_VALUE = re.compile(rf"[^\s&\"']{{{2 * LONG_VALUE_KEPT},}}")


class LongValueShortener(logging.Filter):
    """Cuts values of hundreds of characters (a URL's list of ids) in lines below WARNING
    to their start and how much was left out. Runs after the secrets are masked, so a
    secret is never cut into a piece the masking would not recognise."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        message = record.getMessage()
        if len(message) < 2 * LONG_VALUE_KEPT:
            return True
        shortened = _LONG_VALUE.sub(_shorten, message)
        if shortened != message:
            record.msg = shortened
            record.args = None
        return True


def _shorten(match: re.Match[str]) -> str:
    value = match.group()
    return f"{value[:LONG_VALUE_KEPT]}…[{len(value) - LONG_VALUE_KEPT} characters left out]"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file is private to the user (0600 on POSIX)."""

    def _open(self):  # type: ignore[no-untyped-def]  # the standard library's signature
        make_private_file(Path(self.baseFilename))
        return super()._open()


def setup_logging(level: int = logging.INFO) -> Path:
    """Log to a rotating file; returns its path. Safe to call more than once."""
    directory = paths.log_dir()
    make_private_folder(directory)
    path = directory / LOG_FILE
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_imatch_socials", False):
            root.removeHandler(handler)
            handler.close()
    handler = PrivateRotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter())
    handler.addFilter(LongValueShortener())
    handler._imatch_socials = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    protect_loggers()
    return path
