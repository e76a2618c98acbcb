"""A local flickr for tests, benchmarks and `imatch-socials demo` (never the real sync).

`FlickrSimulator` serves, on 127.0.0.1, what the real flickrapi 2.4.0 library talks to:
the OAuth 1.0a endpoints (signatures checked with oauthlib), an authorize page a test can
drive over HTTP, the REST endpoint (JSON and XML) with the methods and error codes of
`reference/platform-apis.md` section B, and the upload/replace endpoints (always XML).
Its state is plain data a test can read and change; `settings` holds the switches and
`knobs` the faults (latency, HTTP 500, answers dropped after a mutation).
`settings.transient_rate` answers that share of REST, upload and replace calls with one
of the transient failures real flickr gives (`stat=fail` 0/105/106/201, or an HTML 502,
503 or 429 page), before anything changes.

    sim = FlickrSimulator()
    consumer = sim.add_consumer()
    token = sim.grant_token(sim.add_user("jane"), consumer.key, perms="delete")
    with serve_in_thread(sim.asgi_app) as base_url:
        urls = flickrapi_urls(base_url)  # set these on flickrapi (A8)
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import random
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from oauthlib.common import safe_string_equals
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header, unescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.faults import FaultKnobs, FaultMiddleware, RequestLog, add_params, drop_answer
from sandbox.flickr_methods import (
    METHODS,
    ApiError,
    Call,
    Element,
    error_elements,
    php_int,
    render_json,
    render_xml,
)
from sandbox.flickr_state import (
    PERM_LEVELS,
    AccessToken,
    Consumer,
    FlickrSettings,
    FlickrState,
    Group,
    Photo,
    Photoset,
    RequestToken,
    User,
    build_tags,
    exif_date_taken,
    format_date_taken,
    kept_description,
    new_secret,
    normalize_tag,
    perm_allows,
    photo_type,
    sniff_image_format,
    split_tag_string,
)

__all__ = ["FlickrSettings", "FlickrSimulator", "flickrapi_urls"]

REST_PATH = "/services/rest/"
UPLOAD_PATH = "/services/upload/"
REPLACE_PATH = "/services/replace/"
REQUEST_TOKEN_PATH = "/services/oauth/request_token"
AUTHORIZE_PATH = "/services/oauth/authorize"
ACCESS_TOKEN_PATH = "/services/oauth/access_token"
RATE_WINDOW_SECONDS = 3600
XML_TYPE = "text/xml; charset=utf-8"


def flickrapi_urls(base_url: str) -> dict[str, str]:
    """The six flickrapi endpoint attributes (reference A8) for a simulator at `base_url`.

    Keys `REST_URL`, `UPLOAD_URL`, `REPLACE_URL` belong on `flickrapi.FlickrAPI`; keys
    `REQUEST_TOKEN_URL`, `AUTHORIZE_URL`, `ACCESS_TOKEN_URL` on
    `flickrapi.auth.OAuthFlickrInterface` (or on `FlickrAPI(...).flickr_oauth`).
    """
    base = base_url.rstrip("/")
    return {
        "REST_URL": base + REST_PATH,
        "UPLOAD_URL": base + UPLOAD_PATH,
        "REPLACE_URL": base + REPLACE_PATH,
        "REQUEST_TOKEN_URL": base + REQUEST_TOKEN_PATH,
        "AUTHORIZE_URL": base + AUTHORIZE_PATH,
        "ACCESS_TOKEN_URL": base + ACCESS_TOKEN_PATH,
    }


# --- reading requests ---------------------------------------------------------------


@dataclass
class Incoming:
    """One HTTP request, parsed: query, form fields (urlencoded or multipart) and files."""

    method: str
    url: str
    query_string: str
    form: list[tuple[str, str]]
    files: dict[str, bytes] = field(default_factory=dict)
    filenames: dict[str, str] = field(default_factory=dict)
    """The file name each file part was sent with."""
    authorization: str | None = None

    def oauth(self) -> dict[str, str]:
        """The oauth_* parameters from the Authorization header, the query and the form."""
        found: dict[str, str] = {}
        if self.authorization:
            with contextlib.suppress(ValueError):
                header = parse_authorization_header(self.authorization)
                found.update((key, unescape(value)) for key, value in header)
        for key, value in [*parse_qsl(self.query_string), *self.form]:
            if key.startswith("oauth_"):
                found.setdefault(key, value)
        found.pop("realm", None)
        return found

    def params(self) -> dict[str, str]:
        """The non-OAuth parameters; form fields win over the query."""
        merged = dict(parse_qsl(self.query_string, keep_blank_values=True))
        merged.update(self.form)
        return {k: v for k, v in merged.items() if not k.startswith("oauth_")}


def parse_multipart(
    body: bytes, content_type: str
) -> tuple[list[tuple[str, str]], dict[str, bytes], dict[str, str]]:
    """Text fields, file parts and the file parts' names of a multipart/form-data body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    fields: list[tuple[str, str]] = []
    files: dict[str, bytes] = {}
    filenames: dict[str, str] = {}
    if not match:
        return fields, files, filenames
    for part in body.split(b"--" + match.group(1).encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        head, separator, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        disposition = re.search(rb"(?im)^content-disposition:(.*)$", head)
        name = re.search(rb'\bname="([^"]*)"', disposition.group(1)) if disposition else None
        if not separator or name is None:
            continue
        content = content.removesuffix(b"\r\n")
        field_name = name.group(1).decode("utf-8")
        filename = re.search(rb'\bfilename="([^"]*)"', disposition.group(1) if disposition else b"")
        if filename is not None:
            files[field_name] = content
            filenames[field_name] = filename.group(1).decode("utf-8", errors="replace")
        else:
            fields.append((field_name, content.decode("utf-8", errors="replace")))
    return fields, files, filenames


async def read_incoming(request: Request) -> Incoming:
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    files: dict[str, bytes] = {}
    filenames: dict[str, str] = {}
    if content_type.startswith("multipart/form-data"):
        form, files, filenames = parse_multipart(body, content_type)
    elif body:
        form = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    else:
        form = []
    url = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
    return Incoming(
        method=request.method,
        url=url,
        query_string=request.url.query,
        form=form,
        files=files,
        filenames=filenames,
        authorization=request.headers.get("authorization"),
    )


def signature_matches(incoming: Incoming, consumer_secret: str, token_secret: str) -> bool:
    """Recompute the HMAC-SHA1 signature as flickr does (reference A10) and compare."""
    oauth = incoming.oauth()
    if oauth.get("oauth_signature_method") != "HMAC-SHA1" or "oauth_signature" not in oauth:
        return False
    headers = {"Authorization": incoming.authorization} if incoming.authorization else None
    try:
        params = oauth_signature.collect_parameters(
            uri_query=incoming.query_string, body=incoming.form, headers=headers
        )
    except ValueError:
        return False
    base_string = oauth_signature.signature_base_string(
        incoming.method,
        oauth_signature.base_string_uri(incoming.url),
        oauth_signature.normalize_parameters(params),
    )
    secrets_holder = _SigningSecrets(consumer_secret, token_secret)
    expected = oauth_signature.sign_hmac_sha1_with_client(base_string, secrets_holder)
    return bool(safe_string_equals(expected, oauth["oauth_signature"]))


@dataclass
class _SigningSecrets:
    """The two attributes oauthlib's `sign_hmac_sha1_with_client` reads from a client."""

    client_secret: str
    resource_owner_secret: str


class OAuthProblem(Exception):
    """An OAuth failure: HTTP 401 with an `oauth_problem=...` body, as flickr answers."""

    def __init__(self, problem: str, extra: dict[str, str] | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.extra = extra or {}

    def response(self) -> Response:
        body = urlencode({"oauth_problem": self.problem, **self.extra})
        return PlainTextResponse(body, status_code=401)


# --- answers ------------------------------------------------------------------------


def xml_answer(children: list[Element]) -> Response:
    return Response(render_xml("ok", children), media_type=XML_TYPE)


def xml_error(error: ApiError) -> Response:
    return Response(render_xml("fail", error_elements(error)), media_type=XML_TYPE)


def rest_answer(
    params: dict[str, str],
    children: list[Element],
    error: ApiError | None,
    arrays: frozenset[str] = frozenset(),
) -> Response:
    """flickr's JSON (format=json) or XML (format=rest or none) answer, always HTTP 200."""
    if params.get("format") != "json":
        return xml_error(error) if error else xml_answer(children)
    payload = render_json("ok", children, error, arrays).decode()
    if params.get("nojsoncallback") != "1":
        payload = f"{params.get('jsoncallback') or 'jsonFlickrApi'}({payload})"
    return Response(payload, media_type="application/json")


def too_many_requests(retry_after: float) -> Response:
    """Over the 3,600 calls an hour of an API key (B17). flickr does not document this
    answer; what it really sends when it throttles is an HTML 429 page without
    Retry-After, so that is what the simulator sends (`retry_after` is not revealed)."""
    return html_error_page(429)


TRANSIENT_MESSAGES = {
    0: "Sorry, the Flickr API service is not currently available.",
    105: "Service currently unavailable",
    106: "Write operation failed",
    201: "Sorry, the Flickr API service is not currently available.",
}


def html_error_page(status: int) -> Response:
    """What flickr's front end answers when the API behind it is down or busy: an HTML
    page, never JSON or XML, and for 429 no Retry-After header."""
    phrases = {429: "Too Many Requests", 502: "Bad Gateway", 503: "Service Unavailable"}
    page = (
        f"<!DOCTYPE html><html><head><title>Flickr: {phrases.get(status, 'Error')}</title>"
        "</head><body><h1>Flickr is having a massage.</h1>"
        "<p>Please try again in a few moments.</p></body></html>"
    )
    return HTMLResponse(page, status_code=status)


def new_verifier() -> str:
    digits = f"{secrets.randbelow(10**9):09d}"
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


# --- the simulator ------------------------------------------------------------------


class FlickrSimulator:
    """flickr on 127.0.0.1: state, settings, fault knobs, request log and the ASGI app."""

    def __init__(
        self,
        settings: FlickrSettings | None = None,
        knobs: FaultKnobs | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = FlickrState()
        self.settings = settings or FlickrSettings()
        self.knobs = knobs or FaultKnobs()
        self.log = RequestLog()
        self.clock = clock
        self._lock = threading.RLock()
        self._calls_by_key: dict[str, deque[float]] = {}
        self._transient_random = random.Random(self.settings.transient_seed)
        self.transient_answered: Counter[str] = Counter()
        """Transient failures answered so far, by kind (`code 201`, `HTML 502`, ...)."""
        self._asgi_app = FaultMiddleware(self._build_app(), self.knobs, self.log)

    @property
    def asgi_app(self) -> FaultMiddleware:
        """The app wrapped in FaultMiddleware; serve it with `serve_in_thread`."""
        return self._asgi_app

    def _build_app(self) -> Starlette:
        both = ["GET", "POST"]
        routes = [
            Route(REQUEST_TOKEN_PATH, self._request_token, methods=both),
            Route(AUTHORIZE_PATH, self._authorize, methods=both),
            Route(ACCESS_TOKEN_PATH, self._access_token, methods=both),
            Route(REST_PATH, self._rest, methods=both),
            Route(REST_PATH.rstrip("/"), self._rest, methods=both),
            Route(UPLOAD_PATH, self._upload, methods=["POST"]),
            Route(REPLACE_PATH, self._replace, methods=["POST"]),
        ]
        return Starlette(routes=routes)

    def now(self) -> int:
        return int(self.clock())

    # --- convenience for tests and the demo -----------------------------------------

    def add_consumer(self, key: str | None = None, secret: str | None = None) -> Consumer:
        """Register an API key and its secret (random when not given)."""
        consumer = Consumer(key or secrets.token_hex(16), secret or secrets.token_hex(8))
        with self._lock:
            self.state.consumers[consumer.key] = consumer
        return consumer

    def add_user(
        self,
        username: str,
        fullname: str = "",
        nsid: str | None = None,
        is_pro: bool = True,
    ) -> User:
        with self._lock:
            user = User(
                nsid or self.state.new_nsid(), username, fullname or username, is_pro, self.now()
            )
            self.state.users[user.nsid] = user
        return user

    def grant_token(
        self, user: User | str, consumer_key: str, perms: str = "delete"
    ) -> AccessToken:
        """An access token as if `user` had approved `consumer_key` with `perms`.

        Build flickrapi's token from it: `FlickrAccessToken(t.token, t.secret, t.perms,
        user.fullname, user.username, user.nsid)`.
        """
        if perms not in PERM_LEVELS:
            raise ValueError(f"perms must be one of {PERM_LEVELS}")
        nsid = user.nsid if isinstance(user, User) else user
        with self._lock:
            if nsid not in self.state.users or consumer_key not in self.state.consumers:
                raise KeyError("unknown user or consumer key")
            token = AccessToken(
                f"{secrets.randbelow(10**17):017d}-{new_secret(8)}",
                new_secret(8),
                consumer_key,
                nsid,
                perms,
            )
            self.state.access_tokens[token.token] = token
        return token

    def add_photo(
        self,
        owner: User | str,
        data: bytes = b"\xff\xd8\xff\xe0 sandbox jpeg",
        title: str = "",
        description: str = "",
        tags: str = "",
        is_public: bool = True,
    ) -> Photo:
        """Put a photo in the state directly, as if uploaded earlier."""
        nsid = owner.nsid if isinstance(owner, User) else owner
        fields = {"title": title, "description": description, "tags": tags}
        fields["is_public"] = "1" if is_public else "0"
        with self._lock:
            return self._store_upload(nsid, data, fields)

    def add_photoset(
        self, owner: User | str, title: str, photo_ids: list[str], description: str = ""
    ) -> Photoset:
        nsid = owner.nsid if isinstance(owner, User) else owner
        if not photo_ids:
            raise ValueError("a photoset cannot exist without a photo")
        with self._lock:
            photoset = Photoset(
                self.state.new_photoset_id(),
                nsid,
                title,
                description,
                photo_ids[0],
                list(photo_ids),
                self.now(),
                self.now(),
            )
            self.state.photosets[photoset.id] = photoset
            self.state.photoset_order.setdefault(nsid, []).insert(0, photoset.id)
        return photoset

    def add_group(self, name: str, **knobs: object) -> Group:
        """A group; knobs are `Group` fields: moderated, throttle_limit, content_allowed,
        pool_disabled, max_pool_size, members, admins."""
        with self._lock:
            group = Group(self.state.new_nsid("N01"), name, **knobs)  # type: ignore[arg-type]
            self.state.groups[group.id] = group
        return group

    def photo(self, photo_id: str) -> Photo:
        return self.state.photos[photo_id]

    def photos_of(self, user: User | str) -> list[Photo]:
        nsid = user.nsid if isinstance(user, User) else user
        with self._lock:
            return sorted(self.state.photos_of(nsid), key=lambda p: int(p.id))

    def photos_with_machine_tag(self, machine_tag: str) -> list[Photo]:
        wanted, _ = normalize_tag(machine_tag)
        with self._lock:
            return [p for p in self.state.photos.values() if wanted in p.machine_tags]

    # --- rate limit -----------------------------------------------------------------

    def _over_rate_limit(self, incoming: Incoming) -> float | None:
        """Count one call for the request's API key; seconds to wait when over the limit."""
        limit = self.settings.rate_limit_per_hour
        key = incoming.oauth().get("oauth_consumer_key") or incoming.params().get("api_key")
        if limit is None or key not in self.state.consumers:
            return None
        now = self.clock()
        calls = self._calls_by_key.setdefault(key, deque())
        while calls and calls[0] <= now - RATE_WINDOW_SECONDS:
            calls.popleft()
        if len(calls) >= limit:
            return calls[0] + RATE_WINDOW_SECONDS - now
        calls.append(now)
        return None

    # --- authentication -------------------------------------------------------------

    def _consumer_for_oauth(self, incoming: Incoming) -> Consumer:
        consumer = self.state.consumers.get(incoming.oauth().get("oauth_consumer_key", ""))
        if consumer is None:
            raise OAuthProblem("consumer_key_unknown")
        return consumer

    def _authenticate(self, incoming: Incoming) -> tuple[Consumer, AccessToken | None]:
        """The caller of a REST/upload request, or ApiError 100/97/98/96 (section B)."""
        oauth = incoming.oauth()
        if not oauth:
            consumer = self.state.consumers.get(incoming.params().get("api_key", ""))
            if consumer is None:
                raise ApiError(100, "Invalid API Key (Key not found)")
            return consumer, None
        consumer = self.state.consumers.get(oauth.get("oauth_consumer_key", ""))
        if consumer is None:
            raise ApiError(100, "Invalid API Key (Key not found)")
        if "oauth_signature" not in oauth:
            raise ApiError(97, "Missing signature")
        token = None
        if oauth.get("oauth_token"):
            token = self.state.access_tokens.get(oauth["oauth_token"])
            if token is None or token.consumer_key != consumer.key:
                raise ApiError(98, "Invalid auth token")
        if not signature_matches(incoming, consumer.secret, token.secret if token else ""):
            raise ApiError(96, "Invalid signature")
        return consumer, token

    @staticmethod
    def _require_perms(needed: str | None, token: AccessToken | None) -> None:
        """ApiError 99 unless `token` grants `needed` ("signed": any token will do)."""
        if needed is None or (needed == "signed" and token is not None):
            return
        level = "read" if needed == "signed" else needed
        granted = token.perms if token else None
        if not perm_allows(granted, level):
            raise ApiError(
                99,
                f"Insufficient permissions. Method requires {level} privileges; "
                f"{granted or 'none'} granted.",
            )

    def _transient_failure(self) -> str | None:
        """The transient failure this call gets (settings.transient_rate), or None."""
        settings = self.settings
        if settings.transient_rate <= 0 or not settings.transient_kinds:
            return None
        with self._lock:
            if self._transient_random.random() >= settings.transient_rate:
                return None
            kind = self._transient_random.choice(settings.transient_kinds)
            self.transient_answered[kind] += 1
            return kind

    def _drop_if_asked(self, request: Request, changed: bool) -> None:
        if changed and self.knobs.should_drop():
            drop_answer(request.scope)

    # --- OAuth endpoints --------------------------------------------------------------

    async def _request_token(self, request: Request) -> Response:
        return await self._oauth_step(request, self._issue_request_token)

    async def _oauth_step(self, request: Request, step: Callable[[Incoming], Response]) -> Response:
        """An OAuth token endpoint: rate limit, then `step` under the lock; problems as 401."""
        incoming = await read_incoming(request)
        wait = self._over_rate_limit(incoming)
        if wait is not None:
            return too_many_requests(wait)
        try:
            with self._lock:
                return step(incoming)
        except OAuthProblem as problem:
            return problem.response()

    def _issue_request_token(self, incoming: Incoming) -> Response:
        consumer = self._consumer_for_oauth(incoming)
        if not signature_matches(incoming, consumer.secret, ""):
            raise OAuthProblem("signature_invalid")
        callback = incoming.oauth().get("oauth_callback")
        if not callback:
            raise OAuthProblem("parameter_absent", {"oauth_parameters_absent": "oauth_callback"})
        token = RequestToken(
            f"{secrets.randbelow(10**17):017d}-{new_secret(8)}",
            new_secret(8),
            consumer.key,
            callback,
        )
        self.state.request_tokens[token.token] = token
        body = urlencode(
            {
                "oauth_callback_confirmed": "true",
                "oauth_token": token.token,
                "oauth_token_secret": token.secret,
            }
        )
        return PlainTextResponse(body)

    async def _authorize(self, request: Request) -> Response:
        incoming = await read_incoming(request)
        params = dict(parse_qsl(incoming.query_string))
        params.update(incoming.form)
        with self._lock:
            token = self.state.request_tokens.get(params.get("oauth_token", ""))
            if token is None:
                return authorize_page("Unknown or expired request token.", status=400)
            perms = params.get("perms", "")
            if perms not in PERM_LEVELS:
                return authorize_page(f"Unknown permission level {perms!r}.", status=400)
            token.perms = perms
            if request.method == "GET":
                return self._approval_form(token)
            return self._decide(token, params)

    def _approval_form(self, token: RequestToken) -> Response:
        if not self.state.users:
            return authorize_page("No flickr account exists to sign in with.", status=409)
        options = "".join(
            f'<option value="{html.escape(u.nsid)}">{html.escape(u.username)}</option>'
            for u in self.state.users.values()
        )
        form = (
            f"<p>An application asks for <b>{token.perms}</b> access to your account.</p>"
            f'<form method="post" action="{AUTHORIZE_PATH}">'
            f'<input type="hidden" name="oauth_token" value="{html.escape(token.token)}">'
            f'<input type="hidden" name="perms" value="{token.perms}">'
            f'<select name="user_nsid">{options}</select>'
            '<button name="decision" value="approve">OK, I\'ll authorize it</button>'
            '<button name="decision" value="deny">No thanks</button></form>'
        )
        return authorize_page(form, escape=False)

    def _decide(self, token: RequestToken, params: dict[str, str]) -> Response:
        if params.get("decision") != "approve":
            del self.state.request_tokens[token.token]
            return authorize_page("You declined the application's request.")
        nsid = params.get("user_nsid") or next(iter(self.state.users), "")
        if nsid not in self.state.users:
            return authorize_page("Unknown account.", status=400)
        token.user_nsid = nsid
        token.verifier = new_verifier()
        if token.callback != "oob":
            joiner = "&" if "?" in token.callback else "?"
            query = urlencode({"oauth_token": token.token, "oauth_verifier": token.verifier})
            return RedirectResponse(token.callback + joiner + query, status_code=302)
        page = (
            "<p>Type this code into the application:</p>"
            f'<p><code id="oauth-verifier">{token.verifier}</code></p>'
        )
        return authorize_page(page, escape=False)

    async def _access_token(self, request: Request) -> Response:
        return await self._oauth_step(request, self._exchange_request_token)

    def _exchange_request_token(self, incoming: Incoming) -> Response:
        consumer = self._consumer_for_oauth(incoming)
        oauth = incoming.oauth()
        request_token = self.state.request_tokens.get(oauth.get("oauth_token", ""))
        if request_token is None or request_token.consumer_key != consumer.key:
            raise OAuthProblem("token_rejected")
        if not signature_matches(incoming, consumer.secret, request_token.secret):
            raise OAuthProblem("signature_invalid")
        verifier = oauth.get("oauth_verifier", "")
        if request_token.verifier is None or not safe_string_equals(
            verifier, request_token.verifier
        ):
            raise OAuthProblem("verifier_invalid")
        del self.state.request_tokens[request_token.token]
        assert request_token.user_nsid is not None
        assert request_token.perms is not None
        user = self.state.users[request_token.user_nsid]
        access = self.grant_token(user, consumer.key, request_token.perms)
        body = urlencode(
            {
                "fullname": user.fullname,
                "oauth_token": access.token,
                "oauth_token_secret": access.secret,
                "user_nsid": user.nsid,
                "username": user.username,
            }
        )
        return PlainTextResponse(body)

    # --- REST ---------------------------------------------------------------------------

    async def _rest(self, request: Request) -> Response:
        incoming = await read_incoming(request)
        params = incoming.params()
        add_params(request.scope, params)
        wait = self._over_rate_limit(incoming)
        if wait is not None:
            return too_many_requests(wait)
        failure = self._transient_failure()
        if failure is not None:
            kind, _, number = failure.partition(" ")
            if kind == "HTML":
                return html_error_page(int(number))
            code = int(number)
            return rest_answer(params, [], ApiError(code, TRANSIENT_MESSAGES.get(code, "")))
        call: Call | None = None
        try:
            with self._lock:
                call = self._prepare_call(incoming, params)
                children = METHODS[params["method"]].handler(call)
        except ApiError as error:
            if error.code == 96:
                # A bad signature is refused by the OAuth layer in front of the API (B).
                return OAuthProblem("signature_invalid").response()
            return rest_answer(params, [], error)
        finally:
            self._drop_if_asked(request, call is not None and call.changed)
        return rest_answer(params, children, None, call.json_arrays)

    def _prepare_call(self, incoming: Incoming, params: dict[str, str]) -> Call:
        response_format = params.get("format", "rest")
        if response_format not in ("rest", "json"):
            params["format"] = "rest"
            raise ApiError(111, f'Format "{response_format}" not found')
        name = params.get("method", "")
        method = METHODS.get(name)
        if method is None:
            raise ApiError(112, f'Method "{name}" not found')
        _, token = self._authenticate(incoming)
        self._require_perms(method.perms, token)
        return Call(params, token, self.state, self.settings, self.now())

    # --- upload and replace -------------------------------------------------------------

    async def _upload(self, request: Request) -> Response:
        return await self._receive_photo(request, replace=False)

    async def _replace(self, request: Request) -> Response:
        return await self._receive_photo(request, replace=True)

    async def _receive_photo(self, request: Request, replace: bool) -> Response:
        incoming = await read_incoming(request)
        params = incoming.params()
        add_params(request.scope, params)
        wait = self._over_rate_limit(incoming)
        if wait is not None:
            return too_many_requests(wait)
        failure = self._transient_failure()
        if failure is not None:
            kind, _, number = failure.partition(" ")
            if kind == "HTML":
                return html_error_page(int(number))
            code = 105 if number == "106" else int(number)  # 106 is about REST writes
            return xml_error(ApiError(code, TRANSIENT_MESSAGES.get(code, "")))
        try:
            with self._lock:
                _, token = self._authenticate(incoming)
                self._require_perms("write", token)
                assert token is not None
                data = self._checked_file(
                    incoming.files.get("photo"), incoming.filenames.get("photo", "")
                )
                if replace:
                    photo = self._replace_photo(token.user_nsid, params, data)
                else:
                    photo = self._upload_photo(token.user_nsid, params, data)
        except ApiError as error:
            if error.code == 96:
                # flickr answers a bad upload signature like its OAuth endpoints (A10).
                return OAuthProblem("signature_invalid").response()
            return xml_error(error)
        self._drop_if_asked(request, True)
        return xml_answer(self._upload_answer(photo, params, replace))

    def _upload_answer(self, photo: Photo, params: dict[str, str], replace: bool) -> list[Element]:
        if params.get("async") == "1":
            ticket = str(self.state.next_number())
            self.state.upload_tickets[ticket] = photo.id
            return [Element("ticketid", text=ticket)]
        attrs: dict[str, str | int] = {}
        if replace:
            attrs = {"secret": photo.secret, "originalsecret": photo.original_secret}
        return [Element("photoid", attrs, text=photo.id)]

    def _checked_file(self, data: bytes | None, filename: str) -> bytes:
        if data is None:
            raise ApiError(2, "No photo specified")
        if not data:
            raise ApiError(4, "Filesize was zero")
        if len(data) > self.settings.max_upload_bytes:
            raise ApiError(8, "Filesize was too large")
        if photo_type(filename, data) is None:
            raise ApiError(5, "Filetype was not recognised")
        return data

    def _upload_photo(self, nsid: str, params: dict[str, str], data: bytes) -> Photo:
        user = self.state.users[nsid]
        owned = self.state.photos_of(nsid)
        if not user.is_pro:
            # Free accounts (since 2022): 1,000 photos, of which at most 50 non-public.
            non_public = php_int(params.get("is_public"), 1) != 1
            hidden = sum(1 for p in owned if not p.is_public)
            if len(owned) >= self.settings.free_account_photo_limit or (
                non_public and hidden >= self.settings.free_account_non_public_limit
            ):
                raise ApiError(6, "User exceeded upload limit")
        if params.get("dedup_check") in ("1", "2"):
            digest = hashlib.sha256(data).hexdigest()
            duplicate = next((p for p in owned if p.sha256 == digest), None)
            if duplicate is not None:
                raise ApiError(
                    9,
                    "Duplicate photo/video detected",
                    [Element("duplicate_photo_id", text=duplicate.id)],
                )
        return self._store_upload(nsid, data, params)

    def _store_upload(self, nsid: str, data: bytes, params: dict[str, str]) -> Photo:
        original_format, media_type = sniff_image_format(data) or ("jpg", "image/jpeg")
        now = self.now()
        taken = exif_date_taken(data)
        photo = Photo(
            id=self.state.new_photo_id(),
            owner=nsid,
            title=self._cut_title(params.get("title", "")),
            description=kept_description(
                params.get("description", ""), self.settings.description_tags
            ),
            secret=new_secret(),
            original_secret=new_secret(),
            original_format=original_format,
            media_type=media_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            date_posted=now,
            date_taken=format_date_taken(taken or datetime.fromtimestamp(now)),
            date_taken_unknown=taken is None,
            last_update=now,
            is_public=php_int(params.get("is_public"), 1) == 1,
            safety_level=_choice(params.get("safety_level"), (1, 2, 3), 1),
            content_type=_choice(params.get("content_type"), (1, 2, 3), 1),
            hidden=php_int(params.get("hidden"), 1) == 2,
            searchable_after=self.state.search_calls + self.settings.search_index_lag,
        )
        photo.is_friend = not photo.is_public and php_int(params.get("is_friend")) == 1
        photo.is_family = not photo.is_public and php_int(params.get("is_family")) == 1
        raw_tags = split_tag_string(params.get("tags", ""))
        tags = build_tags(raw_tags, nsid, photo.id, self.state.next_number)
        # flickr reports no error for too many tags on upload; the extra ones are dropped.
        photo.tags = tags[: self.settings.max_tags]
        self.state.photos[photo.id] = photo
        return photo

    def _replace_photo(self, nsid: str, params: dict[str, str], data: bytes) -> Photo:
        if not self.state.users[nsid].is_pro:
            raise ApiError(1, "Not a pro account")
        photo = self.state.photos.get(params.get("photo_id", ""))
        if photo is None or photo.owner != nsid:
            # replace.api documents no "photo not found"; it is an upload failure there.
            raise ApiError(3, "General upload failure")
        photo.original_format, photo.media_type = sniff_image_format(data) or ("jpg", "")
        photo.size = len(data)
        photo.sha256 = hashlib.sha256(data).hexdigest()
        photo.original_secret = new_secret()
        photo.replace_count += 1
        photo.last_update = self.now()
        return photo

    def _cut_title(self, title: str) -> str:
        limit = self.settings.max_title_length
        return title if limit is None else title[:limit]


def _choice(value: str | None, allowed: tuple[int, ...], default: int) -> int:
    number = php_int(value, default)
    return number if number in allowed else default


def authorize_page(content: str, status: int = 200, escape: bool = True) -> HTMLResponse:
    body = html.escape(content) if escape else content
    page = (
        "<!doctype html><html><head><title>Flickr: authorize</title></head>"
        f"<body><h1>flickr (sandbox)</h1>{body}</body></html>"
    )
    return HTMLResponse(page, status_code=status)
