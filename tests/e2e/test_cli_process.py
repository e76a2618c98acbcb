"""The forked command of `tests/cli_process.py` answers as `python -m sync.cli` started
the usual way does: the same output, exit code, environment and working folder, and a
real SIGKILL; a console encoding set for the interpreter is honoured."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_process import CLI, CliProcess, forking, run_cli, start_cli
from tests.e2e.test_cli_mistakes import environment


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("--platform-nope",),
        ("--headless", "--only", "nope"),
        (),  # the terminal app without a terminal
        ("--headless",),  # a config error: the file named below is not UTF-8
        ("doctor",),
    ],
)
def test_a_forked_command_answers_as_a_started_one(tmp_path: Path, args: tuple[str, ...]) -> None:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_bytes("[imatch]\n".encode("utf-16"))
    env = environment(tmp_path)
    started = subprocess.run(
        [*CLI, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env
    )
    forked = run_cli(*args, env=env)
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        started.returncode,
        started.stdout,
        started.stderr,
    )


def test_a_forked_command_gets_its_environment_and_folder(tmp_path: Path) -> None:
    here = tmp_path / "here"
    config = here / "relative" / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_bytes("[imatch]\n".encode("utf-16"))  # found only from `here`
    env = {**environment(tmp_path), "IMATCH_SOCIALS_HOME": "relative"}
    started = subprocess.run(
        [*CLI, "--headless"], capture_output=True, text=True, env=env, cwd=here
    )
    cwd = Path.cwd()
    try:
        os.chdir(here)
        forked = run_cli("--headless", env=env)
    finally:
        os.chdir(cwd)
    assert forked.returncode == started.returncode == 2
    assert "config.toml must be UTF-8" in forked.stdout + forked.stderr
    assert (forked.stdout, forked.stderr) == (started.stdout, started.stderr)


def test_a_forked_command_dies_of_a_real_sigkill(tmp_path: Path) -> None:
    child = start_cli("sandbox", "--imatch-port", "0", env=environment(tmp_path))
    if forking():
        assert isinstance(child, CliProcess)  # forked, as every command here is
    assert child.poll() is None
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(30) == -signal.SIGKILL


def test_a_console_encoding_for_the_interpreter_starts_it_the_usual_way(tmp_path: Path) -> None:
    child = start_cli("--version", env=environment(tmp_path, PYTHONIOENCODING="cp1252"))
    assert isinstance(child, subprocess.Popen)
    assert child.wait(60) == 0
    assert sys.executable in child.args
