"""A tiny headless-Chromium driver over the DevTools protocol, for testing the IMatch app.

Chromium is started with `--remote-debugging-pipe`: it reads protocol messages from file
descriptor 3 and writes answers and events to descriptor 4, each a JSON text ended by a
NUL byte. That needs no WebSocket library and no network port. A reader thread collects
messages; every wait has a deadline, and page conditions are polled inside the page.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
)


class BrowserError(Exception):
    """Chromium failed, answered with an error, or a condition was not met in time."""


def find_chromium() -> str | None:
    """The Chromium executable on PATH (Debian's package installs /usr/bin/chromium)."""
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


class Chromium:
    """One headless Chromium with a fresh profile. Use as a context manager."""

    def __init__(self, executable: str | None = None, width: int = 1100, height: int = 900):
        found = executable or find_chromium()
        if found is None:
            raise BrowserError("chromium is not installed (apt-get install chromium)")
        self.executable = found
        self.width = width
        self.height = height
        self.events: list[dict[str, Any]] = []
        self._profile = tempfile.TemporaryDirectory(prefix="imatch-app-chromium-")
        self._answers: queue.Queue[dict[str, Any]] = queue.Queue()
        self._next_id = 0
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._to_browser = -1
        self._reader: threading.Thread | None = None

    def __enter__(self) -> Chromium:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        browser_reads, we_write = os.pipe()
        we_read, browser_writes = os.pipe()

        def place_pipes() -> None:  # runs in the child before exec
            reads, writes = os.dup(browser_reads), os.dup(browser_writes)
            os.dup2(reads, 3)
            os.dup2(writes, 4)

        self._process = subprocess.Popen(
            [
                self.executable,
                *FLAGS,
                f"--user-data-dir={self._profile.name}",
                f"--window-size={self.width},{self.height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=place_pipes,
            pass_fds=(3, 4),
            start_new_session=True,
        )
        os.close(browser_reads)
        os.close(browser_writes)
        self._to_browser = we_write
        self._reader = threading.Thread(target=self._read, args=(we_read,), daemon=True)
        self._reader.start()

    def _read(self, fd: int) -> None:
        buffer = b""
        with os.fdopen(fd, "rb", buffering=0) as stream:
            while chunk := stream.read(1 << 16):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._answers.put(message)
                    else:
                        self.events.append(message)
        self._answers.put({"id": -1, "error": {"message": "chromium closed the pipe"}})

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Send one protocol command and return its result (raises BrowserError)."""
        with self._lock:
            self._next_id += 1
            number = self._next_id
            message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
            deadline = time.monotonic() + timeout
            while True:
                try:
                    answer = self._answers.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise BrowserError(f"{method}: no answer within {timeout} s") from None
                if answer["id"] == -1:
                    raise BrowserError(f"{method}: {answer['error']['message']}")
                if answer["id"] == number:
                    break
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error'].get('message')}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def open(self, url: str) -> Page:
        """A new tab showing `url` (returns once its document has loaded)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        self.call("Runtime.enable", session=session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.call("Page.navigate", {"url": url}, session=session)
        page.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'")
        return page

    def close(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(BrowserError):
                self.call("Browser.close", timeout=5)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(10)
        if self._to_browser >= 0:
            os.close(self._to_browser)
            self._to_browser = -1
        self._profile.cleanup()


class Page:
    """One tab, reached through its flat protocol session."""

    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser = browser
        self.session = session

    def evaluate(self, expression: str, await_promise: bool = False, timeout: float = 30) -> Any:
        """The value of a JavaScript expression in the page (raises on a page exception)."""
        result = self.browser.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": await_promise},
            session=self.session,
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"page exception: {text}")
        return result.get("result", {}).get("value")

    def wait_for(self, condition: str, timeout: float = 30.0) -> None:
        """Wait until the JavaScript `condition` is true, polled in the page every 50 ms."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            script = (
                "new Promise(resolve => { const end = Date.now() + "
                + str(int(left * 1000))
                + "; (function poll() { let ok = false; try { ok = Boolean("
                + condition
                + "); } catch (e) {}"
                " if (ok || Date.now() > end) resolve(ok); else setTimeout(poll, 50); })(); })"
            )
            try:
                if self.evaluate(script, await_promise=True, timeout=left + 5):
                    return
            except BrowserError as error:
                # A navigation destroys the context the promise lived in: poll again.
                if "context" not in str(error).lower():
                    raise
        raise BrowserError(f"not true within {timeout} s: {condition}")

    def text(self, selector: str) -> str:
        value = self.evaluate(
            f"(document.querySelector({json.dumps(selector)}) || {{}}).textContent || ''"
        )
        return str(value).strip()

    def click(self, selector: str) -> None:
        """A real mouse click (press and release) in the middle of the element."""
        box = self.evaluate(
            "(() => { const e = document.querySelector("
            + json.dumps(selector)
            + "); if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()"
        )
        if box is None:
            raise BrowserError(f"no element {selector}")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.browser.call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box["x"], "y": box["y"], "button": "left", "clickCount": 1},
                session=self.session,
            )

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page, not only of the window."""
        size = self.browser.call("Page.getLayoutMetrics", session=self.session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.browser.call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": clip},
            session=self.session,
        )["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def exceptions(self) -> list[str]:
        """Uncaught JavaScript exceptions this page reported."""
        return [
            str(e["params"]["exceptionDetails"].get("exception", {}).get("description", ""))
            for e in self.browser.events
            if e.get("method") == "Runtime.exceptionThrown" and e.get("sessionId") == self.session
        ]
