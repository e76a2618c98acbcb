"""Start `python -m sync.cli …` as a real child process without paying for its imports.

Each test worker keeps one server process that has imported the command's modules once
(`tests/cli_fork_server.py`). Asked for a command, it forks: the child is a separate
process with its own pid, standard streams, environment and working folder; it runs
`sync.cli.main` as `python -m sync.cli` would, exits with the same code, and dies of a
real SIGKILL. What it skips is Python's start-up and about 0.4 s of imports per child
(hundreds of children in the suite). In `ps` a forked command still shows the server's
command line (`python -m tests.cli_fork_server …`).

Where the interpreter's own start-up is part of what a test checks (a console code page
through PYTHONIOENCODING, the locale, a terminal), the command is started the ordinary
way, so the answer is the same either way; so it is everywhere with TESTS_SPAWN_CLI=1,
and where Linux's pidfd is missing.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from tests.cli_fork_server import HEADER, NUMBER, receive

REPOSITORY = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "sync.cli"]
# Read by the interpreter when it starts (or by the locale): a forked child would keep
# the server's values, so a command whose environment differs here starts the usual way.
START_UP_VARIABLES = ("PYTHON", "LC_", "LANG")
# Forking needs Linux's pidfd (the server waits on its children with it); set
# TESTS_SPAWN_CLI=1 to start every command the usual way (e.g. to compare).
FORKING = hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")

_server: _ForkServer | None = None
_server_lock = threading.Lock()


def forking() -> bool:
    """Whether commands are forked by the server (else started the usual way)."""
    return FORKING and not os.environ.get("TESTS_SPAWN_CLI")


def _start_up_settings(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(START_UP_VARIABLES)}


class _ForkServer:
    """The server process of this test worker and the address it listens on."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="imatch-socials-forks-")
        self.address = os.path.join(self.folder, "server")
        self.environment = dict(os.environ)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.cli_fork_server", self.address],
            stdin=subprocess.PIPE,  # the server ends when this worker goes away
            stdout=subprocess.PIPE,
            stderr=None,
            cwd=REPOSITORY,
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline()
        if ready.strip() != b"ready":
            raise RuntimeError(f"the fork server did not start: {ready!r}")
        atexit.register(self.stop)

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(10)
        shutil.rmtree(self.folder)

    def can_start(self, env: Mapping[str, str], streams: Sequence[int]) -> bool:
        """Whether a forked child starts as a new interpreter would (the same start-up
        settings, and no terminal among its streams)."""
        if _start_up_settings(env) != _start_up_settings(self.environment):
            return False
        return not any(os.isatty(fd) for fd in streams)


def _fork_server() -> _ForkServer:
    global _server
    with _server_lock:
        if _server is None or _server.process.poll() is not None:
            _server = _ForkServer()
        return _server


class CliProcess:
    """A running `imatch-socials` command: the part of `subprocess.Popen` tests use."""

    def __init__(
        self, connection: socket.socket, pid: int, pipes: Sequence[IO[Any] | None]
    ) -> None:
        self._connection = connection
        self.pid = pid
        self.returncode: int | None = None
        self.args = [*CLI]
        self.stdin, self.stdout, self.stderr = pipes

    def communicate(
        self, input: str | bytes | None = None, timeout: float | None = None
    ) -> tuple[Any, Any]:
        """As `Popen.communicate`: send `input`, read both outputs to their end, wait."""
        read: dict[str, Any] = {}

        def drain(name: str, stream: IO[Any]) -> None:
            with stream:
                read[name] = stream.read()

        readers = [
            threading.Thread(target=drain, args=(name, stream), daemon=True)
            for name, stream in (("out", self.stdout), ("err", self.stderr))
            if stream is not None
        ]
        for reader in readers:
            reader.start()
        if self.stdin is not None:
            with contextlib.suppress(BrokenPipeError), self.stdin:
                if input:
                    self.stdin.write(input)
        self.wait(timeout)
        for reader in readers:
            reader.join(timeout)
        return read.get("out"), read.get("err")

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is not None:
            return self.returncode
        self._connection.settimeout(timeout)
        try:
            data = receive(self._connection, NUMBER.size)
        except (TimeoutError, BlockingIOError):  # BlockingIOError: timeout 0
            raise subprocess.TimeoutExpired(self.args, timeout or 0) from None
        self._connection.close()
        self.returncode = NUMBER.unpack(data)[0]
        return self.returncode

    def poll(self) -> int | None:
        try:
            return self.wait(0)
        except subprocess.TimeoutExpired:
            return None

    def send_signal(self, number: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, number)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _stream(
    target: int | IO[Any] | None, default: int, text: bool
) -> tuple[int, IO[Any] | None, IO[Any] | None]:
    """The file descriptor to give the child, a file this side opened for it (closed
    once the child has it), and this side's end of a PIPE."""
    if target is None:
        return default, None, None
    if target == subprocess.DEVNULL:
        opened = open(os.devnull, "r+b")  # noqa: SIM115
        return opened.fileno(), opened, None
    if target == subprocess.PIPE:
        read, write = os.pipe()
        child, mine, mode = (read, write, "wb") if default == 0 else (write, read, "rb")
        theirs: IO[Any] = open(child, "rb" if default == 0 else "wb", buffering=0)  # noqa: SIM115
        ours: IO[Any] = open(mine, mode)  # noqa: SIM115
        if text:  # as Popen(text=True): UTF-8 here, universal newlines when read
            ours = io.TextIOWrapper(ours, encoding="utf-8", write_through=default == 0)
        return child, theirs, ours
    if isinstance(target, int):
        return target, None, None
    return target.fileno(), None, None


