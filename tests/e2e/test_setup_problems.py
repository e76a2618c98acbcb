"""Set-up problems are typed (kind, platform, message, remedy): the headless report says
the message and what to do on one line, and its JSON carries the kind and the remedy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from tests.e2e.test_cli_mistakes import closed_port_url, environment, one_line, run
from tests.sync_checks import NO_RATE_LIMITS, cannot_run_line, sync_once


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, 4, cases=False, posted_share=0.0, seed=3)
    with sandbox_world(library) as world:
        world.configure_home(tmp_path, NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        yield world


def test_imatch_down_is_one_line_with_what_to_do(tmp_path: Path) -> None:
    down = closed_port_url()
    env = environment(tmp_path, IMATCH_SOCIALS_IMATCH_URL=down)
    line = one_line(run("--headless", env=env))
    assert f"IMatch is not running at {down}" in line
    assert "start IMatch" in line
    assert "IMATCH_SOCIALS_IMATCH_URL" in line  # the setting the address came from
    document = json.loads(run("--headless", "--json", env=env).stdout)
    assert document["problem"] == f"IMatch: IMatch is not running at {down}"
    assert document["problem_kind"] == "IMatch"
    assert "start IMatch" in document["remedy"]


def test_a_missing_token_names_the_variable_to_create(world: SandboxWorld) -> None:
    platform = "pixelfed"
    world.imatch.db.app_variables[f"{platform}_token"] = ""
    assert f"create the IMatch application variable {platform}_token" in cannot_run_line(platform)
    _, summary = sync_once(platforms=[platform])
    result = summary["platforms"][platform]
    assert result["status"] == "not run"
    assert result["kind"] == "set-up"
    assert f"{platform}_token" in result["remedy"]


def test_a_refused_token_is_a_login_problem(world: SandboxWorld) -> None:
    platform = "pixelfed"
    world.imatch.db.app_variables[f"{platform}_token"] = "wrong"
    _, summary = sync_once(platforms=[platform])
    result = summary["platforms"][platform]
    assert "refused the token" in result["problem"]
    assert result["kind"] == "login"
    assert f"login {platform}" in result["remedy"]
