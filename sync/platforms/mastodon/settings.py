"""Mastodon's settings and credentials: the original tool's app variables, checked.

The original tool read `mastodon_token`, `mastodon_url` and `mastodon_visibility` from
IMatch application variables and wrote the attribute set `mastodon` (`posted`,
`media_id`, `status_id`, `url`). The same names are used here; environment variables
(`IMATCH_SOCIALS_MASTODON_TOKEN`, `..._URL`) win over the app variables, and
config.toml `[mastodon] url` / `visibility` win over theirs, as for pixelfed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from imatch.models import AppVariables
from sync.config import ENV_PREFIX, PlatformSettings, setting_source
from sync.platforms.base import checked_server_url

NAME = "mastodon"
ATTRIBUTE_SET = "mastodon"
RECORD_KEYS = ("media_id", "status_id")
APP_VARIABLE_NAMES = ("mastodon_token", "mastodon_url", "mastodon_visibility")
VISIBILITIES = ("public", "unlisted", "private", "direct")
DEFAULT_VISIBILITY = "public"

# 300 calls per 5 minutes per token is Mastodon's API limit (3600 an hour); staying at
# 3000 leaves room for the reads a run makes around its writes.
DEFAULT_RATE_PER_HOUR = 3000.0
# Uploads are capped at 30 per 30 minutes anyway; two in flight keep the pipe full.
DEFAULT_CONCURRENCY = 2


class MastodonConfigError(ValueError):
    """A Mastodon setting that cannot work; the message names the setting and the fix."""


@dataclass(frozen=True)
class MastodonCredentials:
    """The Mastodon app variables. `repr` never shows the token."""

    mastodon_token: str = field(default="", repr=False)
    mastodon_url: str = ""
    mastodon_visibility: str = DEFAULT_VISIBILITY
    url_setting: str = field(default="mastodon_url", compare=False)
    """Where the address was set (config.toml, the environment or the app variable)."""
    visibility_setting: str = field(default="mastodon_visibility", compare=False)

    @property
    def complete(self) -> bool:
        """Both the address and the token are set (the platform can be tried)."""
        return bool(self.mastodon_url.strip() and self.mastodon_token.strip())


def default_settings() -> PlatformSettings:
    """The `[mastodon]` section's defaults (the headline is the alt text, so required)."""
    return PlatformSettings(
        require=("title", "description", "headline", "keywords", "genre"),
        concurrency=DEFAULT_CONCURRENCY,
        rate_per_hour=DEFAULT_RATE_PER_HOUR,
    )


def credentials_from(
    variables: AppVariables,
    settings: PlatformSettings,
    environ: Mapping[str, str] | None = None,
) -> MastodonCredentials:
    """The credentials from app variables, config.toml `[mastodon]` and the environment."""
    environ = os.environ if environ is None else environ

    def env(name: str) -> str:
        return environ.get(f"{ENV_PREFIX}{name.upper()}", "").strip()

    return MastodonCredentials(
        mastodon_token=env("mastodon_token") or variables.text("mastodon_token"),
        mastodon_url=env("mastodon_url") or settings.url.strip() or variables.text("mastodon_url"),
        mastodon_visibility=(
            settings.visibility.strip() or variables.text("mastodon_visibility", DEFAULT_VISIBILITY)
        ).lower(),
        url_setting=setting_source(NAME, "url", settings, environ, environment_wins=True),
        visibility_setting=setting_source(NAME, "visibility", settings, environ),
    )


def checked_base_url(base_url: str, setting: str = "mastodon_url") -> str:
    """`base_url` without a trailing slash; refuses an address that is no server and plain
    http to anything but loopback. `setting` names where the address was set."""
    try:
        return checked_server_url(
            base_url,
            setting,
            "your Mastodon server's https:// address, e.g. https://mastodon.social",
        )
    except ValueError as error:
        raise MastodonConfigError(str(error)) from None


def visibility_problem(visibility: str, setting: str = "mastodon_visibility") -> str | None:
    """Why `visibility` cannot be used, or None when it can; `setting` names where it was set."""
    if visibility in VISIBILITIES:
        return None
    return (
        f"{setting} is {visibility!r}: use public, unlisted, private (followers "
        "only) or direct (only the accounts the post mentions, so nobody else)"
    )


def setup_problem(credentials: MastodonCredentials) -> str | None:
    """What must be set up before Mastodon can run, or None when nothing is missing."""
    if not credentials.mastodon_url.strip():
        return (
            "mastodon needs your server's address: set the IMatch application variable "
            "mastodon_url (e.g. https://mastodon.social)"
        )
    try:
        checked_base_url(credentials.mastodon_url, credentials.url_setting)
    except MastodonConfigError as error:
        return str(error)
    if not credentials.mastodon_token.strip():
        return (
            "mastodon needs an access token: create one on your server (Preferences > "
            "Development > New application, scopes read and write) and put it in the IMatch "
            "application variable mastodon_token"
        )
    return visibility_problem(credentials.mastodon_visibility, credentials.visibility_setting)
