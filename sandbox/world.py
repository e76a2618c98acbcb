"""Start the simulators together on 127.0.0.1 with one library: for the demo and `sandbox`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sandbox.imatch_db import LIBRARY_FILE, IMatchDatabase
from sandbox.imatch_server import IMatchSimulator
from sandbox.library import generate_library
from sandbox.serving import ServerThread


@dataclass
class SandboxWorld:
    """The running simulators and where they listen."""

    library: Path
    imatch: IMatchSimulator
    imatch_url: str


@contextmanager
def sandbox_world(
    library: Path | None = None,
    *,
    imatch_port: int = 0,
    latency: float = 0.0,
    photos: int = 0,
) -> Iterator[SandboxWorld]:
    """Serve the simulators until the block ends.

    Without `library`, a demo library (plus `photos` extra photos) is generated in a
    temporary folder that is removed afterwards.
    """
    with ExitStack() as stack:
        if library is None:
            library = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="imatch-demo-")))
            generate_library(library, photos)
        elif not (library / LIBRARY_FILE).is_file():
            raise FileNotFoundError(f"{library} holds no {LIBRARY_FILE}")
        imatch = IMatchSimulator(IMatchDatabase.load(library))
        imatch.knobs.latency = latency
        server = ServerThread(imatch.asgi_app, imatch_port).start()
        stack.callback(server.stop)
        yield SandboxWorld(library=library, imatch=imatch, imatch_url=server.url)
