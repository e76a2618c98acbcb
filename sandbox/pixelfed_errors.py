"""pixelfed's error kinds and how its exception handler answers them (reference
platform-apis.md C2).

Handlers raise the kind Laravel would meet (a failed validation, a missing token, a
`findOrFail` miss, a refused `authorize()`, an `abort()`); `render_error` answers it as
pixelfed does: with `Accept: application/json` validation, auth and `findOrFail` errors
are HTTP 500, without it redirects and HTML pages. With the `error_quirk` switch off the
answers are Mastodon's codes (422 / 401 / 404). A JSON answer coded in a controller is the
core's `ApiAnswer`, sent as it is in every mode.
"""

from __future__ import annotations

from http import HTTPStatus

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from sandbox.mastodon_api.answers import base_url, error_answer


class PixelfedError(Exception):
    """Raised by handlers; the simulator turns it into pixelfed's answer."""


class ValidationFailed(PixelfedError):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("validation failed")
        self.errors = errors

    @property
    def message(self) -> str:
        messages = [m for ms in self.errors.values() for m in ms]
        extra = len(messages) - 1
        if extra <= 0:
            return messages[0]
        plural = "error" if extra == 1 else "errors"
        return f"{messages[0]} (and {extra} more {plural})"


class Unauthenticated(PixelfedError):
    """Missing, unknown, revoked or expired bearer token."""


class EmailNotVerified(PixelfedError):
    """C1: every API call of such an account is redirected to /i/verify-email."""


class Unauthorized(PixelfedError):
    """A failed FormRequest `authorize()`: Laravel's AuthorizationException, which the API's
    handler answers 500 "This action is unauthorized." with JSON Accept (403 otherwise)."""

    message = "This action is unauthorized."


class ModelNotFound(PixelfedError):
    """A `findOrFail` miss."""

    def __init__(self, model: str, key: str) -> None:
        super().__init__(f"No query results for model [App\\{model}] {key}")


class Abort(PixelfedError):
    """`abort(status, message)`: JSON `{"error": message}` or an HTML error page."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def render_error(request: Request, exc: PixelfedError, quirk: bool) -> Response:
    """pixelfed's answer to `exc`; `quirk` is the `error_quirk` switch."""
    if isinstance(exc, EmailNotVerified):
        return RedirectResponse(f"{base_url(request)}/i/verify-email", 302)
    if quirk:
        return _pixelfed_answer(request, exc)
    return _mastodon_answer(exc)


def _pixelfed_answer(request: Request, exc: PixelfedError) -> Response:
    as_json = wants_json(request)
    if isinstance(exc, ValidationFailed):
        if as_json:
            return JSONResponse({"message": exc.message, "errors": exc.errors}, 500)
        back = request.headers.get("referer", f"{base_url(request)}/")
        return RedirectResponse(back, 302)
    if isinstance(exc, Unauthenticated):
        if as_json:
            return JSONResponse({"error": "Unauthenticated."}, 500)
        return RedirectResponse(f"{base_url(request)}/login", 302)
    if isinstance(exc, ModelNotFound):
        return JSONResponse({"error": str(exc)}, 500) if as_json else html_error(404, "")
    if isinstance(exc, Unauthorized):
        if as_json:
            return JSONResponse({"error": exc.message}, 500)
        return html_error(403, exc.message)
    assert isinstance(exc, Abort)
    if as_json:
        return JSONResponse({"error": exc.message}, exc.status)
    return html_error(exc.status, exc.message)


def _mastodon_answer(exc: PixelfedError) -> Response:
    """The `error_quirk=False` mode: the codes a Mastodon client expects."""
    if isinstance(exc, ValidationFailed):
        answer = error_answer(422, f"Validation failed: {exc.message}")
    elif isinstance(exc, Unauthenticated):
        header = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        answer = error_answer(401, "The access token is invalid", header)
    elif isinstance(exc, ModelNotFound):
        answer = error_answer(404, "Record not found")
    elif isinstance(exc, Unauthorized):
        answer = error_answer(403, exc.message)
    else:
        assert isinstance(exc, Abort)
        answer = error_answer(exc.status, exc.message or HTTPStatus(exc.status).phrase)
    return JSONResponse(answer.body, answer.status, headers=answer.headers)


def wants_json(request: Request) -> bool:
    """Laravel's `wantsJson()`: the Accept header names a JSON type."""
    accept = request.headers.get("accept", "").lower()
    return "/json" in accept or "+json" in accept


def html_error(status: int, message: str) -> HTMLResponse:
    """Laravel's error page."""
    phrase = HTTPStatus(status).phrase
    return HTMLResponse(
        f"<!DOCTYPE html><html><head><title>{phrase}</title></head>"
        f"<body><h1>{status} | {message or phrase}</h1></body></html>",
        status,
    )
