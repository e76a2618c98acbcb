"""One run at a time: a cross-process lock on the state folder.

A run (headless, a TUI action, the IMatch app's button) holds the lock from
reconciliation to its last IMatch write-back, so two processes never upload the same
photos or settle each other's intents. The lock is an OS file lock (`filelock`: flock on
POSIX, LockFileEx on Windows), which the OS releases when its process dies, so a run that
was killed never blocks the next one. Beside it, `run-holder.json` says who holds it, for
the message "another run is in progress (since HH:MM, pid N)".
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sync.state_db import PRIVATE_FILE, make_private_file, make_private_folder, write_private_file

if TYPE_CHECKING:
    import filelock

LOCK_FILE = "run.lock"
HOLDER_FILE = "run-holder.json"
ACQUIRE_GRACE_SECONDS = 1.0
"""How long a run waits for the lock before saying another run has it: long enough to
outlast a TUI's probe (which holds it for a moment), far too short to hide a real run."""
PROBE_SECONDS = 0.1


class RunInProgress(Exception):
    """Another process holds the run lock; the message says since when and which pid."""


@dataclass(frozen=True)
class Holder:
    pid: int
    since: float
    """Epoch seconds at which the holder took the lock."""

    def describe(self, now: float | None = None) -> str:
        taken = datetime.fromtimestamp(self.since)
        today = datetime.fromtimestamp(time.time() if now is None else now).date()
        when = taken.strftime("%H:%M" if taken.date() == today else "%Y-%m-%d %H:%M")
        return f"another run is in progress (since {when}, pid {self.pid})"


UNKNOWN_HOLDER = "another run is in progress (since an unknown time, pid unknown)"


class RunLock:
    """The run lock of one state folder; re-entrant within this process.

    Every thread of the process shares one hold (the TUI runs its session on a thread
    of its own), counted so nested holders (a headless run, then each platform's run
    inside it) release the file lock only when the outermost one is done.
    """

    def __init__(
        self,
        folder: Path,
        *,
        grace: float = ACQUIRE_GRACE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = folder
        self.grace = grace
        self.clock = clock
        self._file_lock: filelock.FileLock | None = None
        self._depth = 0
        self._guard = threading.RLock()

    @property
    def path(self) -> Path:
        return self.folder / LOCK_FILE

    @property
    def holder_path(self) -> Path:
        return self.folder / HOLDER_FILE

    @property
    def held(self) -> bool:
        """True while this process holds the lock."""
        return self._depth > 0

    def _lock(self) -> filelock.FileLock:
        if self._file_lock is None:
            import filelock  # when a lock is first taken: a dry run takes none

            make_private_folder(self.folder)
            make_private_file(self.path)
            self._file_lock = filelock.FileLock(
                self.path, mode=PRIVATE_FILE, thread_local=False, is_singleton=False
            )
        return self._file_lock

    def acquire(self, timeout: float | None = None) -> None:
        """Take the lock (or one more hold of it); raises RunInProgress when another
        process has it after `timeout` seconds (default: the short grace)."""
        with self._guard:
            if self._depth:
                self._depth += 1
                return
            import filelock

            try:
                self._lock().acquire(timeout=self.grace if timeout is None else timeout)
            except filelock.Timeout:
                raise RunInProgress(self.holder_message()) from None
            self._depth = 1
            with suppress(OSError):  # without it the message says "unknown"; the lock holds
                self._write_holder()

    def release(self) -> None:
        with self._guard:
            if not self._depth:
                return
            self._depth -= 1
            if self._depth:
                return
            with suppress(OSError):
                self.holder_path.unlink()
            self._lock().release()

    @contextmanager
    def hold(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def busy(self) -> str:
        """ "" when a run could start now (the lock is free, or this process holds it);
        otherwise the message naming the other run. Holds the lock only for a moment."""
        with self._guard:
            if self._depth:
                return ""
            try:
                self.acquire(timeout=PROBE_SECONDS)
            except RunInProgress as busy:
                return str(busy)
            self.release()
            return ""

    def holder(self) -> Holder | None:
        """Who holds the lock, as the holder wrote it (None when it cannot be read)."""
        try:
            data = json.loads(self.holder_path.read_text(encoding="utf-8"))
            return Holder(int(data["pid"]), float(data["since"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def holder_message(self) -> str:
        # The holder writes its file just after taking the lock: give it that moment.
        deadline = time.monotonic() + 0.5
        while True:
            holder = self.holder()
            if holder is not None or time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        return holder.describe() if holder else UNKNOWN_HOLDER

    def _write_holder(self) -> None:
        text = json.dumps({"pid": os.getpid(), "since": self.clock()})
        write_private_file(self.holder_path, text)
