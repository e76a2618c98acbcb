"""The HTTP side of the pixelfed adapter: one client, every answer classified, the pace kept.

Each call waits for the engine's limiter of the platform (pixelfed throttles no API call
itself; the limiter is a ceiling against a runaway loop) and counts in the operation's
`Tally`. Answers are classified by `errors.error_for_answer` (pixelfed's status codes are
unreliable, its bodies are not); only successful answers come back. A 429 pauses the
limiter for its `Retry-After`. A never-active account gets 200 `[]` from upload and status
create (C1): that is a login problem, not data.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from sync.platforms.base import (
    AuthError,
    RateLimited,
    RateLimiter,
    Tally,
    TransientError,
    bearer_client,
    uncertain,
)
from sync.platforms.pixelfed.errors import body_of, error_for_answer
from sync.platforms.pixelfed.settings import checked_base_url

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 60.0
INACTIVE_ACCOUNT = (
    "pixelfed answered with an empty result: the account has never been active on the "
    "web site; sign in to pixelfed in a browser once, then try again"
)


class PixelfedAPI:
    """Authenticated calls to one pixelfed instance; only successful answers come back."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = checked_base_url(base_url)
        self.limiter = limiter
        self._http = bearer_client(self.base_url, token, timeout, transport)

    async def close(self) -> None:
        await self._http.aclose()

    async def get_object(self, path: str, tally: Tally, needs_id: bool = True) -> dict[str, Any]:
        return await self.object("GET", path, tally, needs_id=needs_id)

    async def object(
        self, method: str, path: str, tally: Tally, needs_id: bool = True, **kwargs: Any
    ) -> dict[str, Any]:
        """A call whose answer must be a JSON object (with an `id` unless told otherwise)."""
        body = await self.json(method, path, tally, **kwargs)
        if body == []:
            # C1: a never-active account gets 200 `[]` from upload and status create.
            raise AuthError(INACTIVE_ACCOUNT)
        if not isinstance(body, dict) or (needs_id and body.get("id") in (None, "")):
            detail = f"pixelfed answered {method} {path} without the expected data"
            raise uncertain(detail, method != "GET")
        return body

    async def json(self, method: str, path: str, tally: Tally, **kwargs: Any) -> Any:
        response = await self.request(method, path, tally, **kwargs)
        body = body_of(response)
        if body is None:
            detail = f"pixelfed answered {method} {path} with something that is not JSON"
            raise uncertain(detail, method != "GET")
        return body

    async def request(self, method: str, path: str, tally: Tally, **kwargs: Any) -> httpx.Response:
        """One request, classified: returns only successful answers, raises the rest."""
        changes_something = method != "GET"
        if self.limiter is not None:
            await self.limiter.acquire()
        tally.calls += 1
        try:
            response = await self._http.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # The request never left: nothing can have happened, even for a write.
            raise TransientError(self._unreachable(exc)) from exc
        except httpx.TimeoutException as exc:
            detail = f"pixelfed did not answer {method} {path} in time"
            raise uncertain(detail, changes_something) from exc
        except httpx.RequestError as exc:
            # Every other failure of the exchange: reset, cut off, a broken proxy or answer.
            detail = f"the connection broke during {method} {path} ({type(exc).__name__})"
            raise uncertain(detail, changes_something) from exc
        log.debug("pixelfed %s %s -> %s", method, path, response.status_code)
        error = error_for_answer(response, changes_something)
        if error is None:
            return response
        if isinstance(error, RateLimited) and error.retry_after and self.limiter:
            self.limiter.pause(error.retry_after)
        raise error

    def _unreachable(self, exc: Exception) -> str:
        return f"could not reach pixelfed at {self.base_url} ({type(exc).__name__})"
