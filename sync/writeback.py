"""IMatch write-backs, batched: callers await their own change, which travels with others.

A flush waits a moment (`window`, 50 ms) for more changes, and changes queued while a
flush is in flight go out together in the next one, so under concurrency N photos cost
a few calls, not N. The delay is safe: the journal already holds the remote result, so a
crash inside the window is finished by the next run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from imatch.client import IMatchClient


class WriteBack:
    """Category removals and attribute-record deletions for one platform."""

    def __init__(self, client: IMatchClient, attribute_set: str, window: float = 0.05) -> None:
        self._client = client
        self._window = window
        self._set = attribute_set
        self._unassign: dict[str, set[int]] = {}
        self._assign: dict[str, set[int]] = {}
        self._records: dict[int, list[int]] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._task: asyncio.Task[None] | None = None

    async def unassign(self, paths: Iterable[str], file_id: int) -> None:
        for path in paths:
            self._unassign.setdefault(path, set()).add(file_id)
        await self._wait()

    async def assign(self, path: str, file_ids: Iterable[int]) -> None:
        self._assign.setdefault(path, set()).update(file_ids)
        await self._wait()

    async def delete_records(self, file_id: int, instance_ids: Sequence[int]) -> None:
        self._records.setdefault(file_id, []).extend(instance_ids)
        await self._wait()

    async def _wait(self) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        while self._waiters:
            await asyncio.sleep(self._window)
            waiters, self._waiters = self._waiters, []
            unassign, self._unassign = self._unassign, {}
            assign, self._assign = self._assign, {}
            records, self._records = self._records, {}
            try:
                calls = [self._client.unassign(p, sorted(ids)) for p, ids in unassign.items()]
                calls += [self._client.assign(p, sorted(ids)) for p, ids in assign.items()]
                if records:
                    calls.append(self._client.delete_attribute_records(self._set, records))
                await asyncio.gather(*calls)
            except Exception as error:  # every waiter hears about it
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(error)
            else:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
