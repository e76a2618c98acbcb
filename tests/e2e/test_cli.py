"""The command line: demo, sandbox, argument errors, and the headless core's imports."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from imatch.client import IMatchClient
from imatch.library import read_publication
from sandbox.library import LibraryInfo
from sandbox.world import sandbox_world
from sync.report import Reporter
from tests.cli_process import run_cli, start_cli
from tests.sync_checks import NO_RATE_LIMITS


def test_demo_headless_runs_without_a_terminal() -> None:
    result = run_cli("demo", "--headless")
    # A real run exits 1 when a photo fails; the demo library's damaged file fails.
    assert result.returncode == 1, result.stderr
    assert "Exit code 1, as a real run gives when photos fail" in result.stdout
    first, second = result.stdout.split("== Second run ==")
    assert "FAILED add" in first
    assert "FAILED add" not in second
    for platform in ("flickr", "pixelfed", "mastodon"):
        assert f"{platform}: added" in first
        assert f"{platform}: nothing left to do" in second
    assert "Traceback" not in result.stderr


def test_unknown_arguments_exit_2() -> None:
    result = run_cli("--platform-nope")
    assert result.returncode == 2
    assert result.stderr == (
        "imatch-socials: unrecognized arguments: --platform-nope "
        "(`imatch-socials --help` lists the options)\n"
    )


async def read_flickr(url: str) -> int:
    async with IMatchClient(url, user="t") as client:
        return len((await read_publication(client, "Socials|flickr", "flickr")).candidates)


def test_sandbox_serves_until_stopped(sample_library: LibraryInfo) -> None:
    sample_candidates = sample_library.candidates["flickr"]
    child = start_cli(
        "sandbox", "--imatch-port", "0", "--photos", "5", stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline().split()
        assert first[0] == "imatch"
        assert first[1].startswith("http://127.0.0.1:")
        assert asyncio.run(read_flickr(first[1])) == sample_candidates + 5
        printed = dict(child.stdout.readline().split(" ", 1) for _ in range(4))
        library = Path(printed["library"].strip())  # generated in the temporary folder
        assert library.is_dir()
    finally:
        child.terminate()
        assert child.wait(20) is not None
    assert not library.exists()  # stopped with SIGTERM, it takes its library with it


def test_headless_core_never_imports_textual() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import imatch, sync\n"
        "for package in (imatch, sync):\n"
        "    for module in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(module.name)\n"
        "assert 'sync.cli' in sys.modules and 'imatch.library' in sys.modules\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_headless_scan_progress_is_one_updated_line_on_a_terminal_only() -> None:
    terminal = _Terminal()
    reporter = Reporter(terminal)
    progress = reporter.scan_progress("flickr")
    progress("reading", 5000, 10000)
    progress("planning", 10000, 10000)
    reporter.say("flickr: 10000 add")
    assert terminal.getvalue() == (
        "\r\033[Kflickr: reading IMatch 5,000/10,000"
        "\r\033[Kflickr: planning 10,000/10,000"
        "\r\033[K"
        "flickr: 10000 add\n"
    )
    piped = io.StringIO()  # a log file or the IMatch app: no progress lines at all
    Reporter(piped).scan_progress("flickr")("reading", 1, 2)
    assert piped.getvalue() == ""


def test_sandbox_account_conditions_are_checked() -> None:
    for value in ("lots", "1.5"):
        result = run_cli("sandbox", "--flickr-transient", value)
        assert result.returncode == 2
        assert "--flickr-transient: expected a number from 0 to 1" in result.stderr
        assert "Traceback" not in result.stderr
    result = run_cli("sandbox", "--flickr-account", "gold")
    assert result.returncode == 2
    assert "'gold'" in result.stderr


@pytest.mark.parametrize("extra", [(), ("--imatch-only",)])
def test_sandbox_stopped_with_sigterm_removes_its_generated_library(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    child = start_cli(
        "sandbox",
        "--imatch-port",
        "0",
        *extra,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    assert child.stdout is not None
    lines = dict(child.stdout.readline().split(" ", 1) for _ in range(2 if extra else 5))
    library = Path(lines["library"].strip())
    assert library.is_dir()
    assert temp in library.parents
    child.send_signal(signal.SIGTERM)
    _, errors = child.communicate(timeout=30)
    assert child.returncode == 0, errors
    assert "Traceback" not in errors
    assert not library.exists()
    assert list(temp.iterdir()) == []


def test_a_dry_run_says_by_how_much_a_photo_is_over_a_limit(sample_library: LibraryInfo) -> None:
    """`caption too long` and `too many tags` with the count and the platform's limit
    (the instance's own, once connected), as the terminal app's detail pane says them."""
    with sandbox_world(sample_library.path) as world, tempfile.TemporaryDirectory() as home:
        world.configure_home(Path(home), NO_RATE_LIMITS)
        world.pixelfed.settings.max_caption_length = 600  # an instance with its own limit
        env = {**os.environ, "IMATCH_SOCIALS_HOME": home}
        result = run_cli("--headless", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    over = [line for line in result.stdout.splitlines() if "too long" in line or "too many" in line]
    assert len(over) >= 6, result.stdout
    for line in over:
        for name in ("caption too long", "too many tags"):
            if name in line:
                assert re.search(rf"{name} \([\d,]+ (characters|tags); at most [\d,]+\)", line)
    pixelfed = [line for line in over if "caption too long (" in line]
    assert any("at most 600)" in line for line in pixelfed), result.stdout
