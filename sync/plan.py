"""The plan: every candidate of a platform, classified and rendered, grouped by action.

The TUI shows it, `--dry-run` prints it, and the engine executes any part of it.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from imatch.client import IMatchClient
from imatch.library import Publication, read_publication
from sync.config import Credentials, Settings
from sync.file_identity import image_digest
from sync.photo import Photo, build_photos
from sync.platforms import registry
from sync.platforms.base import Limits
from sync.published import FILE, Published, changed_fields, fields_of, snapshot
from sync.rendering import PostSize, Rendered
from sync.rules import (
    RECORD_ERRORS,
    Action,
    Checks,
    Verdict,
    classify,
    classify_changed,
    limit_errors,
)

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


Renderer = Callable[[Photo], Rendered[Any]]
"""The platform's renderer with the settings and credentials the plan was made with."""


@dataclass(frozen=True, slots=True)
class PlanItem:
    photo: Photo
    verdict: Verdict
    kept_rendering: Rendered[Any] | None
    """The rendering once made (see `rendered`); None until then when `renderer` is set."""
    previous: Published | None = None
    """What was last published of the photo (the state store), when known."""
    platform: str = ""
    """The platform the item is planned for (which renderer made `rendered`)."""
    renderer: Renderer | None = field(default=None, compare=False, repr=False)
    """Makes the rendering again when it is asked for: a plan keeps only what its
    verdicts need (the post's size) of the thousands of photos nobody looks at."""

    @property
    def rendered(self) -> Rendered[Any]:
        """The post for this photo, made when first asked for and then kept (the engine,
        the detail pane and group adds rely on getting the same post object each time)."""
        rendering = self.kept_rendering
        if rendering is None and self.renderer is not None:
            rendering = self.renderer(self.photo)
            object.__setattr__(self, "kept_rendering", rendering)
        return rendering  # type: ignore[return-value]

    @property
    def action(self) -> Action:
        return self.verdict.action

    @property
    def file_id(self) -> int:
        return self.photo.id

    # What the photo table shows, named as on a `PlanRow` (sync/plan_snapshot.py).
    @property
    def name(self) -> str:
        return self.photo.name

    @property
    def title(self) -> str:
        return self.photo.title

    @property
    def errors(self) -> tuple[str, ...]:
        return self.verdict.errors

    @property
    def size(self) -> int:
        return self.photo.file.size


@dataclass
class Plan:
    platform: str
    publication: Publication
    """The read's outline (root, layout, subtrees: `Publication.outline`), not its files."""
    items: list[PlanItem] = field(default_factory=list)
    publish_changes: bool = False
    """`detect_changes = "publish"`: changed photos run with everything else to do
    (otherwise they are shown, and run only when chosen)."""
    baseline_missing: bool = False
    """Posted photos without a record of what was published, and no baseline recorded
    (the session clears it once the platform has a baseline)."""
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
        wanted = set(actions) if actions is not None else self.default_actions()
        return [
            item
            for item in self.items
            if item.action in wanted and (wanted_ids is None or item.file_id in wanted_ids)
        ]

    def default_actions(self) -> set[Action]:
        """What a run does when nothing is chosen: everything to do, and changed photos
        only when `detect_changes = "publish"`."""
        wanted = set(Action) - {Action.UNCHANGED}
        if not self.publish_changes:
            wanted.discard(Action.CHANGED)
        return wanted

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


def replaces_images(platform: str, limits: Limits | None) -> bool:
    """Whether an update can replace the published image (else it sends the text only)."""
    return (limits or default_limits(platform)).replaces_images


