"""Paging an account's statuses by id: `limit`, `max_id`, `since_id`, `min_id`.

Every Mastodon-API server pages newest first, but not alike: Mastodon applies all three
bounds and gives the page just above `min_id` (`Paginable#paginate_by_min_id`); pixelfed's
`accountStatusesById` lets `min_id` win over `max_id`, gives the newest page above it and
ignores `since_id`. `PagingRules` says which; how the parameters are read from the
request (PHP's or Rails' integers) is the server's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from sandbox.mastodon_api.state import ApiStatus

DEFAULT_LIMIT = 20
MAX_LIMIT = 40

StatusT = TypeVar("StatusT", bound=ApiStatus)


@dataclass(frozen=True)
class PagingRules:
    min_id_pages_forward: bool
    """True (Mastodon): `min_id` gives the oldest statuses above it, newest first.
    False (pixelfed): the newest statuses above it."""
    min_id_overrides_max_id: bool
    """True (pixelfed): with `min_id`, `max_id` is not applied."""
    honours_since_id: bool


@dataclass(frozen=True)
class PageRequest:
    limit: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None


def page_of(statuses: Iterable[StatusT], asked: PageRequest, rules: PagingRules) -> list[StatusT]:
    """One page of `statuses`, newest first, as `rules` say the server cuts it."""
    max_id = asked.max_id
    if asked.min_id is not None and rules.min_id_overrides_max_id:
        max_id = None
    since_id = asked.since_id if rules.honours_since_id else None
    chosen = [
        s
        for s in statuses
        if (max_id is None or int(s.id) < max_id)
        and (since_id is None or int(s.id) > since_id)
        and (asked.min_id is None or int(s.id) > asked.min_id)
    ]
    if asked.min_id is not None and rules.min_id_pages_forward:
        return sorted(chosen, key=lambda s: int(s.id))[: asked.limit][::-1]
    return sorted(chosen, key=lambda s: int(s.id), reverse=True)[: asked.limit]
