"""A thin, safe wrapper around flickrapi 2.4.0: one worker thread, one error taxonomy.

flickrapi is synchronous and has traps (reference/platform-apis.md A2-A9): a process-wide
`requests.Session`, a sqlite token cache, `True` sent as "True", parsed-json crashing after
an upload, debug logs that print OAuth headers. `FlickrClient` avoids all of them: it
builds one `FlickrAPI` per account with an in-memory token, its own session and its own
endpoint URLs, runs every call in a single worker thread behind `async` methods, takes a
token from the shared `RateLimiter` before each call, and turns every failure into one of
the errors of `sync.platforms.base` with secrets scrubbed from the message.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # flickrapi and requests cost a tenth of a second to import: lazily
    import requests
    from flickrapi.exceptions import FlickrError

from sync.error_names import FILE_NOT_FOUND, FILE_NOT_READABLE
from sync.platforms.base import (
    AmbiguousError,
    AuthError,
    PermanentError,
    PlatformError,
    RateLimited,
    RateLimiter,
    TransientError,
)
from sync.platforms.flickr.errors import REJECTED_BY_FLICKR

LOGIN_REFUSED = "flickr refused the login: run `imatch-socials login flickr`"
NEEDS_DELETE = (
    "the flickr login needs delete permission: run `imatch-socials login flickr` and allow deleting"
)
KEY_REFUSED = "flickr refused the API key or secret"
SIGNATURE_REFUSED = (
    "flickr refused the signature of our requests (signature_invalid): the API secret does "
    "not belong to the API key, or the login was made with another key; check "
    "flickr_api_secret in IMatch, then run `imatch-socials login flickr`"
)
TRANSIENT_CODES = frozenset({0, 105, 106, 201})
"""`stat=fail` codes that mean "flickr is not available right now" (201: "Sorry, the
Flickr API service is not currently available"): flickr answered, so nothing happened."""
DEFAULT_RETRY_AFTER = 60.0
"""flickr's 429 is an HTML page without Retry-After: a minute's pause before any call."""
DEFAULT_TIMEOUT = 60.0

# flickrapi, requests-oauthlib and oauthlib print OAuth headers, token secrets and
# signatures at DEBUG level. Secrets are never logged, so these loggers stop at INFO.
_CHATTY_LOGGERS = ("flickrapi", "requests_oauthlib", "oauthlib")


def quiet_secret_loggers() -> None:
    for name in _CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)


quiet_secret_loggers()


# --- configuration values -------------------------------------------------------------


@dataclass(frozen=True)
class FlickrEndpoints:
    """The six URLs flickrapi talks to; real flickr by default, a simulator via for_base."""

    rest: str = "https://api.flickr.com/services/rest/"
    upload: str = "https://up.flickr.com/services/upload/"
    replace: str = "https://up.flickr.com/services/replace/"
    request_token: str = "https://www.flickr.com/services/oauth/request_token"
    authorize: str = "https://www.flickr.com/services/oauth/authorize"
    access_token: str = "https://www.flickr.com/services/oauth/access_token"

    @classmethod
    def for_base(cls, base_url: str) -> FlickrEndpoints:
        """All endpoints on one server (the sandbox simulator), flickr's paths kept."""
        base = base_url.rstrip("/")
        return cls(
            rest=f"{base}/services/rest/",
            upload=f"{base}/services/upload/",
            replace=f"{base}/services/replace/",
            request_token=f"{base}/services/oauth/request_token",
            authorize=f"{base}/services/oauth/authorize",
            access_token=f"{base}/services/oauth/access_token",
        )

    def apply(self, api: Any) -> None:
        """Point one FlickrAPI instance here (instance attributes; the class is untouched)."""
        api.REST_URL = self.rest
        api.UPLOAD_URL = self.upload
        api.REPLACE_URL = self.replace
        api.flickr_oauth.REQUEST_TOKEN_URL = self.request_token
        api.flickr_oauth.AUTHORIZE_URL = self.authorize
        api.flickr_oauth.ACCESS_TOKEN_URL = self.access_token