def make_plan(
    platform: str,
    publication: Publication,
    settings: Settings,
    credentials: Credentials,
    limits: Limits | None,
    progress: ScanProgress | None = None,
    published: Mapping[int, Published] | None = None,
    let_go: Sequence[Publication] = (),
) -> Plan:
    """Classify and render every candidate.

    `let_go`: reads (this one, the one it reused) no platform needs after this one: their
    files are forgotten as soon as the photos are built (`Publication.let_go`).

    `published` (from the state store) is what was last published of each photo: a
    posted photo whose post or file differs from it is `changed` (unless
    `detect_changes = "off"`).
    """
    checks = checks_for(platform, settings, limits)
    text_only = not replaces_images(platform, limits)
    detect = settings.platform(platform).detect_changes
    spec = registry.spec(platform)
    render = spec.render
    own_credentials = credentials.of(platform)
    renderer: Renderer = functools.partial(_render_again, render, settings, own_credentials)
    measure = functools.partial(planning_size, spec.size_bound, renderer, settings, checks)
    published = published or {}
    items: list[PlanItem] = []
    photos = build_photos(publication, checks.formats)
    outline = publication.outline()  # the files as read are not needed once photos are built
    for read in let_go:
        read.let_go()
    for photo in photos:
        if progress is not None and len(items) % PLANNING_STEP == 0:
            progress("planning", len(items), len(photos))
        previous = previous_of(photo, published)
        compared = previous is not None and detect != "off"
        # A posted photo's post is compared with what was published, so it is rendered;
        # any other is rendered only when its size might break a limit.
        rendered = renderer(photo) if compared else None
        verdict = classify(photo, rendered.size if rendered else measure(photo), checks)
        if verdict.action is Action.UNCHANGED and rendered is not None and previous is not None:
            verdict = _changed_verdict(photo, rendered, previous, checks)
        if verdict.action is Action.UPDATE and text_only:
            verdict = replace(verdict, note=text_only_note(platform))
        # The post is made again when it is shown or acted on: kept for every photo it
        # was most of a plan's memory, and most photos are never looked at.
        items.append(PlanItem(photo, verdict, None, previous, platform, renderer))
    if progress is not None:
        progress("planning", len(items), len(photos))
    unrecorded = any(map(unrecorded_post, items))
    return Plan(
        platform,
        outline,
        items,
        publish_changes=detect == "publish",
        baseline_missing=detect != "off" and unrecorded,
    )


def unrecorded_post(item: PlanItem) -> bool:
    """A posted photo with no record of what was published: never shown as `changed`."""
    return is_posted(item) and item.previous is None and item.action is not Action.ADD


def moved_state_keys(photo: Photo) -> tuple[int, ...]:
    """The master/version relatives (not themselves in Socials) whose published state may
    be this photo's: it was published, or baselined, while its Socials assignment was on
    one of them. Written under the photo's own id, those rows are dropped."""
    direct = set(photo.direct_relatives)
    return tuple(r for r in photo.relatives if r not in direct and r != photo.id)


def previous_of(photo: Photo, published: Mapping[int, Published]) -> Published | None:
    """What was last published of the photo: its own file's row, else a relative's from
    before its assignment moved between master and version (the post is the same)."""
    if not published:
        return None  # nothing published yet (a first run): no photo has a previous post
    found = published.get(photo.id)
    if found is not None or not photo.relatives:
        return found  # most photos: no relatives to look at
    for file_id in moved_state_keys(photo):
        found = published.get(file_id)
        if found is not None:
            return found
    return None


def planning_size(
    size_bound: Callable[[Photo, Settings], PostSize] | None,
    renderer: Renderer,
    settings: Settings,
    checks: Checks,
    photo: Photo,
) -> PostSize:
    """The size to classify a photo by: its bound when that is within every limit (the
    verdict is then the same as the rendered post's, which is smaller still), else the
    rendered post's own. Rendering every new photo to find it fits was most of planning."""
    if size_bound is not None:
        bound = size_bound(photo, settings)
        if not limit_errors(bound, checks):
            return bound
    return renderer(photo).size


def _render_again(
    render: Callable[[Photo, Settings, Any], Rendered[Any]],
    settings: Settings,
    credentials: Any,
    photo: Photo,
) -> Rendered[Any]:
    return render(photo, settings, credentials)


def _changed_verdict(
    photo: Photo, rendered: Rendered[Any], previous: Published, checks: Checks
) -> Verdict:
    """`changed` (with its fields) when the post or file differs from what was published;
    a photo only on the platform through a relative's record is compared all the same."""
    if not photo.on_platform or not photo.direct:
        return Verdict(Action.UNCHANGED)
    changed = changed_fields(
        previous, rendered.post, photo.fingerprint, lambda: image_digest(photo.file.path)
    )
    if not changed:
        return Verdict(Action.UNCHANGED)
    return classify_changed(photo, rendered.size, checks, changed)


