"""Every IMatch write of one platform's run: records, flags, Socials membership, errors.

The engine and the reconciliation never write to IMatch themselves; they ask this:
- `record_post`: the attribute record of a new post (one call; IMatch's add is not
  idempotent, so the client checks before repeating it);
- `clear`: unassign a photo's flags (`_update`, `_metadata`) or, for a deleted photo,
  `_delete` and its membership in `Socials|<platform>`;
- `forget_records`: delete the records of posts that are gone;
- `sync_error_categories`: make `__errors|<name>` exactly the photos' current errors
  (read again first: what the scan saw may have been changed by a run since).

Category removals and record deletions are batched: callers await their own change,
which travels with others. A flush waits a moment (`window`, 50 ms) for more changes,
and changes queued while a flush is in flight go out together in the next one, so under
concurrency N photos cost a few calls, not N. The delay is safe: the journal already
holds the remote result, so a crash inside the window is finished by the next run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

from imatch.client import IMatchClient
from imatch.library import SUBTREE_FIELDS, Publication
from imatch.models import AttributeRecord
from sync.photo import FLAG_DELETE, FLAG_METADATA, FLAG_UPDATE, Photo
from sync.platforms.base import RemoteRef


class WriteBack:
    """IMatch writes for one platform, given its publication (root and category names)."""

    def __init__(
        self,
        client: IMatchClient,
        platform: str,
        publication: Publication,
        window: float = 0.05,
    ) -> None:
        self._client = client
        self._window = window
        self.platform = platform
        layout = publication.layout
        self.root = publication.root
        self.flag_paths = {
            FLAG_UPDATE: f"{self.root}|{layout.update}",
            FLAG_METADATA: f"{self.root}|{layout.metadata}",
            FLAG_DELETE: f"{self.root}|{layout.delete}",
        }
        self.errors_root = f"{self.root}|{layout.errors}"
        self._unassign: dict[str, set[int]] = {}
        self._records: dict[int, set[int]] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._task: asyncio.Task[None] | None = None

    # --- which categories a change clears -----------------------------------------------

    def change_flags(self, photo: Photo) -> tuple[str, ...]:
        """The flags an add or update of `photo` clears once it is recorded."""
        return tuple(self.flag_paths[f] for f in (FLAG_UPDATE, FLAG_METADATA) if photo.has_flag(f))

    @property
    def unpublish_paths(self) -> tuple[str, ...]:
        """What a delete clears: the `_delete` flag and the Socials membership, so the
        photo is never uploaded again."""
        return (self.flag_paths[FLAG_DELETE], self.root)

    @property
    def all_change_flags(self) -> tuple[str, ...]:
        """For intents journaled before their flags were (older versions)."""
        return (self.flag_paths[FLAG_UPDATE], self.flag_paths[FLAG_METADATA])

    # --- writes -----------------------------------------------------------------------

    async def record_post(self, file_id: int, ref: RemoteRef, posted: str) -> None:
        await self._client.add_attribute_record(self.platform, file_id, ref.record(posted))

    async def clear(self, file_id: int, paths: Iterable[str]) -> None:
        wanted = list(paths)
        if not wanted:
            return
        for path in wanted:
            self._unassign.setdefault(path, set()).add(file_id)
        await self._wait()

    async def forget_records(self, records: Iterable[AttributeRecord]) -> None:
        """Delete these records (each of the file it belongs to)."""
        chosen = list(records)
        if not chosen:
            return
        for record in chosen:
            self._records.setdefault(record.file_id, set()).add(record.instance_id)
        await self._wait()

    async def sync_error_categories(self, wanted: Mapping[int, Iterable[str]]) -> None:
        """Make every `__errors|<name>` hold exactly the photos `wanted` names."""
        by_name: dict[str, set[int]] = {}
        for file_id, names in wanted.items():
            for name in names:
                by_name.setdefault(name, set()).add(file_id)
        # Read now, not taken from the scan: this session's earlier run, or another
        # process's run since the scan, may have changed them.
        subtree = await self._client.category(self.errors_root, SUBTREE_FIELDS)
        present = {c.name: set(c.files) for c in subtree.children} if subtree else {}
        calls = []
        for name in sorted(set(by_name) | set(present)):
            path = f"{self.errors_root}|{name}"
            stale = present.get(name, set()) - by_name.get(name, set())
            missing = by_name.get(name, set()) - present.get(name, set())
            if stale:
                calls.append(self._client.unassign(path, sorted(stale)))
            if missing:
                calls.append(self._client.assign(path, sorted(missing)))
        await asyncio.gather(*calls)

    # --- batching ---------------------------------------------------------------------

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
            records, self._records = self._records, {}
            try:
                calls = [self._client.unassign(p, sorted(ids)) for p, ids in unassign.items()]
                if records:
                    instances = {f: sorted(ids) for f, ids in records.items()}
                    calls.append(self._client.delete_attribute_records(self.platform, instances))
                await asyncio.gather(*calls)
            except Exception as error:  # every waiter hears about it
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(error)
            else:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
