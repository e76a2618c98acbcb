"""One batched read of everything a publication needs from IMatch.

`read_publication()` reads the category tree under a root such as `Socials|flickr`, then
the candidates (direct members plus members of the flag categories), their relatives
(masters of versions, versions of masters), the metadata of all of them, their
categories, relations and attribute records: a record on a relative counts for the
candidate too, so moving an assignment between master and version never re-uploads.
The number of requests is a handful plus a few per `chunk_size` files; it never grows
per photo.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import cast

from imatch.client import CategorySets, IMatchClient
from imatch.models import AttributeRecord, Category, CategoryRef, FileInfo, RelatedFile

# What the original tool read for every file (reference original-tool.md 2.D), as tags
# where a plain value suffices (they are cheaper than variables) and variables otherwise.
METADATA_TAGS: Mapping[str, str] = {
    "title": "title",
    "description": "description",
    "hierarchical_keywords": "hierarchicalkeywords",
}
METADATA_VARIABLES: Mapping[str, str] = {
    "headline": "{File.MD.headline}",
    "aperture": "{File.MD.aperture}",
    "focal_length": "{File.MD.focallength|value:formatted}",
    "iso": "{File.MD.iso|value:formatted}",
    "lens": "{File.MD.lens}",
    "make": "{File.MD.make}",
    "model": "{File.MD.model}",
    "shutter_speed": "{File.MD.shutterspeed|value:formatted}",
    "circa_date_created": "{File.MD.XMP::iptcExt\\CircaDateCreated\\CircaDateCreated\\0}",
}
SCAN_FILE_FIELDS = ("id", "filename", "name", "datetime", "format", "size")
"""The file properties photos are made from: width and height are read by no platform
(at 90,000 files, two number objects each and their text in every answer)."""
SUBTREE_FIELDS = ("id", "path", "name", "description", "files", "directfiles", "children")
Progress = Callable[[int, int], None]
"""`progress(done, total)`: how far a read has got, in photos of all the candidates."""


@dataclass(frozen=True)
class CategoryLayout:
    """Names of the categories under a publication root (all configurable)."""

    update: str = "_update"
    metadata: str = "_metadata"
    delete: str = "_delete"
    errors: str = "__errors"
    albums: str = "albums"
    groups: str = "groups"

    @property
    def flags(self) -> tuple[str, str, str]:
        return (self.update, self.metadata, self.delete)


@dataclass(frozen=True)
class Publication:
    """What IMatch holds for one publication root, ready to be turned into photos."""

    root: str
    exists: bool
    layout: CategoryLayout = field(default_factory=CategoryLayout)
    candidates: tuple[int, ...] = ()
    direct: frozenset[int] = frozenset()
    flagged: Mapping[str, frozenset[int]] = field(default_factory=dict)
    """Flag category name (`_update`, ...) -> files in it."""
    files: Mapping[int, FileInfo] = field(default_factory=dict)
    """Candidates and their relatives (masters and versions)."""
    categories: Mapping[int, tuple[CategoryRef, ...]] = field(default_factory=dict)
    """Categories of candidates and masters."""
    masters: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    """Candidate -> its master(s); empty for a file without a master."""
    versions: Mapping[int, tuple[RelatedFile, ...]] = field(default_factory=dict)
    """Candidate -> its versions; non-empty means the candidate is itself a master."""
    records: Mapping[int, tuple[AttributeRecord, ...]] = field(default_factory=dict)
    """Candidate or relative -> its records in the attribute set named like the platform."""
    subtrees: Mapping[str, Category] = field(default_factory=dict)
    """`albums`, `groups`, `__errors` (by layout name) with their children, when present."""
    requests: int = 0
    """IMatch requests this read made."""
    shared: dict[object, object] = field(default_factory=dict, compare=False, repr=False)
    """What turning this read into photos worked out once per file (the file to upload,
    its `stat`), shared with the publications of the same scan that reuse this one."""

    def outline(self) -> Publication:
        """What is left of the read once its photos are built: the root, the category
        layout and subtrees (write-back, group adds), none of the files. A plan keeps
        this, so a platform's plan does not hold every file as IMatch sent it."""
        return Publication(
            self.root, self.exists, self.layout, subtrees=self.subtrees, requests=self.requests
        )

    def let_go(self) -> None:
        """Forget the files as read (and what was worked out from them), in this read and
        in every read sharing its mappings, once no platform of the scan needs them: the
        last platform's planning then reuses their memory instead of adding to the peak.
        The outline (root, layout, subtrees) stays."""
        for mapping in (
            self.files,
            self.categories,
            self.masters,
            self.versions,
            self.records,
            self.shared,
        ):
            if isinstance(mapping, dict):
                mapping.clear()

    def flag(self, file_id: int, name: str) -> bool:
        return file_id in self.flagged.get(name, frozenset())

    def master_of(self, file_id: int) -> FileInfo | None:
        ids = self.masters.get(file_id, ())
        return self.files.get(ids[0]) if ids else None

    def relatives(self, file_id: int) -> tuple[int, ...]:
        """The candidate's masters and versions: the files whose records count for it."""
        versions = (v.id for v in self.versions.get(file_id, ()))
        return tuple(dict.fromkeys((*self.masters.get(file_id, ()), *versions)))


