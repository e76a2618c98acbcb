"""Run an ASGI app on 127.0.0.1 in a background thread (tests, demo) or in the foreground,
and stop the long-running sandbox commands cleanly on SIGTERM."""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.requests import ClientDisconnect

LOOPBACK = "127.0.0.1"


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


class ServerThread:
    """An ASGI app served by uvicorn in a daemon thread; `url` is valid once started."""

    def __init__(self, app: Any, port: int = 0) -> None:
        self._sock = bind_loopback(port)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._server = uvicorn.Server(_config(app))
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

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()


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
