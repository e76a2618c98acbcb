"""flickr's settings and credentials: the original tool's app variables and defaults.

App variables `flickr_api_key` and `flickr_api_secret` (also the original code's
spellings `flickr_apikey`, `flickr_apisecret`), `flickr_is_public`, `flickr_is_friend`,
`flickr_is_family` and `flickr_url`; environment variables `IMATCH_SOCIALS_FLICKR_API_KEY`
and so on win. Nothing here imports flickrapi.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from imatch.models import AppVariables
from sync.config import ENV_PREFIX, PlatformSettings

NAME = "flickr"
RECORD_KEYS = ("photo_id",)
APP_VARIABLE_NAMES = (
    "flickr_api_key",
    "flickr_apikey",
    "flickr_api_secret",
    "flickr_apisecret",
    "flickr_is_public",
    "flickr_is_friend",
    "flickr_is_family",
    "flickr_url",
)


@dataclass(frozen=True)
class FlickrCredentials:
    """The flickr app variables. `repr` never shows a secret."""

    flickr_api_key: str = field(default="", repr=False)
    flickr_api_secret: str = field(default="", repr=False)
    flickr_is_public: bool = False
    flickr_is_friend: bool = False
    flickr_is_family: bool = False
    flickr_url: str = ""
    """The original's `flickr_url`: the photostream whose address + `/<photo id>` is
    recorded as a photo's `url` (empty: flickr's own photo page)."""

    @property
    def complete(self) -> bool:
        return bool(self.flickr_api_key and self.flickr_api_secret)


def default_settings() -> PlatformSettings:
    # flickr calls go through one thread anyway; a second photo in flight lets IMatch
    # write-backs overlap with the next flickr call. 3600 calls an hour is flickr's limit.
    return PlatformSettings(concurrency=2, rate_per_hour=3600.0)


def credentials_from(
    variables: AppVariables, settings: PlatformSettings, environ: Mapping[str, str] | None = None
) -> FlickrCredentials:
    """Credentials from IMatch app variables (both spellings), then the environment."""
    environ = os.environ if environ is None else environ

    def env(name: str) -> str:
        return environ.get(f"{ENV_PREFIX}{name.upper()}", "").strip()

    return FlickrCredentials(
        flickr_api_key=env("flickr_api_key") or variables.first("flickr_api_key", "flickr_apikey"),
        flickr_api_secret=env("flickr_api_secret")
        or variables.first("flickr_api_secret", "flickr_apisecret"),
        flickr_is_public=variables.flag("flickr_is_public"),
        flickr_is_friend=variables.flag("flickr_is_friend"),
        flickr_is_family=variables.flag("flickr_is_family"),
        flickr_url=env("flickr_url") or variables.text("flickr_url"),
    )
