"""Shared fixtures: a generated sample library and the IMatch simulator serving it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from imatch.client import IMatchClient
from sandbox.imatch_db import IMatchDatabase
from sandbox.imatch_server import IMatchSimulator
from sandbox.library import LibraryInfo, generate_library
from sandbox.serving import SwappableApp, serve_in_thread
from sync.config import ENV_PREFIX


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
