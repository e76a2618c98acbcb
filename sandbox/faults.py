"""Fault knobs and the request log shared by the three simulators.

Every simulator wraps its Starlette app in `FaultMiddleware`, which numbers each request,
records it (secrets redacted), adds latency and answers chosen requests with HTTP 500.
Handlers that mutate state call `FaultKnobs.should_drop()` afterwards and, when it says
so, `drop_answer(scope)`: the change happened but the client never hears about it.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECRET_PARAMS = frozenset(
    {
        "auth_token",
        "access_token",
        "oauth_token",
        "oauth_token_secret",
        "oauth_signature",
        "oauth_verifier",
        "api_key",
        "oauth_consumer_key",
        "password",
        "client_secret",
    }
)
REDACTED = "***"
RECORD_SCOPE_KEY = "sandbox.record"


def redact(params: dict[str, str]) -> dict[str, str]:
    """A copy of `params` with secret values replaced."""
    return {k: (REDACTED if k.lower() in SECRET_PARAMS else v) for k, v in params.items()}


@dataclass
class FaultKnobs:
    """What a simulator does wrong on purpose. Change fields at any time from a test."""

    latency: float = 0.0
    """Seconds added before every answer."""
    fail_requests: set[int] = field(default_factory=set)
    """Request numbers (1-based, counted by the request log) answered with HTTP 500."""
    fail_rate: float = 0.0
    """Probability that any request is answered with HTTP 500 before it is handled."""
    drop_mutations: set[int] = field(default_factory=set)
    """Mutation numbers (1-based) whose answer is dropped after the change was made."""
    drop_rate: float = 0.0
    """Probability that a mutation's answer is dropped after the change was made."""
    seed: int = 0
    on_mutation: Callable[[], None] | None = None
    """Called after every completed mutation, before its answer is sent (crash tests)."""
    _random: random.Random = field(init=False, repr=False)
    _mutations: int = field(init=False, default=0, repr=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def should_fail(self, request_number: int) -> bool:
        with self._lock:
            if request_number in self.fail_requests:
                return True
            return self.fail_rate > 0 and self._random.random() < self.fail_rate

    def should_drop(self) -> bool:
        """Count one completed mutation; True when its answer must be dropped."""
        if self.on_mutation is not None:
            self.on_mutation()
        with self._lock:
            self._mutations += 1
            if self._mutations in self.drop_mutations:
                return True
            return self.drop_rate > 0 and self._random.random() < self.drop_rate

    @property
    def mutations(self) -> int:
        return self._mutations

    def reset_counters(self) -> None:
        """Start counting mutations from zero (e.g. after seeding a simulator)."""
        with self._lock:
            self._mutations = 0


@dataclass
class RequestRecord:
    number: int
    method: str
    path: str
    params: dict[str, str]
    status: int | None = None


class RequestLog:
    """Every request a simulator received, in order, with secrets redacted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.records: list[RequestRecord] = []

    def open(self, method: str, path: str, params: dict[str, str]) -> RequestRecord:
        with self._lock:
            record = RequestRecord(len(self.records) + 1, method, path, redact(params))
            self.records.append(record)
            return record

    def count(self, path: str | None = None, method: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.records
                if (path is None or r.path == path) and (method is None or r.method == method)
            )

    def matching(self, path: str) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.records if r.path == path]

    def clear(self) -> None:
        with self._lock:
            self.records.clear()

    def __len__(self) -> int:
        return len(self.records)


def add_params(scope: Scope, params: dict[str, str]) -> None:
    """Let a handler add the form parameters it parsed to its request's log record."""
    record = scope.get(RECORD_SCOPE_KEY)
    if isinstance(record, RequestRecord):
        record.params.update(redact(params))


async def drop_connection(send: Send) -> None:
    """Close the client's connection without an answer (a lost response).

    uvicorn's `send` is a bound method of its per-request cycle object, which holds the
    transport; closing it is what a crashed proxy or a cut network looks like to a client.
    """
    cycle: Any = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if cycle is None or transport is None:
        raise RuntimeError("drop_connection needs uvicorn's send callable")
    transport.close()
    # Tell uvicorn the client is gone so it does not log a missing response as an error.
    cycle.disconnected = True


DROP_SCOPE_KEY = "sandbox.drop"


def drop_answer(scope: Scope) -> None:
    """Called by a handler after a mutation: its answer will never reach the client."""
    scope[DROP_SCOPE_KEY] = True


class FaultMiddleware:
    """ASGI middleware: request log, latency, injected 500s and dropped answers."""

    def __init__(
        self,
        app: ASGIApp,
        knobs: FaultKnobs,
        log: RequestLog,
        error_body: Callable[[int], Any] | None = None,
    ) -> None:
        self.app = app
        self.knobs = knobs
        self.log = log
        self.error_body = error_body or (lambda status: {"error": "injected fault"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        record = self.log.open(scope["method"], scope["path"], query)
        scope[RECORD_SCOPE_KEY] = record
        if self.knobs.latency > 0:
            await asyncio.sleep(self.knobs.latency)
        if self.knobs.should_fail(record.number):
            record.status = 500
            await _send_json(send, 500, self.error_body(500))
            return

        async def recording_send(message: Message) -> None:
            if scope.get(DROP_SCOPE_KEY):
                if message["type"] == "http.response.start":
                    record.status = None
                    await drop_connection(send)
                return
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        await self.app(scope, receive, recording_send)


async def _send_json(send: Send, status: int, body: Any) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