async def read_publication(
    client: IMatchClient,
    root: str,
    attribute_set: str,
    layout: CategoryLayout | None = None,
    *,
    tags: Mapping[str, str] = METADATA_TAGS,
    variables: Mapping[str, str] = METADATA_VARIABLES,
    reuse: Publication | None = None,
    progress: Progress | None = None,
) -> Publication:
    """Read everything under `root` (e.g. `Socials|flickr`) in batched calls.

    `reuse` is another platform's publication read in the same scan with the same `tags`
    and `variables`: files it holds are not read again (this platform's attribute records
    and the category tree always are). Only pass one read moments ago (it is a snapshot),
    never for a rescan.
    `progress` is told, as answers arrive, how far the read has got, in photos."""
    layout = layout or CategoryLayout()
    before = client.requests_made
    top = await client.category(root, SUBTREE_FIELDS)
    if top is None:
        return Publication(root, False, layout, requests=client.requests_made - before)

    wanted_subtrees = [layout.albums, layout.groups, layout.errors]
    subtree_list = await asyncio.gather(
        *(client.category(f"{root}|{name}", SUBTREE_FIELDS) for name in wanted_subtrees)
    )
    subtrees = {n: c for n, c in zip(wanted_subtrees, subtree_list, strict=True) if c}
    for name in (layout.albums, layout.groups):
        if name in subtrees:
            subtrees[name] = await _with_folders(client, subtrees[name])

    flagged = {
        name: frozenset(child.files) if (child := top.child(name)) else frozenset()
        for name in layout.flags
    }
    candidate_set = set(top.direct_files)
    for ids in flagged.values():
        candidate_set |= ids
    candidates = sorted(candidate_set)

    # What another publication read moments ago already holds about a file (its metadata,
    # categories and relations, not its records, which belong to one platform) is reused.
    known = set(reuse.candidates) if reuse is not None else set()
    unknown = [file_id for file_id in candidates if file_id not in known]
    # Progress, in photos: the share of the files asked for in the five batched reads
    # below whose answers have arrived.
    to_arrive = 4 * len(unknown) + len(candidates)
    arrived = 0

    def tell(count: int = 0) -> None:
        nonlocal arrived
        arrived += count
        if progress is not None:
            share = arrived / to_arrive if to_arrive else 1.0
            progress(round(len(candidates) * share), len(candidates))

    tell()
    if reuse is not None and not unknown and len(candidates) == len(reuse.candidates):
        same_files_records = await _records_only(client, attribute_set, reuse, tell)
        return Publication(
            root=root,
            exists=True,
            layout=layout,
            candidates=reuse.candidates,
            direct=frozenset(top.direct_files),
            flagged=flagged,
            files=reuse.files,
            categories=reuse.categories,
            masters=reuse.masters,
            versions=reuse.versions,
            records=same_files_records,
            subtrees=subtrees,
            requests=client.requests_made - before,
            shared=reuse.shared,
        )
    shared: dict[object, object] = reuse.shared if reuse is not None else {}
    category_sets = cast(CategorySets, shared.setdefault("category sets", {}))
    files, masters, version_groups, records, file_categories = await asyncio.gather(
        client.files(
            unknown, fields=SCAN_FILE_FIELDS, tags=tags, variables=variables, on_chunk=tell
        ),
        client.related_ids(unknown, "masters", tell),
        client.relations(unknown, "versions", tell),
        client.attributes(attribute_set, candidates, tell),
        client.file_categories(unknown, tell, category_sets),
    )
    versions = {
        file_id: _distinct_versions(groups)
        for file_id, groups in version_groups.items()
        if any(groups)
    }
    del version_groups
    file_infos = {f.id: f for f in files}
    del files
    if reuse is not None:
        for file_id in candidate_set & known:
            _copy_known(reuse, file_id, file_infos, file_categories)
            if file_id in reuse.masters:
                masters[file_id] = reuse.masters[file_id]
            if file_id in reuse.versions:
                versions[file_id] = reuse.versions[file_id]
    # Relatives: masters (metadata source of a version in Socials) and versions (the file
    # uploaded for a master in Socials). Their records count for the candidate.
    master_ids, version_ids = _relatives(masters, versions, candidate_set)
    relative_ids = sorted(set(master_ids) | set(version_ids))
    if reuse is not None:
        for file_id in relative_ids:
            if file_id in reuse.files:
                _copy_known(reuse, file_id, file_infos, file_categories)
    unread = [f for f in relative_ids if f not in file_infos]
    relative_files, master_categories, relative_records = await asyncio.gather(
        client.files(unread, fields=SCAN_FILE_FIELDS, tags=tags, variables=variables),
        client.file_categories(
            [m for m in master_ids if m not in file_categories],
            None,
            category_sets,
        ),
        client.attributes(attribute_set, relative_ids),
    )
    file_infos.update((f.id, f) for f in relative_files)
    file_categories.update(master_categories)
    records = {**records, **relative_records}
    return Publication(
        root=root,
        exists=True,
        layout=layout,
        candidates=tuple(candidates),
        direct=frozenset(top.direct_files),
        flagged=flagged,
        files=file_infos,
        categories=file_categories,
        masters=masters,
        versions=versions,
        records={k: tuple(v) for k, v in records.items()},
        subtrees=subtrees,
        requests=client.requests_made - before,
        shared=shared,
    )


