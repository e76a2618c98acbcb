"""Mastodon, the third platform: settings, limits, renderer, adapter, login and fix texts.

Everything about Mastodon lives in this package; the core reaches it through these
names (see the module of each for the details and the Mastodon source it follows).
"""

from sync.platforms.mastodon.connection import open_mastodon
from sync.platforms.mastodon.detail import detail_fields
from sync.platforms.mastodon.errors import FIX_TEXTS
from sync.platforms.mastodon.limits import ServerLimits, default_limits, limits_from_instance
from sync.platforms.mastodon.platform import MastodonPlatform, check_login
from sync.platforms.mastodon.post import MastodonPost
from sync.platforms.mastodon.render import render_mastodon
from sync.platforms.mastodon.settings import (
    APP_VARIABLE_NAMES,
    ATTRIBUTE_SET,
    NAME,
    RECORD_KEYS,
    VISIBILITIES,
    MastodonConfigError,
    MastodonCredentials,
    checked_base_url,
    credentials_from,
    default_settings,
    setup_problem,
    visibility_problem,
)

__all__ = [
    "APP_VARIABLE_NAMES",
    "ATTRIBUTE_SET",
    "FIX_TEXTS",
    "NAME",
    "RECORD_KEYS",
    "VISIBILITIES",
    "MastodonConfigError",
    "MastodonCredentials",
    "MastodonPlatform",
    "MastodonPost",
    "ServerLimits",
    "check_login",
    "checked_base_url",
    "credentials_from",
    "default_limits",
    "default_settings",
    "detail_fields",
    "limits_from_instance",
    "open_mastodon",
    "render_mastodon",
    "setup_problem",
    "visibility_problem",
]
