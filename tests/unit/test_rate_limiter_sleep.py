"""The limiter when its sleep does not wait: a wait asked for counts as waited.

Tests run the product with a sleep that returns at once; the Mastodon connection's own
limiters (30 uploads in 30 minutes) then made `acquire` ask for the same wait again and
again, spinning until the real minutes had passed, and the suite hung.
"""

from __future__ import annotations

import pytest

from sync.platforms.base import RateLimiter

STOPPED_CLOCK = 1000.0


class CountingSleep:
    """A sleep that returns at once and fails the test if asked too often."""

    def __init__(self, most: int) -> None:
        self.waits: list[float] = []
        self.most = most

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if len(self.waits) > self.most:
            raise AssertionError(f"acquire asked to sleep more than {self.most} times")


async def test_acquire_asks_at_most_one_wait_per_call_past_the_burst() -> None:
    sleep = CountingSleep(most=200)
    limiter = RateLimiter(rate_per_hour=60, burst=30, clock=lambda: STOPPED_CLOCK, sleep=sleep)

    granted = []
    for _ in range(100):
        await limiter.acquire()
        granted.append(STOPPED_CLOCK + sum(sleep.waits))

    assert 0 < len(sleep.waits) <= 70
    # The pace still holds on the limiter's time: at most 60 calls in any hour.
    for index in range(60, 100):
        assert granted[index] - granted[index - 60] >= 3600.0 - 1e-6


async def test_a_pause_is_waited_once_even_when_sleep_returns_at_once() -> None:
    sleep = CountingSleep(most=5)
    limiter = RateLimiter(rate_per_hour=3600, burst=10, clock=lambda: STOPPED_CLOCK, sleep=sleep)
    limiter.pause(120.0)

    await limiter.acquire()

    assert sleep.waits == [pytest.approx(120.0)]
