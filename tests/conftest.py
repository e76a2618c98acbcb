"""Shared fixtures (a generated sample library and the IMatch simulator serving it) and
the layer markers, given to every test by the folder it is in.

Layers (folders under tests/): `unit` (no simulator), `platforms` (one adapter or
client against its simulator), `sandbox` (the simulators themselves), `tui` (the
terminal app under Pilot), `e2e` (whole runs: the command, the session, crashes,
the IMatch app). Select with `pytest -m unit`, `-m "not e2e"`, and so on.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import py_compile
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from imatch.client import IMatchClient
from sandbox.imatch_db import IMatchDatabase
from sandbox.imatch_server import IMatchSimulator
from sandbox.library import LibraryInfo, generate_library
from sandbox.serving import SwappableApp, serve_in_thread
from sync.config import ENV_PREFIX
from tests.fake_session import Captured, FakeSession, capture

TESTS = Path(__file__).resolve().parent
LAYERS = ("unit", "platforms", "sandbox", "tui", "e2e")
MEMORY_FOLDER = Path("/dev/shm")
MEMORY_NEEDED = 2 * 1024**3


def _temporary_files_in_memory() -> None:
    """Tests' temporary files (tmp_path, the sandbox's libraries, state databases of the
    child processes) go to memory when the machine has it and the caller chose no
    folder: the state database syncs every journal write to disk, as it must for real
    use, and on disk those waits were a good part of the suite's time. Set here, when
    pytest loads this file, before any temporary folder is made; workers and child
    processes inherit it."""
    if os.environ.get("TMPDIR") or not os.access(MEMORY_FOLDER, os.W_OK):
        return
    space = os.statvfs(MEMORY_FOLDER)
    if space.f_bavail * space.f_frsize < MEMORY_NEEDED:  # e.g. a container's 64 MB
        return
    folder = MEMORY_FOLDER / "imatch-socials-tests"
    folder.mkdir(exist_ok=True)
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again


_temporary_files_in_memory()


def pytest_configure(config: pytest.Config) -> None:
    """Test workers and the child processes they start (`imatch-socials` runs, the demo,
    crash tests: hundreds of them) read and write their compiled modules in one folder
    kept between runs, `.pytest_cache/pycache` (ignored by git), so a module is compiled
    once, not again by each worker of each run. Set before xdist starts its workers,
    which inherit it."""
    if os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    folder = Path(config.rootpath) / ".pytest_cache" / "pycache"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only checkout: a folder for this run only
        folder = Path(tempfile.mkdtemp(prefix="imatch-socials-pycache-"))
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    os.environ["PYTHONPYCACHEPREFIX"] = str(folder)
    _compile_imported_modules(folder)


def _compile_imported_modules(folder: Path) -> None:
    """Compile what this process has imported (pytest, the product, Textual, httpx...)
    into `folder` if it is not there yet: the workers, which all start at once and
    import the same modules, then find them compiled instead of each compiling them."""
    saved = sys.pycache_prefix
    sys.pycache_prefix = str(folder)
    try:
        for module in list(sys.modules.values()):
            spec = getattr(module, "__spec__", None)
            source = getattr(spec, "origin", None)
            if not (spec and spec.has_location and source and source.endswith(".py")):
                continue
            compiled = importlib.util.cache_from_source(source)
            if not os.path.exists(compiled):
                with contextlib.suppress(OSError, py_compile.PyCompileError):
                    py_compile.compile(source, cfile=compiled, doraise=True)
    finally:
        sys.pycache_prefix = saved


def layer_of(path: Path) -> str | None:
    """The layer a test file belongs to: the folder under tests/ it is in."""
    try:
        folder = path.resolve().relative_to(TESTS).parts[0]
    except (ValueError, IndexError):
        return None
    return folder if folder in LAYERS else None


# The slow layers first, and in them the longest files (measured: over 10 s each): with
# one file per worker (--dist loadfile) the run then ends on short files, not on one
# worker finishing a long file alone.
RUN_ORDER = ("e2e", "tui", "sandbox", "platforms", "unit")
LONGEST_FILES = (
    "tui/test_tui_app.py",
    "e2e/test_crash_at_every_step.py",
    "e2e/test_crash_recovery.py",
    "tui/test_tui_keyboard.py",
    "e2e/test_imatch_app.py",
    "e2e/test_change_detection.py",
    "e2e/test_account_conditions.py",
    "tui/test_plan_snapshot.py",
    "tui/test_tui_snapshots.py",
    "unit/test_properties.py",
    "e2e/test_sync_e2e.py",
    "e2e/test_cli_mistakes.py",
)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the cores. Tests wait on sockets, simulated
    latency and child processes for part of their time; a third worker on two cores
    fills those waits (measured: 183 s with 2 workers, 139 s with 3, 163 s with 4)."""
    return (os.cpu_count() or 1) + 1


def _run_rank(item: pytest.Item) -> tuple[int, int]:
    layer = layer_of(item.path) or ""
    layer_rank = RUN_ORDER.index(layer) if layer in RUN_ORDER else len(RUN_ORDER)
    name = "/".join(item.path.parts[-2:])
    long_rank = LONGEST_FILES.index(name) if name in LONGEST_FILES else len(LONGEST_FILES)
    return (long_rank, layer_rank)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test is marked with its layer, so a new test file needs nothing but its folder."""
    for item in items:
        layer = layer_of(item.path)
        if layer is not None:
            item.add_marker(layer)
    items.sort(key=_run_rank)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No IMATCH_SOCIALS_* variable from the developer's shell reaches the test."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory: pytest.TempPathFactory) -> LibraryInfo:
    """The demo library (one photo per case), generated once per test session."""
    return generate_library(tmp_path_factory.mktemp("library"))


@pytest.fixture
def imatch_sim(sample_library: LibraryInfo) -> IMatchSimulator:
    """A fresh simulator database for every test (the image files are shared, read-only)."""
    return IMatchSimulator(IMatchDatabase.load(sample_library.path))


@pytest.fixture(scope="session")
def imatch_server() -> Iterator[tuple[SwappableApp, str]]:
    """One server for the session; each test swaps in its own simulator."""
    app = SwappableApp()
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture
def imatch_url(imatch_server: tuple[SwappableApp, str], imatch_sim: IMatchSimulator) -> str:
    app, url = imatch_server
    app.app = imatch_sim.asgi_app
    return url


@pytest.fixture
async def imatch(imatch_url: str) -> AsyncIterator[IMatchClient]:
    """A client for the simulator, with no back-off delay between retries."""
    async with IMatchClient(imatch_url, user="tester", retry_delay=0) as client:
        yield client


@pytest.fixture(scope="session")
def captured_sandbox(
    sample_library: LibraryInfo, tmp_path_factory: pytest.TempPathFactory
) -> Captured:
    """The sample library planned once per test process by the real session against the
    simulators, which are then stopped (see tests/fake_session.py)."""
    with pytest.MonkeyPatch.context() as patch:
        return capture(tmp_path_factory.mktemp("captured-home"), patch, sample_library.path)


@pytest.fixture
def fake_session(
    captured_sandbox: Captured, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], FakeSession]:
    """A session factory for TUI tests that only look (keys, layout, filters, details):
    the captured plans, no server. Runs, rescans and logins fail the test."""
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(captured_sandbox.home))
    return lambda: FakeSession(captured_sandbox)
