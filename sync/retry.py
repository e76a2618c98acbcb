"""Retrying transient failures: exponential back-off with jitter, Retry-After honoured.

Every remote call the engine makes goes through `retrying`. The clock and the sleep it
waits with are part of the `RetryPolicy`, so tests (and the fault soak) run on fake time.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sync.platforms.base import AmbiguousError, RateLimited, TransientError

T = TypeVar("T")


@dataclass
class RetryPolicy:
    """How long to keep trying, and the clock and sleep every wait uses (tests fake them)."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 120.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic


async def retrying(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
    recover: Callable[[], Awaitable[T | None]] | None = None,
    announce: Callable[[float, str], None] | None = None,
) -> T:
    """Call `attempt` until it succeeds, retrying transient failures with back-off and
    jitter, and waiting exactly as long as a platform's Retry-After asks.

    After an ambiguous failure the change may have happened: `recover` looks for it,
    and the change is only attempted again once `recover` has answered "not there".
    A failing look is itself retried; it never leads to a blind second attempt.
    `announce(seconds, reason)` hears about every wait (`rate limit` or `retry`).
    """
    delay = policy.base_delay
    unresolved = False
    for number in range(policy.attempts):
        last = number == policy.attempts - 1
        try:
            if unresolved and recover is not None:
                found = await recover()
                if found is not None:
                    return found
                unresolved = False
            return await attempt()
        except RateLimited as error:
            if last:
                raise
            wait, reason = (
                (error.retry_after if error.retry_after is not None else delay),
                "rate limit",
            )
        except AmbiguousError:
            if last:
                raise
            unresolved = True
            wait, reason = delay * (0.5 + random.random()), "retry"
        except TransientError:
            if last:
                raise
            wait, reason = delay * (0.5 + random.random()), "retry"
        if announce is not None:
            announce(wait, reason)
        await policy.sleep(min(wait, policy.max_delay))
        delay = min(delay * 2, policy.max_delay)
    raise AssertionError("unreachable")
