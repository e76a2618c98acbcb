"""The log file (in the platformdirs log folder), with secrets masked in every record.

The log names private photos and their URLs: on POSIX its folder is 0700 and every file
of it (the rotated ones too) 0600, created so before anything is written.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from imatch.redaction import RedactingFilter, protect_loggers
from sync import paths
from sync.state_db import make_private_file, make_private_folder

LOG_FILE = "imatch-socials.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


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
    handler._imatch_socials = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    protect_loggers()
    return path
