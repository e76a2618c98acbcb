"""Private keywords stay private in a real run, however the filter and the keywords are
spelled, for keywords and for the keywords that categories give (Location, Event, Genre),
in both IMatch layouts and on every platform."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import DEMO_APP_VARIABLES, GENRE_ROOT, PLATFORMS, LibraryBuilder
from sandbox.world import SandboxWorld, sandbox_world
from tests.sync_checks import NO_RATE_LIMITS, remote_posts, sync_once

SECRET = "qzsecret"
"""In every private name, and in nothing public."""
EXCLUDE = [
    "places|home|",
    " Location | Australia || VICTORIA ",
    "event|festival|QZSECRET lanterns",
    f"{GENRE_ROOT.upper()}|{SECRET}genre|",
]


def private_library(dest: Path) -> None:
    builder = LibraryBuilder(dest, seed=5, image_size=(16, 12))
    for number, master_in_socials in ((1, False), (2, True)):
        master, version = builder.photo_pair(number)
        assert master is not None
        master.tags["hierarchicalkeywords"] = [
            "nature|water|lake",
            f"places | home | {SECRET} street 5",
            f"Places||HOME|{SECRET}kitchen|",
        ]
        master.categories |= {
            f"Location|Australia|Victoria|{SECRET}ville",
            f"Event|Festival|{SECRET} Lanterns",
            f"{GENRE_ROOT}|{SECRET}genre",
        }
        builder.publish(master if master_in_socials else version, *PLATFORMS)
    builder.write(dict(DEMO_APP_VARIABLES))


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    private_library(tmp_path / "library")
    with sandbox_world(tmp_path / "library") as world:
        world.configure_home(
            tmp_path / "home", {**NO_RATE_LIMITS, "keywords": {"exclude": EXCLUDE}}
        )
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


def test_excluded_keywords_and_categories_never_reach_a_platform(world: SandboxWorld) -> None:
    code, summary = sync_once()
    assert code == 0, summary
    shown = {}
    for platform in PLATFORMS:
        assert summary["platforms"][platform]["added"] == 2, platform
        shown[platform] = repr(list(remote_posts(world, platform).values())).lower()
    # What is public is published (the keyword `nature|water|lake` gives `water`)...
    assert [p for p, text in shown.items() if "water" not in text] == []
    # ...and nothing private, on any platform.
    assert [p for p, text in shown.items() if SECRET in text] == []
