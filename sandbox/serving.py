"""Run an ASGI app on 127.0.0.1 in a background thread (tests, demo) or in the foreground,
and stop the long-running sandbox commands cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import uvicorn
from starlette.requests import ClientDisconnect

LOOPBACK = "127.0.0.1"
SHUTDOWN_POLL = 0.002
"""How often a stopping server looks whether its connections have closed (seconds)."""


def bind_loopback(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (port 0 picks a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this; without it Nagle's algorithm and delayed ACKs
    # add about 40 ms to every small answer.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((LOOPBACK, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class QuietDisconnects:
    """A client that goes away mid-request (Ctrl+C during an upload) ends that request
    without a traceback, as it does on a real server."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            return


def _config(app: Any) -> uvicorn.Config:
    return uvicorn.Config(
        QuietDisconnects(app),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
    )


class _PromptServer(uvicorn.Server):
    """uvicorn's server, which hears a stop request at once instead of at its next tick
    (uvicorn looks every 0.1 s; tests start and stop hundreds of servers)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        # uvicorn's own loop, with its 0.1 s sleep made interruptible by `wake()`.
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's shutdown, which sleeps a fixed 0.1 s before it looks whether the
        # connections have closed, then looks again every 0.1 s: here it looks every
        # few milliseconds (an idle keep-alive connection closes at once). Like uvicorn,
        # it waits for every request in progress to be answered (its state has no event
        # to wait on).
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        state = self.server_state
        while (state.connections or state.tasks) and not self.force_exit:  # noqa: ASYNC110
            await asyncio.sleep(SHUTDOWN_POLL)
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()

    def wake(self) -> None:
        """Called from another thread after setting `should_exit`."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with suppress(RuntimeError):  # the loop has already finished
                loop.call_soon_threadsafe(wake.set)


class ServerThread:
    """An ASGI app served by uvicorn in a daemon thread; `url` is valid once started."""

    def __init__(self, app: Any, port: int = 0) -> None:
        self._sock = bind_loopback(port)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._server = _PromptServer(_config(app))
        # uvicorn installs signal handlers only in the main thread; we are never there.
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self) -> ServerThread:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"server on {self.url} failed to start")
            self._thread.join(0.005)
        return self

    def requests_in_progress(self) -> int:
        """Requests the app is still handling (tests wait for 0)."""
        return len(self._server.server_state.tasks)

    def request_stop(self) -> None:
        """Ask the server to stop without waiting (see `stop_all`)."""
        self._server.should_exit = True
        self._server.wake()

    def stop(self) -> None:
        self.request_stop()
        self._thread.join(10)
        self._sock.close()


def stop_all(servers: Iterable[ServerThread]) -> None:
    """Stop several servers at once: each takes about 0.1 s to close its connections."""
    servers = list(servers)
    for server in servers:
        server.request_stop()
    for server in servers:
        server.stop()


@contextmanager
def serve_in_thread(app: Any, port: int = 0) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 for the duration of the block; yields its base URL."""
    server = ServerThread(app, port).start()
    try:
        yield server.url
    finally:
        server.stop()


class SwappableApp:
    """An ASGI app that forwards to whichever app is current (one server, many tests)."""

    def __init__(self, app: Any = None) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.app is None:
            raise RuntimeError("no app is being served")
        await self.app(scope, receive, send)


@contextmanager
def stopped_by_sigterm() -> Iterator[None]:
    """SIGTERM (e.g. `kill`, a service manager) ends the block like Ctrl+C, so the
    generated library and the throw-away home are removed rather than left in the temp
    folder. Only the main thread can set handlers; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
