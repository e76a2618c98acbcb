"""Opening a platform from the configuration and credentials, with clear set-up errors."""

from __future__ import annotations

from typing import Any

from sync.config import Credentials, Settings
from sync.platforms.base import Platform, RateLimiter
from sync.platforms.flickr.api import FlickrEndpoints
from sync.platforms.flickr.login import load_token
from sync.platforms.flickr.platform import FlickrPlatform
from sync.platforms.pixelfed.platform import PixelfedPlatform
from sync.secret_store import SecretStore


class SetupError(Exception):
    """Something the user must set up before this platform can run (says what)."""


def flickr_endpoints(settings: Settings) -> FlickrEndpoints:
    url = settings.flickr.url.strip()
    return FlickrEndpoints.for_base(url) if url else FlickrEndpoints()


def open_platform(
    name: str,
    settings: Settings,
    credentials: Credentials,
    store: SecretStore | None = None,
    limiter: RateLimiter | None = None,
) -> Platform[Any]:
    """The adapter for `name`, not yet connected. Raises SetupError for missing pieces."""
    own = settings.platform(name)
    limiter = limiter or RateLimiter(rate_per_hour=own.rate_per_hour)
    if name == "flickr":
        if not credentials.flickr_api_key or not credentials.flickr_api_secret:
            raise SetupError(
                "flickr needs an API key and secret: set the IMatch application variables "
                "flickr_api_key and flickr_api_secret"
            )
        token = load_token(store or SecretStore(), credentials.flickr_api_key)
        if token is None:
            raise SetupError("not logged in to flickr: run `imatch-socials login flickr`")
        photostream = credentials.flickr_url.strip()
        if photostream and not photostream.lower().startswith(("https://", "http://")):
            raise SetupError(
                f"flickr_url is {photostream!r}: set the IMatch application variable to your "
                "photostream's address, e.g. https://www.flickr.com/photos/yourname, or clear it"
            )
        return FlickrPlatform(
            credentials.flickr_api_key,
            credentials.flickr_api_secret,
            token,
            endpoints=flickr_endpoints(settings),
            limiter=limiter,
            formats=frozenset(f.upper() for f in own.formats),
            photostream_url=photostream,
        )
    if not credentials.pixelfed_url:
        raise SetupError(
            "pixelfed needs your instance's address: set the IMatch application variable "
            "pixelfed_url (e.g. https://pixelfed.social)"
        )
    if not credentials.pixelfed_token:
        raise SetupError(
            "pixelfed needs a personal access token: set the IMatch application variable "
            "pixelfed_token"
        )
    if credentials.pixelfed_visibility not in ("public", "unlisted", "private"):
        raise SetupError(
            f"pixelfed_visibility is {credentials.pixelfed_visibility!r}: use public, "
            "unlisted or private (pixelfed has no direct posts)"
        )
    try:
        return PixelfedPlatform(
            credentials.pixelfed_url, credentials.pixelfed_token, rate_limiter=limiter
        )
    except ValueError as error:
        raise SetupError(str(error)) from None
