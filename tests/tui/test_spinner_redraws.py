"""The spinners shown while IMatch is read redraw a few times a second, not sixteen.

Each redraw of Textual's loading indicator refreshes the screen area behind it, and the
reading of IMatch competes with those redraws for the one interpreter: at 10,000 photos
sixteen a second took about a fifth of the first start (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from textual.widgets import LoadingIndicator

from tests.fake_session import FakeSession
from tests.tui.helpers import SIZE, make_app, ready, until
from tui.widgets.calm_loading import CALM_REFRESH_SECONDS


async def test_the_spinners_redraw_at_most_four_times_a_second(
    fake_session: Callable[[], FakeSession],
) -> None:
    reading = threading.Event()

    def held_session() -> FakeSession:
        session = fake_session()
        prepare = session.prepare

        async def held_prepare(name: str, *args: Any, **kwargs: Any) -> Any:
            await asyncio.to_thread(reading.wait)  # IMatch still being read
            return await prepare(name, *args, **kwargs)

        session.prepare = held_prepare  # type: ignore[method-assign]
        return session

    app = make_app(session=held_session)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.screen.query(LoadingIndicator)))
        spinners = list(app.screen.query(LoadingIndicator))
        assert spinners
        for spinner in spinners:
            assert spinner.auto_refresh is not None
            assert spinner.auto_refresh >= CALM_REFRESH_SECONDS >= 1 / 4
        reading.set()
        await ready(pilot)
