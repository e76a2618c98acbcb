"""Requests to a simulator's app in this process, for seeding a world.

Seeding a big library over the socket spent seconds per world in HTTP parsing on both
sides and in handing the interpreter between the client and the server thread. The same
requests go through the same app (routes, checks, answers) via httpx's ASGI transport, on
an event loop of their own in a short-lived thread, so callers may themselves run inside
an event loop (async tests).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

Requests = Callable[[httpx.AsyncClient], Awaitable[None]]


def call_in_process(app: Any, url: str, headers: Mapping[str, str], requests: Requests) -> None:
    """Run `requests` with a client whose calls go to `app` as if it were served at `url`
    (the addresses in its answers are the served ones). Raises what `requests` raised."""
    failure: list[BaseException] = []

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=url, headers=dict(headers), timeout=30
        ) as http:
            await requests(http)

    def thread_main() -> None:
        try:
            asyncio.run(run())
        except BaseException as error:  # handed to the caller's thread below
            failure.append(error)

    thread = threading.Thread(target=thread_main, name="seeding", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
