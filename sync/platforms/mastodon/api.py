"""The HTTP side of the Mastodon adapter: one client, answers classified, rate limits kept.

Besides the engine's per-platform limiter (Mastodon allows 300 API calls per 5 minutes
per token, `config/initializers/rack_attack.rb`), three of Mastodon's own limits are
paced here, each with a limiter that shares the engine's clock, sleep and listeners so
its waits are announced like any other: media uploads (30 per 30 minutes per account),
status deletions (30 per 30 minutes) and status creations plus edits (300 per 3 hours,
`RateLimiter::FAMILIES[:statuses]`). A 429 pauses the limiter of the call's family until
the time in `X-RateLimit-Reset`, and so does a successful answer that says no calls
remain (`X-RateLimit-Remaining: 0`), so the next call waits instead of meeting the 429.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from sync.platforms.base import (
    PlatformError,
    RateLimited,
    RateLimiter,
    Tally,
    TransientError,
    bearer_client,
    uncertain,
)
from sync.platforms.mastodon.errors import body_of, error_for_answer, reset_seconds
from sync.platforms.mastodon.settings import checked_base_url

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 60.0
MEDIA = "media"
DELETE = "delete"
STATUSES = "statuses"
FAMILY_PACE = {
    MEDIA: (60.0, 30),
    DELETE: (60.0, 30),
    STATUSES: (100.0, 300),
}
"""Family -> (calls per hour on average, burst): Mastodon's windows as token buckets."""


class MastodonAPI:
    """Authenticated calls to one Mastodon server; only successful answers come back."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = checked_base_url(base_url)
        self._wall_clock = wall_clock
        self._limiter = limiter
        self._families = {
            name: RateLimiter(
                rate_per_hour=rate,
                burst=burst,
                clock=limiter.clock,
                sleep=limiter.sleep,
                listeners=limiter.listeners,
            )
            for name, (rate, burst) in FAMILY_PACE.items()
            if limiter is not None
        }
        self._http = bearer_client(self.base_url, token, timeout, transport)

    async def close(self) -> None:
        await self._http.aclose()

    async def object(
        self,
        method: str,
        path: str,
        tally: Tally,
        *,
        family: str | None = None,
        needs_id: bool = True,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A call whose answer must be a JSON object (with an `id` unless told otherwise)."""
        body = await self.json(method, path, tally, family=family, **kwargs)
        if not isinstance(body, dict) or (needs_id and body.get("id") in (None, "")):
            raise self._unexpected(method, path, "without the expected data")
        return body

    async def json(
        self, method: str, path: str, tally: Tally, *, family: str | None = None, **kwargs: Any
    ) -> Any:
        response = await self.request(method, path, tally, family=family, **kwargs)
        body = body_of(response)
        if body is None:
            raise self._unexpected(method, path, "with something that is not JSON")
        return body

    async def request(
        self, method: str, path: str, tally: Tally, *, family: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One request, classified: returns successful answers (2xx), raises the rest."""
        changes_something = method != "GET"
        if self._limiter is not None:
            await self._limiter.acquire()
        family_limiter = self._families.get(family or "")
        if family_limiter is not None:
            await family_limiter.acquire()
        tally.calls += 1
        try:
            response = await self._http.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # The request never left: nothing can have happened, even for a write.
            raise TransientError(
                f"could not reach Mastodon at {self.base_url} ({type(exc).__name__})"
            ) from exc
        except httpx.TimeoutException as exc:
            raise self._lost(method, path, "did not answer in time", changes_something) from exc
        except httpx.TransportError as exc:
            detail = f"the connection broke ({type(exc).__name__})"
            raise self._lost(method, path, detail, changes_something) from exc
        log.debug("mastodon %s %s -> %s", method, path, response.status_code)
        error = error_for_answer(response, changes_something, self._wall_clock)
        limiter = family_limiter or self._limiter
        if error is None:
            if response.headers.get("x-ratelimit-remaining", "").strip() == "0":
                # The window is used up: wait for its end instead of meeting a 429.
                wait = reset_seconds(response, self._wall_clock)
                if wait and limiter is not None:
                    limiter.pause(wait)
            return response
        if isinstance(error, RateLimited) and error.retry_after and limiter is not None:
            limiter.pause(error.retry_after)
        raise error

    @staticmethod
    def _lost(method: str, path: str, detail: str, changes_something: bool) -> PlatformError:
        text = f"Mastodon {method} {path}: {detail}"
        return uncertain(text, changes_something)

    @staticmethod
    def _unexpected(method: str, path: str, detail: str) -> PlatformError:
        text = f"Mastodon answered {method} {path} {detail}"
        return uncertain(text, method != "GET")