def _terminals(streams: Sequence[int | IO[Any] | None]) -> list[int]:
    """The descriptors among the streams that could be a terminal (this process's own
    when a stream is None)."""
    fds = []
    for number, target in enumerate(streams):
        if target is None:
            fds.append(number)
        elif not isinstance(target, int):
            fds.append(target.fileno())
    return fds


ChildProcess = CliProcess | subprocess.Popen[Any]
"""A started command: forked by the server, or started the usual way."""


def start_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: int | IO[Any] | None = subprocess.DEVNULL,
    stdout: int | IO[Any] | None = subprocess.DEVNULL,
    stderr: int | IO[Any] | None = subprocess.DEVNULL,
    text: bool = False,
) -> ChildProcess:
    """`python -m sync.cli *args` in a child process (forked, or started as usual when
    the environment changes how Python starts). Streams as for `subprocess.Popen`:
    DEVNULL, PIPE, None (this process's) or an open file; `text` for the PIPEs."""
    environment = dict(os.environ if env is None else env)
    streams = (stdin, stdout, stderr)
    server = _fork_server() if forking() else None
    if server is None or not server.can_start(environment, _terminals(streams)):
        return subprocess.Popen(
            [*CLI, *args], stdin=stdin, stdout=stdout, stderr=stderr, env=environment, text=text
        )
    opened: list[IO[Any]] = []
    fds, pipes = [], []
    for target, default in zip(streams, (0, 1, 2), strict=True):
        fd, file, pipe = _stream(target, default, text)
        fds.append(fd)
        pipes.append(pipe)
        if file is not None:
            opened.append(file)
    try:
        request = json.dumps({"argv": list(args), "env": environment, "cwd": os.getcwd()}).encode(
            "utf-8"
        )
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(server.address)
        socket.send_fds(connection, [HEADER.pack(len(request))], fds)
        connection.sendall(request)
        pid = NUMBER.unpack(receive(connection, NUMBER.size))[0]
        return CliProcess(connection, pid, pipes)
    finally:
        for file in opened:
            file.close()


def run_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    text: bool = True,
    encoding: str = "utf-8",
    errors: str = "replace",
) -> subprocess.CompletedProcess[Any]:
    """Run the command to its end and capture what it printed, like
    `subprocess.run(..., capture_output=True)` with standard input from /dev/null."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = start_cli(*args, env=env, stdout=out, stderr=err)
        try:
            code = child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise
        printed: list[Any] = []
        for file in (out, err):
            file.seek(0)
            data = file.read()
            if text:  # universal newlines, as subprocess.run(text=True) reads them
                decoded = data.decode(encoding, errors)
                printed.append(decoded.replace("\r\n", "\n").replace("\r", "\n"))
            else:
                printed.append(data)
    return subprocess.CompletedProcess([*CLI, *args], code, printed[0], printed[1])
