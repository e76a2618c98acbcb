"""TUI tests: a test on the fake session fails when the TUI reached for a run, a rescan,
a baseline or a second login (the TUI shows such an error on screen, it does not raise)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_session import REFUSED


@pytest.fixture(autouse=True)
def nothing_refused_by_a_fake_session() -> Iterator[None]:
    REFUSED.clear()
    yield
    refused, REFUSED[:] = list(REFUSED), []
    assert not refused, refused