async def read_plan(
    client: IMatchClient,
    platform: str,
    settings: Settings,
    credentials: Credentials,
    limits: Limits | None,
    reuse: Publication | None = None,
    progress: ScanProgress | None = None,
    published: Mapping[int, Published] | None = None,
    on_read: Callable[[Publication], None] | None = None,
    last_read: bool = False,
) -> Plan:
    """Read the platform's publication from IMatch and plan it (`reuse`: another
    platform's publication from the same scan, see `read_publication`; `on_read` hears
    the publication before it is planned). `last_read`: no platform reuses this read (nor
    `reuse`) afterwards: both are let go once the photos are built."""
    root = f"{settings.categories.root}|{platform}"
    reading = None if progress is None else functools.partial(progress, "reading")
    with no_full_collections():
        publication = await read_publication(
            client, root, platform, settings.categories.layout, reuse=reuse, progress=reading
        )
        if on_read is not None:
            on_read(publication)
        let_go = tuple(p for p in (publication, reuse) if p is not None) if last_read else ()
        return make_plan(
            platform, publication, settings, credentials, limits, progress, published, let_go
        )


@contextmanager
def no_full_collections() -> Iterator[None]:
    """No full pass of Python's cycle collector while a scan makes its million objects:
    each would walk every object the scan holds so far (four of them were a tenth of a
    dry run's CPU time at 10,000 photos). The young generations are still collected, so
    short-lived cycles (requests, tasks) go as before; the next full pass comes after."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)
    try:
        yield
    finally:
        if gc.get_threshold() == (young, middle, NEVER):  # nobody changed it meanwhile
            gc.set_threshold(young, middle, old)


NEVER = 2**31 - 1
"""A collector threshold never reached."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic pass of the cycle collector at all, for a headless run's reading and
    planning: the scan's objects live on (or go by reference counting when a plan is
    released), and its cyclic garbage is a few small objects per request, so every young
    pass only walked what it could not free (a twentieth of a dry run's CPU time at
    10,000 photos). The collector is on again afterwards if it was on before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def is_posted(item: PlanItem) -> bool:
    """On the platform as one known post, and not about to be deleted: what a baseline
    records (an unclear record, or a delete, is left alone)."""
    if not item.photo.on_platform or item.action is Action.DELETE:
        return False
    return not (set(item.verdict.errors) & RECORD_ERRORS)


def published_now(
    item: PlanItem,
    source: str = "run",
    unsettled: Iterable[str] = (),
    kept_file: Published | None = None,
) -> Published:
    """What publishing the item's post and file leaves on the platform; `unsettled`
    fields the platform refused keep what was published before (or nothing).
    `kept_file`: the image published is still that one (only the text was sent): its
    fingerprint and picture digest are kept, and the file is not read."""
    photo = item.photo
    if kept_file is not None:
        fingerprint, image = kept_file.fingerprint, kept_file.image
    else:
        fingerprint = photo.fingerprint
        image = image_digest(photo.file.path) if fingerprint else ""
    published = snapshot(item.rendered.post, fingerprint, source, image)
    refused = set(unsettled)
    if not refused:
        return published
    before = item.previous
    digests = dict(published.digests)
    shown = dict(published.shown)
    for name in refused & set(digests):
        digests[name] = before.digests.get(name, "") if before else ""
        shown[name] = before.shown.get(name, "") if before else ""
    return replace(published, digests=digests, shown=shown)


def field_changes(item: PlanItem) -> list[tuple[str, str, str]]:
    """(field, as published, as it would be now) for each field of a `changed` photo that
    differs; the file is described by its fingerprint (size and modification time)."""
    previous = item.previous
    if previous is None:
        return []
    now = fields_of(item.rendered.post)
    rows = []
    for name in item.verdict.changed:
        if name == FILE:
            rows.append(
                (name, _file_text(previous.fingerprint), _file_text(item.photo.fingerprint))
            )
        else:
            rows.append((name, previous.shown.get(name, ""), now.get(name, "")))
    return rows


def _file_text(fingerprint: str) -> str:
    """`2,345,678 bytes, modified 2024-03-05 06:42` from `size:mtime_ns`."""
    size, _, mtime = fingerprint.partition(":")
    try:
        moment = datetime.fromtimestamp(int(mtime) / 1e9).strftime("%Y-%m-%d %H:%M")
        return f"{int(size):,} bytes, modified {moment}"
    except (ValueError, OverflowError, OSError):
        return fingerprint or "unknown"


def with_photo(item: PlanItem, photo: Photo, checks: Checks) -> PlanItem:
    """The item re-classified for a changed photo (e.g. one whose upload was adopted).
    A `changed` photo still recorded as it was stays `changed`."""
    verdict = classify(photo, item.rendered.size, checks)
    if item.action is Action.CHANGED and verdict.action is Action.UNCHANGED:
        verdict = item.verdict
    return replace(item, photo=photo, verdict=verdict)
