"""Helpers for benchmark scripts: generated libraries and a sandbox in its own process."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sandbox.imatch_db import LIBRARY_FILE

WORK = Path(__file__).parent / ".work"


def library_of(photos: int, posted_share: float = 0.5) -> Path:
    """A generated library with `photos` photos on both platforms, cached in .work/."""
    path = WORK / f"library-{photos}-{posted_share}"
    marker = path / "generated.json"
    if not (path / LIBRARY_FILE).is_file() or not marker.is_file():
        # In a child process: Linux carries a process's peak resident size over into the
        # children it starts (through exec), so a benchmark that generated 50,000 photos
        # itself measured that peak (about 520 MB) for every dry run it then started.
        code = (
            "import sys; from pathlib import Path; from sandbox.library import "
            "generate_library as g; g(Path(sys.argv[1]), int(sys.argv[2]), cases=False, "
            "posted_share=float(sys.argv[3]), seed=int(sys.argv[2]))"
        )
        arguments = [str(path), str(photos), str(posted_share)]
        subprocess.run([sys.executable, "-c", code, *arguments], check=True)
        marker.write_text(json.dumps({"photos": photos}))
    return path


@contextmanager
def sandbox_process(library: Path, latency: float) -> Iterator[str]:
    """`imatch-socials sandbox --imatch-only` in a child process (not sharing our GIL)."""
    command = [
        sys.executable,
        "-m",
        "sync.cli",
        "sandbox",
        "--imatch-only",
        "--imatch-port",
        "0",
        "--library",
        str(library),
        "--latency",
        str(latency),
    ]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        urls = {}
        for line in child.stdout:
            name, _, value = line.strip().partition(" ")
            urls[name] = value
            if name == "library":
                break
        yield urls["imatch"]
    finally:
        child.terminate()
        child.wait(10)


def machine() -> str:
    return f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"


def bytecode_environment(bytecode: Path | None, **extra: str) -> dict[str, str]:
    """This process's environment for a measured child, plus `extra`: compiled modules
    kept in `bytecode`, as an installed program keeps them (None: compiled from source at
    every start), whatever this shell's `PYTHONDONTWRITEBYTECODE` says."""
    environment = {**os.environ, **extra}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment.pop("PYTHONPYCACHEPREFIX", None)
    if bytecode is None:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        environment["PYTHONPYCACHEPREFIX"] = str(bytecode)
    return environment
