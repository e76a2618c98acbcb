"""Mastodon's rate limits: rack-attack's throttles in front of the app and the statuses
family of `RateLimiter`, with the `X-RateLimit-*` headers of both.

rack-attack counts every API request against the throttles it matches (per token, per
account, unauthenticated, uploads, deletions, paged reads) in fixed windows and answers
429 `{"error": "Too many requests"}` past a limit, with no Retry-After. `RateLimiter`
counts status creations and edits per account (300 per 3 hours). An API answer carries the
most limited throttle's numbers, or the statuses family's when they are lower.
pixelfed has neither (`PixelfedSettings.rate_limit_writes` stands for a proxy in front).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.faults import ASGIApp, Message, Receive, Scope, Send
from sandbox.mastodon_api.answers import error_answer
from sandbox.mastodon_errors import TOO_MANY_REQUESTS
from sandbox.mastodon_state import Account

if TYPE_CHECKING:
    from sandbox.mastodon_server import MastodonSimulator

FIVE_MINUTES = 300
STATUSES_FAMILY_PERIOD = 3 * 3600
FAMILY_HEADERS_KEY = "mastodon.family_headers"


def reset_time(now: float, period: int) -> str:
    """`X-RateLimit-Reset`: the end of the current fixed window, ISO 8601 with microseconds."""
    moment = datetime.fromtimestamp(now + (period - int(now) % period), UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


class MastodonRateLimits:
    """The counters of one Mastodon simulator (kept in its state) and their headers."""

    def __init__(self, sim: MastodonSimulator) -> None:
        self.sim = sim

    def record_family(self, request: Request, account: Account, family: str) -> None:
        """`RateLimiter#record!`: raises past the limit; the around_action sets headers."""
        limit = self.sim.settings.statuses_limit
        if limit is None:
            return
        period = STATUSES_FAMILY_PERIOD
        now = self.sim.now()
        key = (account.id, family, int(now) // period)
        count = self.sim.state.families.get(key, 0)
        over = count >= limit
        if not over:
            count += 1
            self.sim.state.families[key] = count
        request.scope[FAMILY_HEADERS_KEY] = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - count)),
            "X-RateLimit-Reset": reset_time(now, period),
        }
        if over:
            raise error_answer(429, TOO_MANY_REQUESTS)

    def family_headers(self, account: Account) -> dict[str, str]:
        limit = self.sim.settings.statuses_limit
        if limit is None:
            return {}
        period = STATUSES_FAMILY_PERIOD
        now = self.sim.now()
        count = self.sim.state.families.get((account.id, "statuses", int(now) // period), 0)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - count)),
            "X-RateLimit-Reset": reset_time(now, period),
        }

    def throttle(self, scope: Scope) -> tuple[Response | None, dict[str, dict[str, Any]]]:
        """Count the request against every throttle it matches, as `Rack::Attack` does;
        the 429 answer when one is exceeded, and the throttle data for the headers."""
        with self.sim.lock:
            now = self.sim.now()
            path, method = scope["path"], scope["method"]
            if not path.startswith("/api"):
                return None, {}
            headers = dict(scope.get("headers", []))
            record = self.sim.bearer_record(headers)
            user = record.account_id if record is not None else None
            token = str(record.id) if record is not None else None
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            paging = any(query.get(k) for k in ("page", "min_id", "max_id", "since_id"))
            s = self.sim.settings
            candidates = [
                ("throttle_authenticated_api", s.per_user_limit, FIVE_MINUTES, user),
                ("throttle_per_token_api", s.per_token_limit, FIVE_MINUTES, token),
                (
                    "throttle_unauthenticated_api",
                    s.unauthenticated_limit,
                    FIVE_MINUTES,
                    None if user else _client_ip(scope),
                ),
                (
                    "throttle_api_media",
                    s.media_limit,
                    1800,
                    user if method == "POST" and _is_media_upload(path) else None,
                ),
                (
                    "throttle_authenticated_paging",
                    s.paging_limit,
                    900,
                    user if paging else None,
                ),
                (
                    "throttle_api_delete",
                    s.delete_limit,
                    1800,
                    user if method == "DELETE" and _is_status_path(path) else None,
                ),
            ]
            data: dict[str, dict[str, Any]] = {}
            for name, limit, period, discriminator in candidates:
                if limit is None or discriminator is None:
                    continue
                key = (name, discriminator, int(now) // period)
                count = self.sim.state.throttles.get(key, 0) + 1
                self.sim.state.throttles[key] = count
                data[name] = {"count": count, "limit": limit, "period": period}
                if count > limit:
                    answer = JSONResponse(
                        {"error": TOO_MANY_REQUESTS},
                        429,
                        headers={
                            "X-RateLimit-Limit": str(limit),
                            "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset": reset_time(now, period),
                        },
                    )
                    return answer, data
            return None, data

    def rate_limit_headers(self, data: dict[str, dict[str, Any]]) -> dict[str, str]:
        """`set_rate_limit_headers`: the most limited throttle's numbers."""
        if not data:
            return {}
        most = min(data.values(), key=lambda d: d["limit"] - d["count"])
        return {
            "X-RateLimit-Limit": str(most["limit"]),
            "X-RateLimit-Remaining": str(most["limit"] - most["count"]),
            "X-RateLimit-Reset": reset_time(self.sim.now(), most["period"]),
        }


class RackAttack:
    """`Rack::Attack` in front of the app: throttles, then `X-RateLimit-*` on API answers
    (the lower of the throttle's and the statuses family's remaining calls)."""

    def __init__(self, limits: MastodonRateLimits, app: ASGIApp) -> None:
        self.limits = limits
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answer, data = self.limits.throttle(scope)
        if answer is not None:
            await answer(scope, receive, send)
            return
        base = self.limits.rate_limit_headers(data)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(base)
                family = scope.get(FAMILY_HEADERS_KEY) or {}
                if family and (
                    not headers
                    or int(family["X-RateLimit-Remaining"]) <= int(headers["X-RateLimit-Remaining"])
                ):
                    headers = dict(family)
                raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
                message = {**message, "headers": [*message.get("headers", []), *raw]}
            await send(message)

        await self.app(scope, receive, with_headers)


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _is_media_upload(path: str) -> bool:
    parts = path.strip("/").split("/")
    return len(parts) == 3 and parts[0] == "api" and parts[1][:1] == "v" and parts[2] == "media"


def _is_status_path(path: str) -> bool:
    parts = path.strip("/").split("/")
    return len(parts) == 4 and parts[:3] == ["api", "v1", "statuses"] and parts[3].isdigit()
