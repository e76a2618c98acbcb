"""TUI tests: a test on the fake session fails when the TUI reached for a run, a rescan,
a baseline or a second login (the TUI shows such an error on screen, it does not raise).
`world` is the simulators for tests that run; a module may define its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import LibraryInfo
from sandbox.world import SandboxWorld, sandbox_world
from tests.fake_session import REFUSED
from tests.sync_checks import NO_RATE_LIMITS


@pytest.fixture(autouse=True)
def nothing_refused_by_a_fake_session() -> Iterator[None]:
    REFUSED.clear()
    yield
    refused, REFUSED[:] = list(REFUSED), []
    assert not refused, refused


@pytest.fixture
def world(
    sample_library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SandboxWorld]:
    """The simulators on the session's sample library (read-only files, fresh database),
    with no client-side rate limit: the limiter has tests of its own, and with retries
    that do not sleep it would wait by spinning."""
    with sandbox_world(sample_library.path) as running:
        running.configure_home(tmp_path, NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        yield running
