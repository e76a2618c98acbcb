"""`imatch-socials imatch-app`: the shipped IMatch app is found and copied into IMatch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync.imatch_app_files import app_source, program_folder
from tests.cli_process import run_cli

APP_FILES = {"index.html", "app.js", "app.css", "app.json", "README.md"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("imatch-app", *args, timeout=60)


def test_it_says_where_the_app_is_and_what_to_set() -> None:
    result = run()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"The IMatch app of this installation: {app_source()}"
    assert {p.name for p in app_source().iterdir()} >= APP_FILES
    expected = "--to FOLDER" if os.name != "nt" else "imatch-socials imatch-app --copy"
    assert expected in result.stdout
    assert lines[-1].startswith(
        "Set the IMatch application variable imatch_to_socials_python_script_path to: "
    )


def test_copy_puts_every_file_of_the_app_there_and_replaces_an_older_copy(
    tmp_path: Path,
) -> None:
    target = tmp_path / "webroot" / "user" / "imatch-socials"
    target.mkdir(parents=True)
    (target / "app.js").write_text("old version", encoding="utf-8")
    result = run("--copy", "--to", str(target))
    assert result.returncode == 0, result.stderr
    assert f"Copied the IMatch app (5 files) to {target}" in result.stdout
    assert {p.name for p in target.iterdir()} == APP_FILES
    for name in APP_FILES:
        assert (target / name).read_bytes() == (app_source() / name).read_bytes()


def test_a_file_in_the_way_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "imatch-socials"
    blocker.write_text("", encoding="utf-8")
    result = run("--to", str(blocker))
    assert result.returncode == 2
    assert result.stderr == f"imatch-socials: {blocker} is a file: name a folder for the app\n"


@pytest.mark.skipif(os.name == "nt", reason="IMatch's own folder is used on Windows")
def test_copy_without_a_folder_away_from_windows_asks_for_one() -> None:
    result = run("--copy")
    assert result.returncode == 2
    assert result.stderr == (
        "imatch-socials: IMatch runs on Windows only: name the folder to copy the app to "
        "with --to\n"
    )
    assert "Traceback" not in result.stderr


def test_the_program_folder_is_the_one_on_the_path_not_the_link_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pipx and uv put a link (a copy on Windows) of the program in their bin folder."""
    real = tmp_path / "venv" / "bin" / "imatch-socials"
    real.parent.mkdir(parents=True)
    real.write_text("#!/bin/sh\n", encoding="utf-8")
    real.chmod(0o755)
    on_path = tmp_path / "local bin"
    on_path.mkdir()
    (on_path / "imatch-socials").symlink_to(real)
    monkeypatch.setattr(sys, "argv", [str(on_path / "imatch-socials"), "imatch-app"])
    assert program_folder() == on_path
    monkeypatch.setattr(sys, "argv", ["imatch-socials", "imatch-app"])
    monkeypatch.setenv("PATH", str(on_path))
    assert program_folder() == on_path
