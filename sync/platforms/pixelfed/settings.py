"""pixelfed's settings and credentials: the original tool's app variables, defaults, address.

App variables `pixelfed_token`, `pixelfed_url`, `pixelfed_visibility`; the environment
(`IMATCH_SOCIALS_PIXELFED_TOKEN`, `..._URL`) and config.toml `[pixelfed] url` /
`visibility` win over them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from imatch.models import AppVariables
from sync.config import ENV_PREFIX, PlatformSettings, setting_source
from sync.platforms.base import checked_server_url

NAME = "pixelfed"
RECORD_KEYS = ("media_id", "status_id")
APP_VARIABLE_NAMES = ("pixelfed_token", "pixelfed_url", "pixelfed_visibility")


@dataclass(frozen=True)
class PixelfedCredentials:
    """The pixelfed app variables. `repr` never shows the token."""

    pixelfed_token: str = field(default="", repr=False)
    pixelfed_url: str = ""
    pixelfed_visibility: str = "public"
    url_setting: str = field(default="pixelfed_url", compare=False)
    """Where the address was set (config.toml, the environment or the app variable)."""
    visibility_setting: str = field(default="pixelfed_visibility", compare=False)

    @property
    def complete(self) -> bool:
        return bool(self.pixelfed_url and self.pixelfed_token)


CALLS_PER_HOUR = 180_000.0
"""50 calls a second: a ceiling, not a pace pixelfed asks for."""


def default_settings() -> PlatformSettings:
    # pixelfed throttles no API call (its `api` middleware group has no `throttle`);
    # it caps uploads (1,250) and posts (1,000) per day and alt-text updates (10 a
    # minute, paced by the adapter itself): sandbox/FIDELITY.md cites its code. Our
    # own pace is only a ceiling against a runaway loop, high enough that photos in
    # flight pay off (50 ms a call, 4 photos: about 40 calls a second).
    return PlatformSettings(
        require=("title", "description", "headline", "keywords", "genre"),
        rate_per_hour=CALLS_PER_HOUR,
    )


def credentials_from(
    variables: AppVariables, settings: PlatformSettings, environ: Mapping[str, str] | None = None
) -> PixelfedCredentials:
    environ = os.environ if environ is None else environ

    def env(name: str) -> str:
        return environ.get(f"{ENV_PREFIX}{name.upper()}", "").strip()

    return PixelfedCredentials(
        pixelfed_token=env("pixelfed_token") or variables.text("pixelfed_token"),
        pixelfed_url=env("pixelfed_url") or settings.url or variables.text("pixelfed_url"),
        pixelfed_visibility=(
            settings.visibility.strip() or variables.text("pixelfed_visibility", "public")
        ).lower(),
        url_setting=setting_source(NAME, "url", settings, environ, environment_wins=True),
        visibility_setting=setting_source(NAME, "visibility", settings, environ),
    )


class PixelfedConfigError(ValueError):
    """A setting that cannot work (e.g. an http:// address of a remote server)."""


def checked_base_url(base_url: str, setting: str = "pixelfed_url") -> str:
    """`base_url` without a trailing slash; refuses an address that is no server and plain
    http to anything but loopback. `setting` names where the address was set."""
    try:
        return checked_server_url(
            base_url, setting, "an https:// address, e.g. https://pixelfed.social"
        )
    except ValueError as error:
        raise PixelfedConfigError(str(error)) from None
