"""The fork server behind `tests/cli_process.py`: imports the command once, then forks a
child per request that runs `python -m sync.cli …` and reports how it ended.

Protocol on a Unix socket, one connection per command: the client sends a 4-byte length
with the child's three standard streams attached (SCM_RIGHTS), then that many bytes of
JSON `{"argv", "env", "cwd"}`; the server answers the child's pid, and its exit code
(negative: the signal that ended it) once it has ended. The server stops when standard
input closes (the test worker went away).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import pkgutil
import selectors
import socket
import struct
import sys
import tempfile
import threading
import traceback
from typing import Any

HEADER = struct.Struct("!I")
NUMBER = struct.Struct("!i")
# Everything a command may import, so that no child pays for it. Not the terminal app:
# without a terminal the command refuses to start it before importing it.
PRELOADED = (
    "sync.cli",
    "sync.headless",
    "sync.doctor",
    "sync.login",
    "sync.baseline",
    "sync.platform_list",
    "sync.imatch_app_files",
    "sandbox.demo",
    "flickrapi",
    # Imported by httpx and the run lock only when the first client or lock is made.
    "httpcore",
    "httpcore._backends.anyio",
    "anyio._backends._asyncio",
    "filelock",
)
# Read by the shared TLS context when it is made (imatch/tls.py).
TLS_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


def preload() -> None:
    for name in PRELOADED:
        importlib.import_module(name)
    import sync.platforms

    for module in pkgutil.walk_packages(sync.platforms.__path__, "sync.platforms."):
        importlib.import_module(module.name)
    # Loading the certificate bundle takes about 80 ms: made once here, shared by every
    # child whose certificate settings are the server's (see run_command).
    from imatch.tls import default_tls_context

    default_tls_context()


def receive(connection: socket.socket, size: int) -> bytes:
    """Exactly `size` bytes (both sides of the protocol read with it)."""
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the other side went away")
        data += chunk
    return data


def _exit_code(exit: SystemExit) -> int:
    """What the interpreter makes of `sys.exit(value)`."""
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code
    print(exit.code, file=sys.stderr)
    return 1


def run_command(argv: list[str], env: dict[str, str], cwd: str) -> int:
    """In the forked child: become `python -m sync.cli argv` and run to the end."""
    os.chdir(cwd)
    tls_settings = [os.environ.get(name) for name in TLS_VARIABLES]
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None
    if [os.environ.get(name) for name in TLS_VARIABLES] != tls_settings:
        from imatch.tls import default_tls_context

        default_tls_context.cache_clear()
    import sync.cli

    sys.argv = [sync.cli.__file__, *argv]
    sys.path[0] = cwd
    try:
        code = sync.cli.main()
    except SystemExit as exit:
        code = _exit_code(exit)
    except BaseException:  # as the interpreter does with an uncaught exception
        sys.excepthook(*sys.exc_info())
        code = 1
    # What the interpreter does on its way out: wait for threads, run atexit, flush.
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            code = 120
    return code


def _child(fds: list[int], request: dict[str, Any]) -> None:
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, 65536)
        code = run_command(request["argv"], request["env"], request["cwd"])
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        os._exit(code)


def serve(address: str) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")
    print("ready", flush=True)
    while True:
        for key, _ in selector.select():
            if key.data == "stdin":
                if not os.read(key.fd, 4096):
                    return
            elif key.data == "accept":
                connection, _ = listener.accept()
                with contextlib.suppress(OSError, ValueError):  # ConnectionError is an OSError
                    _start(connection, selector)
            else:
                _report(key.data, selector)


def _start(connection: socket.socket, selector: selectors.BaseSelector) -> None:
    header, fds, _, _ = socket.recv_fds(connection, HEADER.size, 3)
    try:
        if len(header) < HEADER.size:
            header += receive(connection, HEADER.size - len(header))
        request = json.loads(receive(connection, HEADER.unpack(header)[0]))
        pid = os.fork()
        if pid == 0:
            _child(fds, request)
    finally:
        for fd in fds:
            os.close(fd)
    pidfd = os.pidfd_open(pid)
    selector.register(pidfd, selectors.EVENT_READ, (pid, pidfd, connection))
    connection.sendall(NUMBER.pack(pid))


def _report(child: tuple[int, int, socket.socket], selector: selectors.BaseSelector) -> None:
    pid, pidfd, connection = child
    selector.unregister(pidfd)
    os.close(pidfd)
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        connection.sendall(NUMBER.pack(os.waitstatus_to_exitcode(status)))
    connection.close()


if __name__ == "__main__":
    preload()
    serve(sys.argv[1])
