"""Network failures in plain words for the screen; the raw text goes to the log file.

Messages from the HTTP libraries (`HTTPConnectionPool(host='…', port=9): Max retries
exceeded … (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at
0x7f…>: Failed to establish a new connection: [Errno 111] Connection refused'))`, or an
httpx class name such as `ConnectError`) mean nothing to a photographer. `plain()` keeps
what our own code said before such a text and replaces the rest with what happened
("nothing answers at 127.0.0.1:9") and what it usually means.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

_NETWORK_NAME = (
    r"\w*(?:Connect|Connection|Timeout|Protocol|Remote|SSL|Network|Proxy|Transport|Read"
    r"|Write|Pool|Resolution)\w*(?:Error|Timeout|Exception|Disconnected)?"
)
_RAW_START = re.compile(
    r"HTTPS?ConnectionPool\(|<urllib3\.|urllib3\.|requests\.exceptions\.|httpx\.|httpcore\."
    r"|Max retries exceeded|\(Caused by |\(?'Connection aborted|\bRemoteDisconnected\("
    # Socket errors as the operating system words them (network ones only).
    r"|\[Errno (?:-[235]|11001|101|104|110|111|113|54|60|61)\]|\[WinError 100\d\d\]"
    r"|Connection refused|Connection reset by peer|Name or service not known"
    r"|Temporary failure in name resolution|getaddrinfo failed"
)
_NAME_IN_PARENTHESES = re.compile(rf"\s*\((?:[\w./ -]+: )?{_NETWORK_NAME}\)")
_BARE_NAME = re.compile(rf"^(?:{_NETWORK_NAME})$")
_HOST_PORT = re.compile(r"host='([^']+)', port=(\d+)")
_URL = re.compile(r"https?://[^\s'\")]+")
_CAUSES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(
            r"Name or service not known|getaddrinfo failed|NameResolution|nodename nor "
            r"servname|Temporary failure in name resolution|Failed to resolve|\[Errno -[235]\]"
            r"|\[Errno 11001\]|No address associated",
            re.IGNORECASE,
        ),
        "cannot find {where} (check the address and the internet connection)",
        "the address cannot be found (check it and the internet connection)",
    ),
    (
        re.compile(
            r"Connection refused|ConnectionRefused|\[Errno 111\]|\[Errno 61\]|WinError 10061"
            r"|actively refused|All connection attempts failed|\bConnectError\b"
            r"|NewConnectionError",
            re.IGNORECASE,
        ),
        "nothing answers at {where} (is it running, and is the address right?)",
        "nothing answers there (is it running, and is the address right?)",
    ),
    (
        re.compile(r"CERTIFICATE_VERIFY_FAILED|certificate|SSLError|\bSSL\b|TLS", re.IGNORECASE),
        "{where} refused a secure connection (its certificate could not be checked)",
        "the secure connection was refused (the certificate could not be checked)",
    ),
    (
        re.compile(r"timed out|timeout", re.IGNORECASE),
        "{where} did not answer in time",
        "no answer in time",
    ),
    (
        re.compile(
            r"RemoteDisconnected|Connection aborted|Server disconnected|ConnectionReset"
            r"|Connection reset|\[Errno 104\]|\[Errno 54\]|WinError 10054|RemoteProtocolError"
            r"|IncompleteRead|ProtocolError|ReadError|WriteError|broken pipe",
            re.IGNORECASE,
        ),
        "the connection to {where} broke off",
        "the connection broke off",
    ),
    (
        re.compile(r"Network is unreachable|\[Errno 101\]|WinError 10051|No route to host"),
        "no network (check the internet connection)",
        "no network (check the internet connection)",
    ),
)


def plain(text: str) -> str:
    """`text` with any raw HTTP-library message replaced by plain words (logged if so)."""
    cleaned = _NAME_IN_PARENTHESES.sub("", text)
    raw = _RAW_START.search(cleaned)
    if raw is None and cleaned == text and not _BARE_NAME.match(text.strip()):
        return text
    log.info("network failure, in the words of the HTTP library: %s", text)
    before = (cleaned[: raw.start()] if raw else cleaned).strip().rstrip(" :(-")
    if _BARE_NAME.match(before):
        before = ""
    where = _where(text)
    words = _cause(text, where, named=bool(before) and (where in before or where == "the server"))
    if not before:
        return words[0].upper() + words[1:]
    if any(k in before for k in ("broke", "in time", "cannot be found", "refused")):
        return before  # our own words already say what happened
    return f"{before}: {words}"


def _where(text: str) -> str:
    found = _HOST_PORT.search(text)
    if found:
        return f"{found.group(1)}:{found.group(2)}"
    url = _URL.search(text)
    return url.group(0).rstrip(".,:") if url else "the server"


def _cause(text: str, where: str, named: bool) -> str:
    """What happened; `named`: the text before already says where."""
    for pattern, words, words_there in _CAUSES:
        if pattern.search(text):
            return words_there if named else words.format(where=where)
    if named:
        return "a network error (details in the log file)"
    return f"a network error while talking to {where} (details in the log file)"
