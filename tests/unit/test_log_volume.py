"""The log keeps its history: an IMatch request line carries up to 500 ids (about 3,000
characters), so a 50,000-photo scan wrote more than one rotated file's worth of request
lines and pushed earlier runs' errors out of the five files kept. Routine lines keep the
start of a long value and say how much was left out; warnings and errors stay whole."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.logs import setup_logging

IDS = ",".join(str(n) for n in range(100_000, 100_500))
URL = f"http://127.0.0.1:50519/v1/files?id={IDS}&fields=id,name,size&auth_token=tok3n5ecret9"


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
    root = logging.getLogger()
    level = root.level
    path = setup_logging()
    yield path
    for handler in list(root.handlers):
        if getattr(handler, "_imatch_socials", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def written(path: Path) -> list[str]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8").splitlines()


def test_a_request_line_with_500_ids_is_logged_short(log_file: Path) -> None:
    # httpx's own call, as it logs every request.
    logging.getLogger("httpx").info(
        'HTTP Request: %s %s "%s %d %s"', "GET", URL, "HTTP/1.1", 200, "OK"
    )
    (line,) = written(log_file)
    assert len(line) < 400
    assert "HTTP Request: GET http://127.0.0.1:50519/v1/files?id=100000,100001," in line
    assert '"HTTP/1.1 200 OK"' in line
    left_out = re.search(r"…\[(\d+) characters left out\]", line)
    assert left_out is not None
    assert int(left_out.group(1)) > 2_500
    assert "tok3n5ecret9" not in line


def test_warnings_and_errors_stay_whole(log_file: Path) -> None:
    logging.getLogger("sync.session").warning("IMatch refused %s", URL)
    (line,) = written(log_file)
    assert IDS in line
    assert "tok3n5ecret9" not in line  # masked, as every line is


def test_a_scan_worth_of_request_lines_fits_in_a_fraction_of_one_log_file(log_file: Path) -> None:
    # 50,000 photos: about 100 chunked requests for each of files, values, categories,
    # relations and records (and more on three platforms).
    for _ in range(600):
        logging.getLogger("httpx").info(
            'HTTP Request: %s %s "%s %d %s"', "GET", URL, "HTTP/1.1", 200, "OK"
        )
    written(log_file)
    every_file = sum(path.stat().st_size for path in log_file.parent.iterdir())
    assert every_file < 2_000_000 // 8
