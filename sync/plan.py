"""The plan: every candidate of a platform, classified and rendered, grouped by action.

The TUI shows it, `--dry-run` prints it, and the engine executes any part of it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from imatch.client import IMatchClient
from imatch.library import Publication, read_publication
from sync.config import Credentials, Settings
from sync.photo import Photo, build_photos
from sync.platforms import registry
from sync.platforms.base import Limits
from sync.rendering import Rendered
from sync.rules import Action, Checks, Verdict, classify

MB = 1024 * 1024
ScanProgress = Callable[[str, int, int], None]
"""`progress(stage, done, total)` while a platform is scanned; stage is `reading` (IMatch
metadata arrived for `done` of `total` photos) or `planning`."""
PLANNING_STEP = 1000


def default_limits(platform: str) -> Limits:
    """The platform's limits before its server says otherwise."""
    return registry.spec(platform).default_limits()


TEXT_ONLY = "text only"
"""How the note of an update starts on a platform that cannot replace a published image."""


def text_only_note(platform: str) -> str:
    """`text only: <platform> cannot replace the image`: said in the plan, the detail pane
    and the dry run, so nobody expects a new image."""
    return f"{TEXT_ONLY}: {platform} cannot replace the image"


@dataclass(frozen=True)
class PlanItem:
    photo: Photo
    verdict: Verdict
    rendered: Rendered[Any]
    platform: str = ""
    """The platform the item is planned for (which renderer made `rendered`)."""

    @property
    def action(self) -> Action:
        return self.verdict.action

    @property
    def file_id(self) -> int:
        return self.photo.id


@dataclass
class Plan:
    platform: str
    publication: Publication
    items: list[PlanItem] = field(default_factory=list)
    _positions: dict[int, int] = field(default_factory=dict, repr=False, compare=False)

    def counts(self) -> dict[str, int]:
        counts = {action.value: 0 for action in Action}
        for item in self.items:
            counts[item.action.value] += 1
        return counts

    def bucket(self, action: Action) -> list[PlanItem]:
        return [item for item in self.items if item.action is action]

    def select(
        self, file_ids: Iterable[int] | None = None, actions: Iterable[Action] | None = None
    ) -> list[PlanItem]:
        """Items to run: the chosen photos and/or actions (default: everything to do)."""
        wanted_ids = set(file_ids) if file_ids is not None else None
        wanted = set(actions) if actions is not None else set(Action) - {Action.UNCHANGED}
        return [
            item
            for item in self.items
            if item.action in wanted and (wanted_ids is None or item.file_id in wanted_ids)
        ]

    def item(self, file_id: int) -> PlanItem | None:
        # An index instead of a scan (recovery looks up every unfinished intent); it is
        # rebuilt whenever it does not match the list, which may be changed in place.
        position = self._positions.get(file_id)
        if (
            position is None
            or position >= len(self.items)
            or self.items[position].file_id != file_id
        ):
            self._positions = {item.file_id: n for n, item in enumerate(self.items)}
            position = self._positions.get(file_id)
        return None if position is None else self.items[position]


def checks_for(platform: str, settings: Settings, limits: Limits | None) -> Checks:
    """What a photo must satisfy: the configuration narrowed by the platform's limits."""
    limits = limits or default_limits(platform)
    own = settings.platform(platform)
    max_bytes = limits.max_file_bytes
    if own.max_file_mb > 0:
        max_bytes = min(max_bytes, int(own.max_file_mb * MB))
    return Checks(
        require=frozenset(own.require),
        formats=frozenset(f.upper() for f in own.formats) & {f.upper() for f in limits.formats},
        max_file_bytes=max_bytes,
        genre_root=settings.categories.genre,
        max_caption_chars=limits.max_caption_chars,
        max_alt_text_chars=limits.max_alt_text_chars,
        max_tags=limits.max_tags,
        max_title_chars=limits.max_title_chars,
        record_keys=registry.spec(platform).record_keys,
    )


REFUSED_BEFORE = "refused before: change the file to try again"


def replaces_images(platform: str, limits: Limits | None) -> bool:
    """Whether an update can replace the published image (else it sends the text only)."""
    return (limits or default_limits(platform)).replaces_images


def make_plan(
    platform: str,
    publication: Publication,
    settings: Settings,
    credentials: Credentials,
    limits: Limits | None,
    refused: Mapping[int, tuple[str, str]] | None = None,
    progress: ScanProgress | None = None,
) -> Plan:
    """Classify and render every candidate.

    `refused` (from the journal) holds uploads the platform refused: while the file is
    unchanged the photo keeps that error instead of being uploaded again.
    """
    checks = checks_for(platform, settings, limits)
    text_only = not replaces_images(platform, limits)
    render = registry.spec(platform).render
    own_credentials = credentials.of(platform)
    refused = refused or {}
    items: list[PlanItem] = []
    photos = build_photos(publication, checks.formats)
    for photo in photos:
        if progress is not None and len(items) % PLANNING_STEP == 0:
            progress("planning", len(items), len(photos))
        rendered = render(photo, settings, own_credentials)
        verdict = classify(photo, rendered.size, checks)
        earlier = refused.get(photo.id)
        if verdict.action is Action.ADD and earlier and earlier[1] == photo.fingerprint:
            verdict = Verdict(Action.ERROR, (earlier[0],), REFUSED_BEFORE)
        if verdict.action is Action.UPDATE and text_only:
            verdict = replace(verdict, note=text_only_note(platform))
        items.append(PlanItem(photo, verdict, rendered, platform))
    if progress is not None:
        progress("planning", len(items), len(photos))
    return Plan(platform, publication, items)


async def read_plan(
    client: IMatchClient,
    platform: str,
    settings: Settings,
    credentials: Credentials,
    limits: Limits | None,
    refused: Mapping[int, tuple[str, str]] | None = None,
    reuse: Publication | None = None,
    progress: ScanProgress | None = None,
) -> Plan:
    """Read the platform's publication from IMatch and plan it (`reuse`: another
    platform's publication from the same scan, see `read_publication`)."""
    root = f"{settings.categories.root}|{platform}"
    reading = None if progress is None else functools.partial(progress, "reading")
    publication = await read_publication(
        client, root, platform, settings.categories.layout, reuse=reuse, progress=reading
    )
    return make_plan(platform, publication, settings, credentials, limits, refused, progress)


def with_photo(item: PlanItem, photo: Photo, checks: Checks) -> PlanItem:
    """The item re-classified for a changed photo (e.g. one whose upload was adopted)."""
    return replace(item, photo=photo, verdict=classify(photo, item.rendered.size, checks))
