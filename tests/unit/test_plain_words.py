"""Network failures as the HTTP libraries word them become plain words on screen.

The raw texts come from the real clients (requests/urllib3 under flickrapi, httpx for
pixelfed and IMatch) failing against this computer, plus the Windows wordings of the
same failures.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import httpx
import pytest
import requests

from sync.plain_words import plain

RAW_MARKERS = ("ConnectionPool", "urllib3", "Max retries", "Caused by", "object at 0x", "Errno")


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def assert_plain(text: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in text, text


def test_refused_by_requests_as_flickr_reports_it(
    closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        requests.get(f"http://127.0.0.1:{closed_port}/services/rest/", timeout=5)
    raw = f"could not reach flickr (flickr.test.login: ConnectionError): {raised.value}"
    caplog.set_level(logging.INFO, logger="sync.plain_words")
    shown = plain(raw)
    assert_plain(shown)
    assert shown == (
        f"could not reach flickr: nothing answers at 127.0.0.1:{closed_port} (is it "
        "running, and is the address right?)"
    )
    assert raw in caplog.text  # the details go to the log file


def test_refused_by_httpx_as_pixelfed_reports_it(closed_port: int) -> None:
    with pytest.raises(httpx.ConnectError) as raised:
        httpx.get(f"http://127.0.0.1:{closed_port}/api/v1/instance")
    url = f"http://127.0.0.1:{closed_port}"
    for raw in (
        f"could not reach pixelfed at {url} ({type(raised.value).__name__})",
        f"could not reach pixelfed at {url}: {raised.value}",
    ):
        shown = plain(raw)
        assert_plain(shown)
        assert shown.startswith(f"could not reach pixelfed at {url}: nothing answers")


def test_a_read_timeout_by_requests(silent_port: int) -> None:
    with pytest.raises(requests.exceptions.ReadTimeout) as raised:
        requests.get(f"http://127.0.0.1:{silent_port}/services/rest/", timeout=0.2)
    shown = plain(f"flickr failed (flickr.photos.getInfo): {raised.value}")
    assert_plain(shown)
    assert shown.endswith(f"127.0.0.1:{silent_port} did not answer in time")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "could not reach flickr (upload: ConnectionError): HTTPSConnectionPool(host='up."
            "flickr.com', port=443): Max retries exceeded with url: /services/upload/ (Caused "
            "by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x000001>: "
            "Failed to establish a new connection: [WinError 10061] No connection could be "
            "made because the target machine actively refused it'))",
            "could not reach flickr: nothing answers at up.flickr.com:443",
        ),
        (
            "could not reach flickr (flickr.test.login: ConnectionError): HTTPSConnectionPool("
            "host='api.flickr.com', port=443): Max retries exceeded with url: /services/rest/ "
            '(Caused by NameResolutionError("<urllib3.connection.HTTPSConnection object at '
            "0x7f>: Failed to resolve 'api.flickr.com' ([Errno 11001] getaddrinfo failed)\"))",
            "could not reach flickr: cannot find api.flickr.com:443",
        ),
        (
            "could not reach flickr (x: SSLError): HTTPSConnectionPool(host='api.flickr.com', "
            "port=443): Max retries exceeded with url: / (Caused by SSLError(SSLCertVerification"
            "Error(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')))",
            "could not reach flickr: api.flickr.com:443 refused a secure connection",
        ),
        (
            "flickr failed (upload): ('Connection aborted.', RemoteDisconnected('Remote end "
            "closed connection without response'))",
            "flickr failed (upload): the connection broke off",
        ),
    ],
)
def test_windows_and_other_wordings(raw: str, expected: str) -> None:
    shown = plain(raw)
    assert_plain(shown)
    assert shown.startswith(expected)


@pytest.mark.parametrize(
    "text",
    [
        "upload rejected: The file must be a file of type: image/jpeg, image/png.",
        "not logged in to flickr: run `imatch-socials login flickr`",
        "IMatch is not running at http://127.0.0.1:50519",
        "file not readable: C:\\Photos\\a.jpg",
        "pixelfed did not answer POST /api/v1/media in time",
    ],
)
def test_our_own_words_are_left_alone(text: str) -> None:
    assert plain(text) == text


RAW = (
    "HTTPConnectionPool(host='up.flickr.com', port=443): Max retries exceeded with url: "
    "/services/upload/ (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection "
    "object at 0x7f3a>: Failed to establish a new connection: [Errno 111] Connection refused'))"
)


def test_the_headless_report_says_failures_in_plain_words() -> None:
    """What the headless lines and the JSON document (the IMatch app's report) say of a
    photo that failed, a platform that stopped or stopped uploading."""
    import io
    import json

    from sync.events import PhotoFailed, PlatformLimited, PlatformStopped, RunSummary
    from sync.report import Reporter

    out, lines = io.StringIO(), io.StringIO()
    reporter = Reporter(out, json_mode=True)
    reporter.lines = lines
    reporter(PhotoFailed("flickr", 7, "000007.jpg", "add", f"upload failed: {RAW}"))
    reporter(PlatformStopped("flickr", RAW))
    reporter(PlatformLimited("flickr", RAW))
    summary = RunSummary("flickr", failed=1, failures=[("000007.jpg", f"upload failed: {RAW}")])
    summary.stopped = RAW
    reporter.summary(summary)
    reporter.finish(1)
    document = json.loads(out.getvalue())["platforms"]["flickr"]
    said = lines.getvalue() + json.dumps(document)
    assert "nothing answers at up.flickr.com:443" in lines.getvalue()
    assert "nothing answers" in document["failures"][0][1]
    assert "Nothing answers" in document["stopped"]
    for raw in ("HTTPConnectionPool", "urllib3", "Errno", "0x7f3a"):
        assert raw not in said
