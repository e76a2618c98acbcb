"""Set-up problems are typed (kind, platform, message, remedy): the headless report says
the message and what to do on one line, and its JSON carries the kind and the remedy."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.engine import RetryPolicy
from sync.headless import HeadlessOptions, run_headless
from sync.logs import setup_logging
from sync.report import Reporter
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


RAW_NETWORK_TEXT = ("HTTPConnectionPool", "urllib3", "Max retries", "Errno", "ConnectError")


def test_an_unreachable_platform_is_said_in_plain_words_everywhere(
    world: SandboxWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The headless lines, the JSON the IMatch app shows and the doctor: what happened in
    words (the HTTP libraries' own text stays in the log file), for every platform."""
    down = closed_port_url()
    config = tmp_path / "config" / "config.toml"
    config.write_text(
        re.sub(r'(\[flickr\]\nurl = )"[^"]+"', rf'\1"{down}"', config.read_text()),
        encoding="utf-8",
    )
    monkeypatch.setenv("IMATCH_SOCIALS_PIXELFED_URL", down)
    monkeypatch.setenv("IMATCH_SOCIALS_MASTODON_URL", down)
    setup_logging()  # as the command does: the raw details go to the log file
    reporter = Reporter(io.StringIO(), json_mode=True)
    reporter.lines = io.StringIO()
    no_waiting = RetryPolicy(attempts=2, base_delay=0.0, sleep=_no_sleep)
    assert run_headless(HeadlessOptions(json=True, retry=no_waiting), reporter) == 2
    document = json.loads(reporter.out.getvalue())  # type: ignore[attr-defined]
    lines = reporter.lines.getvalue().splitlines()  # type: ignore[attr-defined]
    doctor = run("doctor", env=dict(os.environ))
    where = down.removeprefix("http://")
    for platform in ("flickr", "pixelfed", "mastodon"):
        line = next(line for line in lines if line.startswith(f"{platform}: cannot run"))
        problem = document["platforms"][platform]["problem"]
        check = next(
            line for line in doctor.stdout.splitlines() if line.split()[1:3] == [platform, "login"]
        )
        for shown in (line, problem, check):
            assert "nothing answers" in shown, shown
            assert where in shown, shown
            for raw in RAW_NETWORK_TEXT:
                assert raw not in shown, shown
    log_file = (tmp_path / "logs" / "imatch-socials.log").read_text(encoding="utf-8")
    assert "HTTPConnectionPool" in log_file  # the details are kept


async def _no_sleep(seconds: float) -> None:
    return None