@dataclass(frozen=True)
class FlickrToken:
    """An OAuth access token and whose it is. `repr` never shows the token or secret."""

    token: str = field(repr=False)
    secret: str = field(repr=False)
    perms: str
    """The access level: read, write or delete."""
    user_nsid: str
    username: str
    fullname: str = ""

    def for_flickrapi(self) -> Any:
        from flickrapi.auth import FlickrAccessToken

        return FlickrAccessToken(
            str(self.token),
            str(self.secret),
            str(self.perms),
            str(self.fullname),
            str(self.username),
            str(self.user_nsid),
        )


def new_flickrapi(
    api_key: str,
    api_secret: str,
    endpoints: FlickrEndpoints,
    timeout: float,
    token: FlickrToken | None = None,
) -> Any:
    """A FlickrAPI that never touches disk, never caches answers and has its own session."""
    import flickrapi
    import requests

    api = flickrapi.FlickrAPI(
        str(api_key),
        str(api_secret),
        token=token.for_flickrapi() if token else None,
        format="parsed-json",
        store_token=False,
        cache=False,
        timeout=timeout,
    )
    endpoints.apply(api)
    # The class-level session is shared by every FlickrAPI in the process (A5).
    api.flickr_oauth.session = requests.Session()
    return api


# --- errors ---------------------------------------------------------------------------


class FlickrCodeError(PermanentError):
    """flickr answered `stat="fail"` with a method-specific code the caller interprets."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(REJECTED_BY_FLICKR, f"{method}: error {code}: {message}")
        self.method = method
        self.code = code
        self.message = message


_OAUTH_VALUE = re.compile(r"(oauth_[a-z_]+[=:]\s*\"?)[^&\s\",']+", re.IGNORECASE)
_STATUS = re.compile(r"Status code (\d+)")
_FLICKR_MESSAGE = re.compile(r"^Error: -?\d+: ?")


class SecretScrubber:
    """Removes known secrets and any `oauth_*=value` from text shown to people."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _OAUTH_VALUE.sub(r"\1***", text)


def http_status(error: FlickrError) -> int | None:
    match = _STATUS.search(str(error))
    return int(match.group(1)) if match else None


def classify(
    error: BaseException,
    *,
    method: str,
    write: bool,
    scrub: Callable[[str], str],
    retry_after: float | None = None,
    oauth_problem: str = "",
) -> PlatformError:
    """The one place that maps a flickrapi/requests failure to our error kinds.

    `oauth_problem` is the `oauth_problem` of an HTTP 401 answer's body, which flickrapi
    does not pass on (it only says "Status code 401 received")."""
    import requests
    from flickrapi.exceptions import FlickrError

    unsure: type[TransientError] = AmbiguousError if write else TransientError
    if isinstance(error, FlickrError) and error.code is not None:
        code = int(error.code)
        message = scrub(_FLICKR_MESSAGE.sub("", str(error)))
        if code == 96:
            return AuthError(SIGNATURE_REFUSED)
        if code in (97, 98):
            return AuthError(LOGIN_REFUSED)
        if code == 99:
            return AuthError(NEEDS_DELETE)
        if code == 100:
            return AuthError(KEY_REFUSED)
        if code in TRANSIENT_CODES:
            # flickr answered, so the write did not happen: plain transient.
            return TransientError(f"flickr is unavailable ({method}: error {code}: {message})")
        return FlickrCodeError(method, code, message)
    if isinstance(error, FlickrError):
        status = http_status(error)
        if status == 429:
            wait = retry_after if retry_after is not None else DEFAULT_RETRY_AFTER
            return RateLimited(f"flickr asked us to slow down ({method})", wait)
        if status == 401 and oauth_problem == "signature_invalid":
            return AuthError(SIGNATURE_REFUSED)
        if status in (401, 403):
            return AuthError(LOGIN_REFUSED)
        return unsure(f"flickr failed ({method}): {scrub(str(error))}")
    if isinstance(error, requests.exceptions.RequestException):
        kind = type(error).__name__
        return unsure(f"could not reach flickr ({method}: {kind}): {scrub(str(error))}")
    if isinstance(error, FileNotFoundError):
        return PermanentError(FILE_NOT_FOUND, scrub(str(error.filename or "")))
    if isinstance(error, (PermissionError, IsADirectoryError)):
        return PermanentError(FILE_NOT_READABLE, scrub(str(error.filename or "")))
    if isinstance(error, OSError):
        return unsure(f"could not reach flickr ({method}: {type(error).__name__})")
    # flickrapi reads `stat` from whatever came back: a proxy's HTML page gives KeyError.
    if isinstance(error, (ValueError, KeyError, ET.ParseError)):
        return unsure(f"flickr sent an unreadable answer ({method}): {type(error).__name__}")
    raise error


