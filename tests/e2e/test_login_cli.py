"""`imatch-socials login flickr|pixelfed` as a user runs it, against the simulators."""

from __future__ import annotations

import re
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.library import LibraryInfo
from sandbox.world import SandboxWorld, sandbox_world
from tests.cli_process import ChildProcess, run_cli, start_cli
from tests.sync_checks import NO_RATE_LIMITS


@pytest.fixture
def world(
    sample_library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SandboxWorld]:
    with sandbox_world(sample_library.path) as world:
        world.configure_home(tmp_path, NO_RATE_LIMITS)
        (tmp_path / "state" / "flickr-token.json").unlink()  # not logged in yet
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        yield world


def approve_in_browser(world: SandboxWorld, url: str) -> str:
    """What the user does: open the address, pick the account, approve, read the code."""
    page = httpx.get(url)
    form = dict(re.findall(r'name="(oauth_token|perms)" value="([^"]+)"', page.text))
    form |= {"user_nsid": world.flickr_login.user_nsid, "decision": "approve"}
    answer = httpx.post(url.split("?", 1)[0], data=form)
    code = re.search(r'<code id="oauth-verifier">([0-9-]+)</code>', answer.text)
    assert code is not None
    return code.group(1)


def start_login(platform: str) -> ChildProcess:
    return start_cli(
        "login",
        platform,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_flickr_login_stores_a_private_token_that_syncs(
    world: SandboxWorld, tmp_path: Path
) -> None:
    child = start_login("flickr")
    assert child.stdout is not None
    assert "Open this address" in child.stdout.readline()
    url = child.stdout.readline().strip()
    assert url.startswith(f"{world.flickr_url}/services/oauth/authorize?")
    assert "perms=delete" in url
    out, err = child.communicate(approve_in_browser(world, url) + "\n", timeout=60)
    assert child.returncode == 0, err
    assert "logged in as demo with delete permission" in out
    token_file = tmp_path / "state" / "flickr-token.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    for secret in (world.flickr_login.api_secret, *world.flickr.state.access_tokens):
        assert secret not in out + err
    dry = run_cli("--headless", "--dry-run", "--platform", "flickr")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "not connected" not in dry.stdout


def test_flickr_login_with_a_refused_code(world: SandboxWorld) -> None:
    child = start_login("flickr")
    assert child.stdout is not None
    child.stdout.readline()
    child.stdout.readline()
    _, err = child.communicate("111-222-333\n", timeout=60)
    assert child.returncode == 2
    assert "flickr refused the verification code" in err
    assert "Traceback" not in err


def test_flickr_login_with_a_wrong_secret(world: SandboxWorld) -> None:
    world.imatch.db.app_variables["flickr_api_secret"] = "not-the-secret"
    child = start_login("flickr")
    out, err = child.communicate("", timeout=60)
    assert child.returncode == 2
    assert "flickr refused the API key or secret" in err
    assert "not-the-secret" not in out + err


def test_pixelfed_login_reports_the_account_or_the_problem(world: SandboxWorld) -> None:
    child = start_login("pixelfed")
    out, err = child.communicate("", timeout=60)
    assert child.returncode == 0, err
    assert "the token works for demo" in out
    world.imatch.db.app_variables["pixelfed_token"] = "expired-or-wrong"
    child = start_login("pixelfed")
    out, err = child.communicate("", timeout=60)
    assert child.returncode == 2
    assert "refused the token" in err
    assert "expired-or-wrong" not in out + err
