"""The command line of change detection: `baseline`, `--only changed` and
`--repost-changed-files`; each mistake is one line, never a traceback."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli_mistakes import closed_port_url, environment, one_line, run


def test_baseline_takes_only_platform(tmp_path: Path) -> None:
    for args, named in (
        (("baseline", "--dry-run"), "--dry-run"),
        (("baseline", "--headless"), "--headless"),
        (("baseline", "--platform", "nope"), "nope"),
    ):
        result = run(*args, env=environment(tmp_path))
        assert result.returncode == 2
        assert named in one_line(result)


def test_baseline_with_imatch_down_is_one_line(tmp_path: Path) -> None:
    env = environment(tmp_path, IMATCH_SOCIALS_IMATCH_URL=closed_port_url())
    result = run("baseline", "--platform", "flickr", env=env)
    assert result.returncode == 2
    assert "IMatch" in one_line(result)


def test_repost_needs_headless_and_only_changed_is_a_choice(tmp_path: Path) -> None:
    result = run("--repost-changed-files", env=environment(tmp_path))
    assert result.returncode == 2
    line = one_line(result)
    assert "--repost-changed-files" in line
    assert "--headless" in line
    env = environment(tmp_path, IMATCH_SOCIALS_IMATCH_URL=closed_port_url())
    result = run("--headless", "--only", "changed", "--repost-changed-files", env=env)
    assert result.returncode == 2
    assert "--only" not in one_line(result)  # accepted: it is IMatch that is not there