# --- the client -----------------------------------------------------------------------

T = TypeVar("T")


class FlickrClient:
    """One account's FlickrAPI, driven from asyncio through a single worker thread."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        token: FlickrToken,
        endpoints: FlickrEndpoints | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.endpoints = endpoints or FlickrEndpoints()
        self.limiter = limiter or RateLimiter(rate_per_hour=3600.0)
        self.scrub = SecretScrubber([token.token, token.secret, api_secret])
        self._api = new_flickrapi(api_key, api_secret, self.endpoints, timeout, token)
        self._session: requests.Session = self._api.flickr_oauth.session
        self._session.hooks["response"].append(self._remember_retry_after)
        self._retry_after = threading.local()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flickr")
        self._closed = False

    def _remember_retry_after(self, response: requests.Response, *args: Any, **kw: Any) -> None:
        """What flickrapi drops from an HTTP error: Retry-After, and 401's oauth_problem."""
        self._retry_after.value = None
        self._retry_after.problem = ""
        if response.status_code == 429:
            self._retry_after.value = parse_retry_after(response.headers.get("Retry-After"))
        elif response.status_code == 401:
            self._retry_after.problem = oauth_problem_of(response.text)

    async def _run(self, method: str, write: bool, work: Callable[[], T]) -> T:
        """Wait for the rate limiter, then run `work` in the worker thread."""
        if self._closed:
            raise RuntimeError("the flickr client is closed")
        await self.limiter.acquire()
        from flickrapi.exceptions import IllegalArgumentException

        def guarded() -> T | PlatformError:
            self._retry_after.value = None
            self._retry_after.problem = ""
            try:
                return work()
            except IllegalArgumentException:
                raise
            except Exception as error:
                return classify(
                    error,
                    method=method,
                    write=write,
                    scrub=self.scrub,
                    retry_after=getattr(self._retry_after, "value", None),
                    oauth_problem=getattr(self._retry_after, "problem", ""),
                )

        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._executor, guarded)
        if isinstance(result, RateLimited):
            self.limiter.pause(result.retry_after or DEFAULT_RETRY_AFTER)
        if isinstance(result, PlatformError):
            # Raised here (not in the thread) and without the original as its cause:
            # flickrapi/requests exceptions can carry URLs and headers.
            raise result
        return result

    async def call(self, method: str, *, write: bool = False, **params: Any) -> dict[str, Any]:
        """A REST method with parsed-json; flags must already be 0/1 (never bools)."""
        for name, value in params.items():
            if isinstance(value, bool):
                raise TypeError(f"{name}: pass 0/1, flickr reads True as 0")

        def work() -> dict[str, Any]:
            answer = self._api.do_flickr_call(method, format="parsed-json", **params)
            return answer if isinstance(answer, dict) else {}

        return await self._run(method, write, work)

    async def upload(self, path: Path, fields: Mapping[str, str]) -> str:
        """Upload a file (format etree: parsed-json crashes after uploading, A6)."""

        def work() -> str:
            with path.open("rb") as stream:
                rsp = self._api.upload(path.name, fileobj=stream, format="etree", **fields)
            photo_id = rsp.findtext("photoid")
            if not photo_id:
                raise ValueError("upload answer without a photo id")
            return str(photo_id).strip()

        return await self._run("upload", True, work)

    async def replace(self, path: Path, photo_id: str) -> None:
        def work() -> None:
            with path.open("rb") as stream:
                self._api.replace(path.name, photo_id, fileobj=stream, format="etree")

        await self._run("replace", True, work)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._session.close()


def oauth_problem_of(body: str) -> str:
    """`signature_invalid` from a body like `oauth_problem=signature_invalid&...`."""
    match = re.search(r"(?:^|&)oauth_problem=([a-z_]+)", body.strip())
    return match.group(1) if match else ""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header given in seconds (the HTTP-date form is rare)."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None
