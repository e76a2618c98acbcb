"""`MastodonApiSimulator`: what the pixelfed and Mastodon simulators have in common.

A subclass is one server. It gives its `ApiMethods` (the shared endpoints as that server
answers them), how it reads parameters (`read_params`), what it answers for an unknown
route (`render_routing_error`) and any further routes, error kinds and front layer (a web
server's limits, a rate limiter). The base class supplies the rest: an injectable clock
with `advance`, one lock around every handler, the route table of the shared endpoints,
the request log with each request's parameters, `FaultMiddleware` outermost (latency,
injected 500s, dropped answers after a mutation), bearer-token lookup, and the state
operations and test helpers both servers need.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, Generic

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.faults import ASGIApp, FaultKnobs, FaultMiddleware, RequestLog, add_params, drop_answer
from sandbox.mastodon_api.answers import ApiAnswer
from sandbox.mastodon_api.requests import bearer_token, digest, loggable_params
from sandbox.mastodon_api.state import AccountT, ApiState, MediaT, StatusT, TokenT

Handler = Callable[[Request, dict[str, Any]], Response]
ExceptionHandler = Callable[[Request, Exception], Any]
RouteSpec = tuple[str, str, Handler]
"""Path, HTTP method and handler."""
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ApiMethods(ABC):
    """The Mastodon API's endpoints that both servers answer, each in its own way.

    A handler gets the request and its parameters (query and body, parsed by the server's
    rules), runs under the simulator's lock, and answers or raises the server's errors.
    """

    def shared_routes(self) -> list[RouteSpec]:
        return [
            ("/api/v1/instance", "GET", self.instance_v1),
            ("/api/v2/instance", "GET", self.instance_v2),
            ("/api/v1/accounts/verify_credentials", "GET", self.verify_credentials),
            ("/api/v1/accounts/{account_id}/statuses", "GET", self.account_statuses),
            ("/api/v1/media", "POST", self.upload_v1),
            ("/api/v2/media", "POST", self.upload_v2),
            ("/api/v1/media/{media_id}", "GET", self.show_media),
            ("/api/v1/media/{media_id}", "PUT", self.update_media),
            ("/api/v1/statuses", "POST", self.create_status),
            ("/api/v1/statuses/{status_id}", "GET", self.show_status),
            ("/api/v1/statuses/{status_id}", "PUT", self.update_status),
            ("/api/v1/statuses/{status_id}", "DELETE", self.delete_status),
        ]

    @abstractmethod
    def instance_v1(self, request: Request, params: dict[str, Any]) -> Response: ...

    @abstractmethod
    def instance_v2(self, request: Request, params: dict[str, Any]) -> Response: ...

    @abstractmethod
    def verify_credentials(self, request: Request, params: dict[str, Any]) -> Response: ...

    @abstractmethod
    def account_statuses(self, request: Request, params: dict[str, Any]) -> Response: ...

    @abstractmethod
    def upload_v1(self, request: Request, params: dict[str, Any]) -> Response: ...

    @abstractmethod
    def upload_v2(self, request: Request, params: dict[str, Any]) -> Response: ...

    @abstractmethod
    def show_media(self, request: Request, params: dict[str, Any]) -> Response: ...

    @abstractmethod
    def update_media(self, request: Request, params: dict[str, Any]) -> Response: ...

    @abstractmethod
    def create_status(self, request: Request, params: dict[str, Any]) -> Response: ...

    @abstractmethod
    def show_status(self, request: Request, params: dict[str, Any]) -> Response: ...

    @abstractmethod
    def update_status(self, request: Request, params: dict[str, Any]) -> Response: ...

    @abstractmethod
    def delete_status(self, request: Request, params: dict[str, Any]) -> Response: ...


class MastodonApiSimulator(ABC, Generic[AccountT, TokenT, MediaT, StatusT]):
    """An in-memory Mastodon-API server. Tests read `state`, flip `settings` and `knobs`
    (set by the subclass) and read `log`; `asgi_app` is what a test serves."""

    DEFAULT_TOKEN_SCOPES: ClassVar[tuple[str, ...]] = ("read", "write")
    methods: ApiMethods

    def __init__(
        self,
        state: ApiState[AccountT, TokenT, MediaT, StatusT],
        knobs: FaultKnobs | None,
        clock: Callable[[], float] | None,
    ) -> None:
        self.state = state
        self.knobs = knobs or FaultKnobs()
        self.log = RequestLog()
        self._clock = clock or time.time
        self._offset = 0.0
        self.lock = threading.RLock()
        """One lock around every handler, background job and test helper."""
        self._asgi_app: ASGIApp | None = None

    # --- time -------------------------------------------------------------------------------

    def now(self) -> float:
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward and run the background jobs that are due."""
        with self.lock:
            self._offset += seconds
            self.run_due_jobs()

    @abstractmethod
    def run_due_jobs(self) -> None:
        """The server's queued work whose time has come (media processing, deletions,
        the vacuum of unattached media)."""

    # --- accounts and tokens for tests ------------------------------------------------------

    @abstractmethod
    def create_account(self, username: str = "alice") -> AccountT: ...

    @abstractmethod
    def create_token(
        self, account: AccountT | str, scopes: tuple[str, ...] = ("read", "write")
    ) -> str:
        """A bearer token for `account` (or its id), as the server's settings page makes one."""

    def create_account_with_token(
        self, username: str = "alice", scopes: tuple[str, ...] | None = None
    ) -> tuple[AccountT, str]:
        account = self.create_account(username)
        chosen = self.DEFAULT_TOKEN_SCOPES if scopes is None else scopes
        return account, self.create_token(account, chosen)

    def token_record(self, token: str) -> TokenT | None:
        return self.state.tokens.get(digest(token))

    def revoke_token(self, token: str) -> None:
        with self.lock:
            record = self.state.tokens.get(digest(token))
            if record is not None:
                record.revoked = True

    def bearer_record(self, headers: dict[bytes, bytes]) -> TokenT | None:
        """The token record an Authorization header names (valid or not)."""
        token = bearer_token(headers)
        return self.state.tokens.get(digest(token)) if token else None

    # --- statuses and media -----------------------------------------------------------------

    def statuses_of(self, account_id: str, include_deleted: bool = False) -> list[StatusT]:
        """The account's statuses, newest first."""
        with self.lock:
            statuses = [
                s
                for s in self.state.statuses.values()
                if s.account_id == account_id and (include_deleted or not s.deleted)
            ]
            return sorted(statuses, key=lambda s: int(s.id), reverse=True)

    def status_with_media(self, media_id: str) -> StatusT | None:
        """The (not deleted) status whose media list holds `media_id`, if any."""
        with self.lock:
            for status in self.state.statuses.values():
                if media_id in status.media_ids and not status.deleted:
                    return status
            return None

    def own_unattached_media(self, account_id: str, media_id: str) -> MediaT | None:
        """The caller's media that no status holds yet: all that GET/PUT of a media id and
        a new status may use."""
        media = self.state.media.get(media_id)
        if media is None or media.account_id != account_id or media.status_id is not None:
            return None
        return media

    def store_status(self, status: StatusT, media: list[MediaT]) -> None:
        """Keep a new status and attach its media to it."""
        for item in media:
            item.status_id = status.id
        self.state.statuses[status.id] = status

    def destroy_media(self, media_id: str) -> None:
        if self.state.media.pop(media_id, None) is not None:
            self.state.removed_media_ids.append(media_id)

    def vacuum_media(self, expired: Callable[[MediaT], bool]) -> None:
        """Remove the unattached media `expired` says are due."""
        for media in list(self.state.media.values()):
            if media.status_id is None and expired(media):
                self.destroy_media(media.id)

    def stats(self) -> dict[str, int]:
        """The v1 instance's `stats`."""
        statuses = sum(1 for s in self.state.statuses.values() if not s.deleted)
        return {"user_count": len(self.state.accounts), "status_count": statuses, "domain_count": 0}

    # --- the app ----------------------------------------------------------------------------

    @property
    def asgi_app(self) -> ASGIApp:
        """The Starlette app behind the server's front layer, wrapped in FaultMiddleware."""
        if self._asgi_app is None:
            self._asgi_app = FaultMiddleware(
                self.front_layer(self._build_app()),
                self.knobs,
                self.log,
                error_body=self.fault_error_body,
            )
        return self._asgi_app

    def _build_app(self) -> Starlette:
        specs = [*self.methods.shared_routes(), *self.extra_routes()]
        handlers: dict[Any, ExceptionHandler] = {
            ApiAnswer: _send_answer,
            HTTPException: self.render_routing_error,
            **self.exception_handlers(),
        }
        routes = [self._route(path, method, handler) for path, method, handler in specs]
        return Starlette(routes=routes, exception_handlers=handlers)

    def _route(self, path: str, method: str, handler: Handler) -> Route:
        async def endpoint(request: Request) -> Response:
            params = await self.read_params(request)
            key = request.headers.get("idempotency-key")
            add_params(request.scope, loggable_params(params, key))
            with self.lock:
                self.before_handling()
                return handler(request, params)

        return Route(path, endpoint, methods=[method])

    def after_mutation(self, request: Request) -> None:
        """Called once a handler changed state: the fault knobs may drop its answer."""
        if self.knobs.should_drop():
            drop_answer(request.scope)

    # --- what each server says for itself ---------------------------------------------------

    @abstractmethod
    async def read_params(self, request: Request) -> dict[str, Any]:
        """Query and body parameters, parsed the way the server's framework does."""

    @abstractmethod
    async def render_routing_error(self, request: Request, exc: Exception) -> Response:
        """The answer to an unknown route (404) or method (405), a Starlette HTTPException."""

    def before_handling(self) -> None:
        """Runs under the lock before every handler."""

    def extra_routes(self) -> list[RouteSpec]:
        """The server's endpoints beyond the shared ones."""
        return []

    def exception_handlers(self) -> dict[Any, ExceptionHandler]:
        """Handlers for the server's own error kinds."""
        return {}

    def front_layer(self, app: ASGIApp) -> ASGIApp:
        """What sits in front of the server's app (inside the fault middleware)."""
        return app

    def fault_error_body(self, status: int) -> Any:
        """The body of an injected HTTP 500."""
        return {"error": "Server Error"}


async def _send_answer(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiAnswer)
    return JSONResponse(exc.body, exc.status, headers=exc.headers)
