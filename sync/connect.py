"""Opening a platform from the configuration and credentials, with clear set-up errors."""

from __future__ import annotations

from typing import Any

from sync.config import Credentials, Settings
from sync.platforms import registry
from sync.platforms.base import Platform, RateLimiter
from sync.platforms.registry import OpenRequest, SetupError
from sync.secret_store import SecretStore

__all__ = ["SetupError", "open_platform"]


def open_platform(
    name: str,
    settings: Settings,
    credentials: Credentials,
    store: SecretStore | None = None,
    limiter: RateLimiter | None = None,
) -> Platform[Any]:
    """The adapter for `name`, not yet connected. Raises SetupError for missing pieces."""
    own = settings.platform(name)
    request = OpenRequest(
        settings=settings,
        credentials=credentials.of(name),
        store=store or SecretStore(),
        limiter=limiter or RateLimiter(rate_per_hour=own.rate_per_hour),
    )
    try:
        return registry.spec(name).open(request)
    except ValueError as error:  # a platform's own configuration error names the variable
        raise SetupError(str(error)) from None
