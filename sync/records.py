"""A photo's records on a platform, read again from IMatch just before acting.

The plan may be minutes old (a TUI session) and another run may have recorded a post
since; every guard against a second upload reads records through `fresh_records`, so
there is one place that knows which files a photo's records live on: the photo's own
file and every file its planned records came from (its master/version relatives).
"""

from __future__ import annotations

from collections.abc import Iterable

from imatch.client import IMatchClient
from imatch.models import AttributeRecord
from sync.photo import Photo


def record_owners(photo: Photo) -> set[int]:
    return {photo.id, *photo.relatives, *(record.file_id for record in photo.records)}


async def fresh_records(
    client: IMatchClient, platform: str, photos: Iterable[Photo]
) -> dict[int, tuple[AttributeRecord, ...]]:
    """Photo id -> its records as IMatch holds them now (its own file's first)."""
    chosen = list(photos)
    owners = sorted(set().union(*(record_owners(p) for p in chosen))) if chosen else []
    found = await client.attributes(platform, owners) if owners else {}
    result: dict[int, tuple[AttributeRecord, ...]] = {}
    for photo in chosen:
        others = sorted(record_owners(photo) - {photo.id})
        result[photo.id] = tuple(
            record for owner in (photo.id, *others) for record in found.get(owner, [])
        )
    return result
