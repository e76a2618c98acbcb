"""The log file (in the platformdirs log folder), with secrets masked in every record."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from imatch.redaction import RedactingFilter, protect_loggers
from sync import paths

LOG_FILE = "imatch-socials.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(level: int = logging.INFO) -> Path:
    """Log to a rotating file; returns its path. Safe to call more than once."""
    directory = paths.log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOG_FILE
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_imatch_socials", False):
            root.removeHandler(handler)
            handler.close()
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter())
    handler._imatch_socials = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    protect_loggers()
    return path
