"""How the sandbox's servers behave as processes: quiet when a client goes away."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox.flickr_server import UPLOAD_PATH, FlickrSimulator
from sandbox.mastodon_server import MastodonSimulator
from sandbox.pixelfed_server import PixelfedSimulator
from sandbox.serving import ServerThread


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        pause.wait(0.01)


@pytest.mark.parametrize(
    ("simulator", "path"),
    [
        (PixelfedSimulator, "/api/v1/media"),
        (FlickrSimulator, UPLOAD_PATH),
        (MastodonSimulator, "/api/v2/media"),
    ],
)
def test_a_client_gone_mid_upload_prints_no_traceback(
    simulator: Callable[[], Any], path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An upload interrupted by Ctrl+C on the client: a real server just drops it."""
    sim = simulator()
    entered = threading.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        entered.set()
        await sim.asgi_app(scope, receive, send)

    server = ServerThread(app).start()
    uvicorn_errors = logging.getLogger("uvicorn.error")
    uvicorn_errors.addHandler(caplog.handler)
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as client:
            client.sendall(
                f"POST {path} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: multipart/form-data; "
                "boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n".encode()
            )
            assert entered.wait(10)
        wait_for(lambda: server.requests_in_progress() == 0)
    finally:
        uvicorn_errors.removeHandler(caplog.handler)
        server.stop()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_imatch_app_server_stopped_with_sigterm_leaves_no_temp_files(tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-m", "sandbox.imatch_app_server"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    assert child.stdout is not None
    lines = dict(child.stdout.readline().split(" ", 1) for _ in range(3))
    home = Path(lines["home"].strip())
    assert home.is_dir()
    assert temp in home.parents
    child.send_signal(signal.SIGTERM)
    _, errors = child.communicate(timeout=30)
    assert child.returncode == 0, errors
    assert "Traceback" not in errors
    assert list(temp.iterdir()) == []
