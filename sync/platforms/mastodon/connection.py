"""Opening the Mastodon adapter from its settings and credentials, with clear set-up errors."""

from __future__ import annotations

from sync.config import PlatformSettings
from sync.platforms.base import RateLimiter
from sync.platforms.mastodon.platform import MastodonPlatform
from sync.platforms.mastodon.settings import (
    MastodonConfigError,
    MastodonCredentials,
    setup_problem,
)


def open_mastodon(
    settings: PlatformSettings,
    credentials: MastodonCredentials,
    limiter: RateLimiter | None = None,
) -> MastodonPlatform:
    """The adapter, not yet connected. Raises MastodonConfigError (a ValueError) naming
    the app variable to set when something is missing or unusable."""
    problem = setup_problem(credentials)
    if problem is not None:
        raise MastodonConfigError(problem)
    return MastodonPlatform(
        credentials.mastodon_url,
        credentials.mastodon_token,
        limiter=limiter or RateLimiter(rate_per_hour=settings.rate_per_hour),
    )
