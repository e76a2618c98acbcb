"""A setting that cannot work is named where the user wrote it: config.toml, the
environment or the IMatch application variable (whichever the value came from)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from tests.sync_checks import NO_RATE_LIMITS, cannot_run_line, headless_lines

SERVER_PLATFORMS = ("pixelfed", "mastodon")


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("library")
    generate_library(path, 2, cases=False, posted_share=0.0, seed=5)
    return path


@pytest.fixture
def world(library: Path) -> Iterator[SandboxWorld]:
    with sandbox_world(library) as world:
        yield world


def configure(world: SandboxWorld, home: Path, platform: str, **config: object) -> None:
    world.configure_home(home, {**NO_RATE_LIMITS, platform: {**NO_RATE_LIMITS[platform], **config}})


def cannot_run_with(world: SandboxWorld, home: Path, platform: str, **config: object) -> str:
    configure(world, home, platform, **config)
    return cannot_run_line(platform)


@pytest.mark.parametrize("platform", SERVER_PLATFORMS)
def test_a_bad_visibility_in_config_toml_is_named_as_config_toml(
    platform: str, world: SandboxWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
    line = cannot_run_with(world, tmp_path, platform, visibility="everyone")
    assert f"config.toml [{platform}] visibility" in line, line
    assert f"{platform}_visibility" not in line, line


@pytest.mark.parametrize("platform", SERVER_PLATFORMS)
def test_a_visibility_in_capitals_is_accepted(
    platform: str, world: SandboxWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
    configure(world, tmp_path, platform, visibility="Unlisted")
    said = headless_lines(platform)
    assert "cannot run" not in said, said


@pytest.mark.parametrize("platform", SERVER_PLATFORMS)
def test_a_plain_http_address_from_the_environment_names_the_environment_variable(
    platform: str, world: SandboxWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
    variable = f"IMATCH_SOCIALS_{platform.upper()}_URL"
    monkeypatch.setenv(variable, "http://photos.example.org")
    line = cannot_run_with(world, tmp_path, platform)
    assert variable in line, line
    assert "plain http" in line, line


@pytest.mark.parametrize("platform", SERVER_PLATFORMS)
def test_a_bad_address_in_config_toml_is_named_as_config_toml(
    platform: str, world: SandboxWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
    line = cannot_run_with(world, tmp_path, platform, url="photos.example.org")
    assert f"config.toml [{platform}] url" in line, line


@pytest.mark.parametrize(
    "address", ["https://exa mple.org", "https://[oops", "https://photos.example.org:99999"]
)
@pytest.mark.parametrize("platform", SERVER_PLATFORMS)
def test_an_address_that_is_no_server_is_refused_before_any_call(
    platform: str,
    address: str,
    world: SandboxWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
    line = cannot_run_with(world, tmp_path, platform, url=address)
    assert f"config.toml [{platform}] url must be" in line, line
    assert repr(address) in line, line
