"""`imatch-socials platforms`: the platforms this program knows, for people and for the
IMatch app (which builds its per-platform buttons from `--json`)."""

from __future__ import annotations

import json
import sys

from sync.config import load_settings
from sync.platforms import registry


def run_platforms(as_json: bool) -> int:
    """Print each registered platform, whether config.toml enables it, and its login."""
    settings = load_settings()
    rows = [
        {
            "name": spec.name,
            "enabled": settings.platform(spec.name).enabled,
            "login": spec.login_help,
        }
        for spec in registry.specs()
    ]
    if as_json:
        print(json.dumps({"platforms": rows}))
        return 0
    for row in rows:
        state = "enabled" if row["enabled"] else "disabled in config.toml"
        print(f"{row['name']}: {state}; login: {row['login']}", file=sys.stdout)
    return 0