async def _records_only(
    client: IMatchClient, attribute_set: str, reuse: Publication, tell: Callable[[int], None]
) -> dict[int, tuple[AttributeRecord, ...]]:
    """The records of a platform whose candidates are those of `reuse` (the same photos on
    several platforms, the usual case): its files, categories and relations are then
    that read's, the same mappings, not copies (20 MB at 50,000 photos); only the
    records (and the category tree, read before) are its own."""
    master_ids, version_ids = _relatives(reuse.masters, reuse.versions, set(reuse.candidates))
    records, relative_records = await asyncio.gather(
        client.attributes(attribute_set, reuse.candidates, tell),
        client.attributes(attribute_set, sorted(set(master_ids) | set(version_ids))),
    )
    return {k: tuple(v) for k, v in {**records, **relative_records}.items()}


MAX_FOLDER_DEPTH = 4
"""How deep folder categories under `albums`/`groups` are followed (`albums|2024|Japan`)."""


async def _with_folders(client: IMatchClient, category: Category, depth: int = 0) -> Category:
    """`category` with the children of its folders: a child whose description names no
    album or group id (`albums|Trips`) and came without children of its own is read once
    more (IMatch answers one level), so albums in folders are known as IMatch's too. One
    call per folder, never per photo."""
    if depth >= MAX_FOLDER_DEPTH or not category.children:
        return category

    async def complete(child: Category) -> Category:
        if not child.children and not child.description.strip():
            child = await client.category(child.path, SUBTREE_FIELDS) or child
        return await _with_folders(client, child, depth + 1)

    children = await asyncio.gather(*(complete(c) for c in category.children))
    return replace(category, children=tuple(children))


def _distinct_versions(groups: Iterable[Iterable[RelatedFile]]) -> tuple[RelatedFile, ...]:
    """A master's versions, each once: IMatch answers one group per version rule that
    matched, and a file that two rules match is in both groups but is one version."""
    found: dict[int, RelatedFile] = {}
    for group in groups:
        for version in group:
            found.setdefault(version.id, version)
    return tuple(found.values())


def _relatives(
    masters: Mapping[int, tuple[int, ...]],
    versions: Mapping[int, tuple[RelatedFile, ...]],
    candidates: set[int],
) -> tuple[list[int], list[int]]:
    """The masters and the versions of the candidates that are not candidates themselves."""
    master_ids = sorted({m for ids in masters.values() for m in ids} - candidates)
    version_ids = sorted({v.id for vs in versions.values() for v in vs} - candidates)
    return master_ids, version_ids


def _copy_known(
    reuse: Publication,
    file_id: int,
    files: dict[int, FileInfo],
    categories: dict[int, tuple[CategoryRef, ...]],
) -> None:
    if file_id in reuse.files:
        files[file_id] = reuse.files[file_id]
    if file_id in reuse.categories:
        categories[file_id] = reuse.categories[file_id]
