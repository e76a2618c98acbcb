"""Where imatch-socials keeps its configuration, state (journal, tokens) and logs.

platformdirs decides per operating system; `IMATCH_SOCIALS_CONFIG` points at another
config file and `IMATCH_SOCIALS_HOME` moves config, state and logs under one folder
(used by the demo and the tests for throw-away state).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "imatch-socials"
HOME_VARIABLE = "IMATCH_SOCIALS_HOME"
CONFIG_VARIABLE = "IMATCH_SOCIALS_CONFIG"


def _home(environ: Mapping[str, str] | None = None) -> Path | None:
    value = (os.environ if environ is None else environ).get(HOME_VARIABLE, "").strip()
    return Path(value) if value else None


def config_file(environ: Mapping[str, str] | None = None) -> Path:
    explicit = (os.environ if environ is None else environ).get(CONFIG_VARIABLE, "").strip()
    if explicit:
        return Path(explicit)
    home = _home(environ)
    base = home / "config" if home else platformdirs.user_config_path(APP_NAME)
    return base / "config.toml"


def state_dir() -> Path:
    home = _home()
    return home / "state" if home else platformdirs.user_state_path(APP_NAME)


def log_dir() -> Path:
    home = _home()
    return home / "logs" if home else platformdirs.user_log_path(APP_NAME)
