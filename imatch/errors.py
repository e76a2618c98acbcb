"""Errors raised by the IMatch client. Their messages never contain the auth token."""

from __future__ import annotations


class IMatchError(Exception):
    """Something went wrong talking to IMatch."""


class IMatchUnavailable(IMatchError):
    """IMatch does not answer at the configured address (after a short retry): it is not
    running, or it stopped answering. Nothing more can be recorded in IMatch for now."""

    def __init__(self, url: str, detail: str = "") -> None:
        message = f"IMatch is not running at {url}"
        if detail:
            message += f" ({detail})"
        super().__init__(message)
        self.url = url


class IMatchNotAnswering(IMatchUnavailable):
    """IMatch accepted the connection but the exchange broke (timeout, reset, cut off)."""

    def __init__(self, url: str, endpoint: str, kind: str) -> None:
        IMatchError.__init__(self, f"IMatch at {url} did not answer: {kind} ({endpoint})")
        self.url = url
        self.kind = kind


class IMatchAuthError(IMatchError):
    """IMatch refused to authenticate us, or refused the token again after re-authenticating."""


class IMatchRequestError(IMatchError):
    """IMatch answered a call with an error status."""

    def __init__(self, endpoint: str, status: int, code: int | None, message: str) -> None:
        text = f"IMatch {endpoint} failed with HTTP {status}"
        if code is not None and code != status:
            text += f" (code {code})"
        if message:
            text += f": {message}"
        super().__init__(text)
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.detail = message

    @property
    def transient(self) -> bool:
        return self.status >= 500 or self.status == 429


class IMatchResponseError(IMatchError):
    """IMatch answered 200 with something we cannot read (missing keys, wrong types)."""
