"""Mastodon, the third platform: settings, limits, renderer, adapter, login and fix texts.

Everything about Mastodon lives in this package; the core reaches it through its registry
entry (`spec`). The names below are imported when first used (PEP 562), so registering
the platform does not load its adapter.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "open_mastodon": "connection",
    "detail_fields": "detail",
    "FIX_TEXTS": "errors",
    "ServerLimits": "limits",
    "default_limits": "limits",
    "limits_from_instance": "limits",
    "MastodonPlatform": "platform",
    "check_login": "platform",
    "MastodonPost": "post",
    "render_mastodon": "render",
    "APP_VARIABLE_NAMES": "settings",
    "ATTRIBUTE_SET": "settings",
    "NAME": "settings",
    "RECORD_KEYS": "settings",
    "VISIBILITIES": "settings",
    "MastodonConfigError": "settings",
    "MastodonCredentials": "settings",
    "checked_base_url": "settings",
    "credentials_from": "settings",
    "default_settings": "settings",
    "setup_problem": "settings",
    "visibility_problem": "settings",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
